"""Proxy tier: credentials a proxy in front of the API might wrongly fall back to or trust."""

from __future__ import annotations

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import NO_SESSION, NO_TOKEN, altered
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Expect
from chatmigrate.vocab import Tier

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


@cases.case(
    id="proxy-identity-headers",
    tiers=JWT_TIERS,
    description="identity headers a proxy might trust, without a token",
    sends="X-Forwarded-User, X-Remote-User, X-User-Id, X-Auth-Request-User naming the admin",
    expects="401: identity comes from the token only (a non-ASCII name goes as raw UTF-8 bytes: a 400 is safe too)",
    tags=(
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
