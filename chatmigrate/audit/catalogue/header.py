"""Header parsing: how the Authorization header is read, before any token is verified."""

from __future__ import annotations

import time
from typing import Any

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import NO_TOKEN, altered, bearers
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.forge import b64url
from chatmigrate.audit.probe import Expect, Probe
from chatmigrate.vocab import Severity, Tier

cases = Cases(Group.HEADER)


def genuine_in(ctx: AuditContext, tier: Tier, values: dict[str, str], **options: Any) -> list[Probe]:
    """The genuine token inside odd Authorization values (label: value); accepted, that is lenient parsing,
    so medium unless ``options`` say otherwise."""
    options.setdefault("breach", Severity.MEDIUM)
    return [
        ctx.request(tier, label, (("Authorization", value),), token=ctx.token, **options)
        for label, value in values.items()
    ]


@cases.case(
    id="hdr-no-authorization",
    tiers=JWT_TIERS,
    description="no Authorization header at all",
    sends="GET the chat endpoint without any credential",
    expects=Expect.REFUSED,
    tags=(
        std.RFC6750_ERRORS,
        std.RFC7235_401,
        std.WSTG_AUTH_BYPASS,
        std.API_BROKEN_AUTH,
        std.CWE_MISSING_AUTHENTICATION,
    ),
    ref="catalogue #1",
)
async def _no_authorization(ctx: AuditContext, tier: Tier) -> Built:
    return [ctx.request(tier, "no header")]


@cases.case(
    id="hdr-empty-value",
    tiers=JWT_TIERS,
    description="Authorization header present with an empty value",
    sends="Authorization: (empty)",
    expects=Expect.REFUSED,
    tags=(
        std.RFC6750_HEADER,
        std.RFC7235_AUTHORIZATION,
        std.WSTG_AUTH_BYPASS,
        std.API_BROKEN_AUTH,
        std.CWE_AUTHENTICATION,
    ),
    ref="catalogue #2",
)
async def _empty_value(ctx: AuditContext, tier: Tier) -> Built:
    return [ctx.request(tier, "empty", (("Authorization", ""),))]


@cases.case(
    id="hdr-bearer-no-token",
    tiers=JWT_TIERS,
    description="the Bearer scheme with no token after it",
    sends="Authorization: Bearer / Bearer<space>",
    expects=Expect.REFUSED,
    tags=(std.RFC6750_HEADER, std.WSTG_AUTH_BYPASS, std.API_BROKEN_AUTH, std.CWE_AUTHENTICATION),
    ref="catalogue #3",
)
async def _bearer_no_token(ctx: AuditContext, tier: Tier) -> Built:
    return [
        ctx.request(tier, "Bearer", (("Authorization", "Bearer"),)),
        ctx.request(tier, "Bearer + space", (("Authorization", "Bearer "),), raw=True),
    ]


@cases.case(
    id="hdr-three-parts",
    tiers=JWT_TIERS,
    description="three space-separated parts around the valid token",
    sends="Bearer <valid> extra / Bearer extra <valid>",
    expects=Expect.REFUSED,
    tags=(std.RFC6750_HEADER, std.WSTG_AUTH_BYPASS, std.API_BROKEN_AUTH, std.CWE_INTERPRETATION_CONFLICT),
    ref="catalogue #4",
)
async def _three_parts(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    return genuine_in(
        ctx, tier, {"trailing part": f"Bearer {ctx.token} extra", "leading part": f"Bearer extra {ctx.token}"}
    )


@cases.case(
    id="hdr-scheme-case-documented",
    tiers=JWT_TIERS,
    description="lowercase or uppercase scheme with the valid token",
    sends="bearer <valid> / BEARER <valid>",
    expects="200 JSON with data (RFC 7235: schemes are case-insensitive); a refusal is a low interoperability "
    "note unless the policy bearer_scheme_case_insensitive declares the promise, then a medium failure",
    tags=(std.RFC7235_SCHEME, std.RFC6750_HEADER),
    ref="catalogue #5",
)
async def _scheme_case(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    promised = ctx.options.policy.bearer_scheme_case_insensitive
    expect = Expect.ACCEPTED if promised else Expect.INTEROPERABLE
    return [
        ctx.bearer(tier, f"{scheme} <valid>", ctx.token, scheme=scheme, expect=expect)
        for scheme in ("bearer", "BEARER")
    ]


@cases.case(
    id="hdr-scheme-case-forged",
    tiers=JWT_TIERS,
    description="a lowercase scheme must not skip any verification",
    sends="bearer / BeArEr with a bad signature, alg none, an expired token",
    expects=Expect.REFUSED,
    tags=(std.RFC7235_SCHEME, std.RFC8725_VALIDATE_CRYPTO, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_SIGNATURE),
    ref="catalogue #5",
)
async def _scheme_case_forged(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    bad = altered(ctx)
    none = ctx.forge.make("alg none, empty signature", header={"alg": "none", "typ": "JWT"})
    probes = [
        ctx.bearer(tier, "bearer <bad signature>", bad.token, scheme="bearer", note=bad.note),
        ctx.bearer(tier, "BeArEr <bad signature>", bad.token, scheme="BeArEr", note=bad.note),
        ctx.bearer(tier, "bearer <alg none>", none.token, scheme="bearer", note=none.note),
    ]
    if ctx.forge.secret is not None:
        now = int(time.time())
        expired = ctx.forge.real(claims=ctx.forge.with_claims(exp=now - 3600, iat=now - 7200))
        probes.append(ctx.bearer(tier, "bearer <expired>", expired.token, scheme="bearer", note=expired.note))
    return probes


@cases.case(
    id="hdr-whitespace-documented",
    tiers=JWT_TIERS,
    description="two spaces or a tab between scheme and token",
    sends="Bearer<2 spaces><valid> / Bearer<tab><valid>",
    expects="200 JSON with data: any run of spaces or tabs is accepted (documented)",
    tags=(std.RFC6750_HEADER, std.RFC7235_SCHEME),
    ref="catalogue #6",
)
async def _whitespace(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    return genuine_in(
        ctx, tier, {"two spaces": f"Bearer  {ctx.token}", "tab": f"Bearer\t{ctx.token}"}, expect=Expect.ACCEPTED
    )


@cases.case(
    id="hdr-other-schemes",
    tiers=JWT_TIERS,
    description="the valid token under another scheme",
    sends="Token <valid> / JWT <valid> / Basic <valid>",
    expects=Expect.REFUSED,
    tags=(std.RFC7235_SCHEME, std.RFC6750_HEADER, std.WSTG_AUTH_BYPASS, std.API_BROKEN_AUTH, std.CWE_AUTHENTICATION),
    ref="catalogue #7",
)
async def _other_schemes(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    return [
        ctx.bearer(tier, f"{scheme} <valid>", ctx.token, scheme=scheme, breach=Severity.MEDIUM)
        for scheme in ("Token", "JWT", "Basic")
    ]


@cases.case(
    id="hdr-duplicate-authorization",
    tiers=JWT_TIERS,
    description="two Authorization headers, garbage and valid",
    sends="Authorization: Bearer garbage + Authorization: Bearer <valid>, both orders",
    expects=Expect.REFUSED,
    tags=(
        std.RFC9110_FIELD_ORDER,
        std.RFC7235_AUTHORIZATION,
        std.WSTG_AUTH_BYPASS,
        std.API_BROKEN_AUTH,
        std.CWE_INTERPRETATION_CONFLICT,
    ),
    ref="catalogue #8",
)
async def _duplicate(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    garbage, valid = ("Authorization", "Bearer garbage"), ("Authorization", f"Bearer {ctx.token}")
    return [
        ctx.request(tier, "garbage first", (garbage, valid), token=ctx.token, breach=Severity.MEDIUM),
        ctx.request(tier, "valid first", (valid, garbage), token=ctx.token, breach=Severity.MEDIUM),
    ]


@cases.case(
    id="hdr-comma-joined",
    tiers=JWT_TIERS,
    description="two credentials joined with a comma in one header",
    sends="Bearer <bad>, Bearer <valid> (and the reverse)",
    expects=Expect.REFUSED,
    tags=(
        std.RFC7235_AUTHORIZATION,
        std.RFC9110_FIELD_ORDER,
        std.WSTG_AUTH_BYPASS,
        std.API_BROKEN_AUTH,
        std.CWE_INTERPRETATION_CONFLICT,
    ),
    ref="catalogue #9",
)
async def _comma_joined(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    bad = altered(ctx).token
    return genuine_in(
        ctx,
        tier,
        {"bad, valid": f"Bearer {bad}, Bearer {ctx.token}", "valid, bad": f"Bearer {ctx.token}, Bearer {bad}"},
    )


@cases.case(
    id="hdr-token-trailing-junk",
    tiers=JWT_TIERS,
    description="the valid token with a trailing dot, %20, NUL or a fold",
    sends="Bearer <valid>. / <valid>%20 / <valid>\\0 / <valid> + obs-fold line (raw socket) / <valid> + bare LF",
    expects="401, or 400 from the HTTP layer; a bare LF may end the line (RFC 9112 2.2), so that one may pass",
    tags=(
        std.RFC6750_HEADER,
        std.RFC9112_LINE_ENDINGS,
        std.RFC9112_OBS_FOLD,
        std.API_BROKEN_AUTH,
        std.CWE_INPUT_VALIDATION,
        std.CWE_INTERPRETATION_CONFLICT,
    ),
    ref="catalogue #10",
)
async def _trailing_junk(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    token = ctx.token
    return [
        *genuine_in(ctx, tier, {"trailing dot": f"Bearer {token}.", "trailing %20": f"Bearer {token}%20"}),
        *genuine_in(
            ctx,
            tier,
            {"trailing NUL": f"Bearer {token}\x00", "obs-fold continuation": f"Bearer {token}\r\n extra"},
            raw=True,
            expect=Expect.REFUSED_OR_REJECTED,
        ),
        *genuine_in(ctx, tier, {"bare LF": f"Bearer {token}\n"}, raw=True, expect=Expect.CLEAN_EITHER),
    ]


@cases.case(
    id="hdr-segment-count",
    tiers=JWT_TIERS,
    description="tokens with one, two or four dot-separated segments",
    sends="header / header.payload / header.payload.signature.extra",
    expects=Expect.REFUSED,
    tags=(std.RFC7519_VALIDATION, std.RFC7515_VALIDATION, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_INPUT_VALIDATION),
    ref="catalogue #11",
)
async def _segment_count(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    head, body, _signature = ctx.forge.token.split(".")
    four = ctx.forge.damaged(f"{ctx.forge.token}.e30", "four segments: the genuine token plus one")
    return [
        *bearers(
            ctx,
            tier,
            [
                ("one segment", ctx.forge.damaged(head, "header only")),
                ("two segments", ctx.forge.damaged(f"{head}.{body}", "no signature segment")),
            ],
        ),
        ctx.bearer(tier, "four segments", four.token, note=four.note, breach=Severity.MEDIUM),
    ]


@cases.case(
    id="hdr-undecodable-token",
    tiers=JWT_TIERS,
    description="invalid base64, a header that is not JSON, a list payload",
    sends="!!!.@@@.### / b64('not json').payload.sig / header.b64('[1,2]').sig",
    expects=Expect.REFUSED,
    tags=(std.RFC7519_VALIDATION, std.WSTG_JWT, std.WSTG_ERROR_HANDLING, std.API_BROKEN_AUTH, std.CWE_INPUT_VALIDATION),
    ref="catalogue #12",
)
async def _undecodable(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    list_payload = (
        forge.real(claims="[1,2]")
        if forge.secret is not None
        else forge.keep_signature(claims="[1,2]", signing="list payload, original signature kept")
    )
    not_json_head = forge.damaged(f"{b64url(b'not json')}.{forge.token.split('.', 1)[1]}", "header is not JSON")
    return bearers(
        ctx,
        tier,
        [
            ("invalid base64", forge.damaged("!!!.@@@.###", "invalid base64")),
            ("header not JSON", not_json_head),
            ("payload is a list", list_payload),
        ],
    )


@cases.case(
    id="hdr-oversized-token",
    tiers=JWT_TIERS,
    description="a 100 KB token",
    sends="Bearer <header.payload.+100 KB>",
    expects=Expect.REFUSED_OR_REJECTED,
    tags=(std.RFC6585_431, std.WSTG_ERROR_HANDLING, std.API_RESOURCES, std.CWE_RESOURCE_CONSUMPTION, std.CWE_NO_LIMITS),
    ref="catalogue #13",
)
async def _oversized(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    head, body, _signature = ctx.forge.token.split(".")
    big = ctx.forge.damaged(f"{head}.{body}.{'A' * 100 * 1024}", "100 KB signature")
    return [ctx.bearer(tier, "100 KB", big.token, note=big.note, expect=Expect.REFUSED_OR_REJECTED)]


@cases.case(
    id="hdr-token-elsewhere",
    tiers=JWT_TIERS,
    description="the valid token only in a cookie or a query parameter",
    sends="Cookie: token=<valid>; access_token=…; jwt=… / ?token=<valid>&access_token=<valid>",
    expects=Expect.REFUSED,
    tags=(std.RFC6750_QUERY, std.WSTG_AUTH_BYPASS, std.API_BROKEN_AUTH, std.CWE_QUERY_STRING_SECRETS),
    ref="catalogue #14",
)
async def _token_elsewhere(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    token = ctx.token
    cookie = f"token={token}; access_token={token}; jwt={token}; auth_token={token}"
    query_url = f"{ctx.chat_url(tier)}&token={token}&access_token={token}"
    return [
        ctx.request(tier, "cookie", (("Cookie", cookie),), token=token, breach=Severity.MEDIUM),
        ctx.request(tier, "query parameter", token=token, breach=Severity.MEDIUM, url=query_url),
    ]
