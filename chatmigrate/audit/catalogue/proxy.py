"""Proxy tier: credentials a proxy in front of the API might wrongly fall back to or trust."""

from __future__ import annotations

import dataclasses

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import NO_SESSION, NO_TOKEN, altered, preflight
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Concern, Expect, HttpObservation, Inspector, NotApplicable
from chatmigrate.audit.rules import parse_json
from chatmigrate.vocab import FindingKind, Severity, Tier

cases = Cases(Group.PROXY)


@cases.case(
    id="proxy-session-cookie-fallback",
    tiers=JWT_TIERS,
    description="a bad bearer token next to a valid session cookie",
    sends="Authorization: Bearer <bad> + Cookie: sessionid=<valid>",
    expects="401: cookies are never a fallback credential",
    tags=(
        std.RFC6750_HEADER,
        std.WSTG_AUTH_BYPASS,
        std.API_BROKEN_AUTH,
        std.CWE_AUTHENTICATION,
        std.CWE_INTERPRETATION_CONFLICT,
    ),
)
async def _cookie_fallback(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.session is None:
        return NO_SESSION
    if ctx.forge is None:
        return NO_TOKEN
    bad = altered(ctx)
    cookie = f"sessionid={ctx.session.sessionid}; csrftoken={ctx.session.csrftoken}"
    return [
        ctx.request(
            tier,
            "bad bearer + session",
            (("Authorization", f"Bearer {bad.token}"), ("Cookie", cookie)),
            token=bad.token,
            note=bad.note,
        )
    ]


LOOPBACK_CLAIMS = (
    ("X-Forwarded-For loopback", (("X-Forwarded-For", "127.0.0.1"), ("X-Real-IP", "127.0.0.1"))),
    ("Forwarded for= loopback", (("Forwarded", 'for=127.0.0.1;proto=https, for="[::1]"'),)),
)
"""A client claiming to be the proxy host itself: an "internal call" shortcut must not exist."""


@cases.case(
    id="proxy-identity-headers",
    tiers=JWT_TIERS,
    description="identity headers a proxy might trust, without a token",
    sends="X-Forwarded-User, X-Remote-User, X-User-Id, X-Auth-Request-User naming the admin; separately a "
    "loopback client in X-Forwarded-For / X-Real-IP, and in Forwarded: for=",
    expects="401: identity comes from the token only (a non-ASCII name goes as raw UTF-8 bytes: a 400 is safe too)",
    tags=(
        std.RFC7239_FORWARDED,
        std.WSTG_AUTH_BYPASS,
        std.API_BROKEN_AUTH,
        std.API_MISCONFIGURATION,
        std.CWE_SPOOFING,
        std.CWE_LESS_TRUSTED_SOURCE,
    ),
)
async def _identity_headers(ctx: AuditContext, tier: Tier) -> Built:
    """A non-ASCII name is a header value HTTP clients refuse to encode: a raw socket sends its UTF-8 bytes."""
    name, user_id = ctx.username, str(ctx.user_id or 1)
    raw = not name.isascii()
    expect = Expect.REFUSED_OR_REJECTED if raw else Expect.REFUSED
    headers = (
        ("X-Forwarded-User", name),
        ("X-Remote-User", name),
        ("X-User-Id", user_id),
        ("X-Auth-Request-User", name),
        ("Remote-User", name),
    )
    probes = [ctx.request(tier, "identity headers, no token", headers, expect=expect, raw=raw)]
    probes.extend(ctx.request(tier, f"{label}, no token", forwarded) for label, forwarded in LOOPBACK_CLAIMS)
    if ctx.forge is not None:
        bad = altered(ctx)
        probes.append(
            ctx.request(
                tier,
                "identity headers, bad token",
                (*headers, ("Authorization", f"Bearer {bad.token}")),
                expect=expect,
                token=bad.token,
                note=bad.note,
                raw=raw,
            )
        )
    return probes


SUBREQUEST_VALUES = (
    "middleware",
    "middleware:middleware:middleware:middleware:middleware",
    "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware",
    "pages/_middleware",
)
"""The values that skip Next.js middleware before 15.2.3 / 14.2.25 / 13.5.9 / 12.3.5 (CVE-2025-29927)."""


@cases.case(
    id="proxy-middleware-subrequest",
    tiers=(Tier.PROXY,),
    description="Next.js x-middleware-subrequest, without a token (CVE-2025-29927)",
    sends="x-middleware-subrequest: middleware and its recursion-depth variants, no Authorization",
    expects=Expect.REFUSED,
    tags=(std.CVE_NEXT_MIDDLEWARE, std.WSTG_AUTH_BYPASS, std.API_BROKEN_AUTH, std.CWE_ALTERNATE_PATH),
)
async def _middleware_subrequest(ctx: AuditContext, tier: Tier) -> Built:
    return [
        ctx.request(tier, f"x-middleware-subrequest: {value}", (("x-middleware-subrequest", value),))
        for value in SUBREQUEST_VALUES
    ]


GARBAGE = "chatmigrate-not-a-jwt"


async def _refusal(ctx: AuditContext, tier: Tier, headers: dict[str, str]) -> tuple[int, object]:
    """How the tier refuses one credential: its status and its ``detail`` (the part that says who refused)."""
    status, body = await preflight(ctx, ctx.chat_url(tier), headers)
    return status, body.get("detail") if isinstance(body, dict) else None


def _refused_where(own: tuple[int, object], downstream: tuple[int, object]) -> Inspector:
    """Garbage refused exactly as a well-formed bad token is (which only the backend can judge), and not as a
    missing header is (which the proxy refuses itself): the proxy forwarded it, its check is presence-only."""

    def inspect(seen: HttpObservation) -> list[Concern]:
        body = parse_json(seen.text)
        answer = (seen.status or 0, body.get("detail") if isinstance(body, dict) else None)
        if answer == downstream and answer != own:
            return [
                (
                    Severity.LOW,
                    FindingKind.REFUSED_DOWNSTREAM,
                    "refused by the backend, not by the proxy: the proxy forwarded a string that is not a JWT "
                    "(its check is presence-only, so the backend is the only barrier)",
                )
            ]
        return []

    return inspect


@cases.case(
    id="proxy-presence-only",
    tiers=(Tier.PROXY,),
    description="a string that is not a JWT, to see where it is refused",
    sends="Authorization: Bearer chatmigrate-not-a-jwt; its answer is compared with the proxy's answer to no "
    "header and to a well-formed token with a bad signature",
    expects="401, refused at the proxy (a refusal that only the backend gave is a low defence-in-depth note)",
    tags=(std.RFC6750_HEADER, std.RFC8725_VALIDATE_CRYPTO, std.WSTG_JWT, std.CWE_INPUT_VALIDATION),
)
async def _presence_only(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    own = await _refusal(ctx, tier, {})
    downstream = await _refusal(ctx, tier, {"Authorization": f"Bearer {altered(ctx).token}"})
    probe = ctx.request(tier, "garbage bearer", (("Authorization", f"Bearer {GARBAGE}"),))
    return [dataclasses.replace(probe, inspect=_refused_where(own, downstream))]


OVERRIDES = ("X-Original-URL", "X-Rewrite-URL")


@cases.case(
    id="proxy-path-override-headers",
    tiers=(Tier.PROXY,),
    description="path-override headers that route a public URL to an authenticated one, without a token",
    sends="GET / of the proxy with X-Original-URL or X-Rewrite-URL naming a chat route (room in its query), and "
    "GET /?chatroom_id=… with X-Forwarded-Prefix: <the chat route>",
    expects="any answer but chat data: the public page stays the public page",
    tags=(
        std.WSTG_AUTHZ_BYPASS,
        std.API_BFLA,
        std.API_MISCONFIGURATION,
        std.CWE_AUTHORIZATION,
        std.CWE_INTERPRETATION_CONFLICT,
    ),
)
async def _path_override(ctx: AuditContext, tier: Tier) -> Built:
    """A front end that checks access by the request's URL while the app routes by ``X-Original-URL`` (IIS, some
    Symfony and Spring set-ups) serves the protected route to whoever asks for a public one."""
    routes = ctx.target.proxy_routes
    route = routes.get("recent_messages") or next(iter(routes.values()), None)
    if route is None:
        return NotApplicable("needs a proxy route ([targets.proxy] routes)")
    front, room = f"{ctx.target.proxy_url}/", f"chatroom_id={ctx.chatroom_id}"
    probes = [
        ctx.request(tier, name, ((name, f"{route}?{room}"),), url=front, expect=Expect.NO_DATA) for name in OVERRIDES
    ]
    prefixed = (("X-Forwarded-Prefix", route),)
    return [*probes, ctx.request(tier, "X-Forwarded-Prefix", prefixed, url=f"{front}?{room}", expect=Expect.NO_DATA)]
