"""The named auth-failure cases, in groups, each with the safe outcome it expects.

A case is documentation and behaviour in one place: its id, group, tiers and the
one-line texts that ``chatmigrate audit --list`` and docs/audit.md show, plus an
async builder that turns the live context into concrete probes for one tier. A
builder answers ``NotApplicable`` when the target lacks what the case needs.
Sources: the minimum catalogue (docs/audit.md), jwt_tool's attack playbook,
OWASP WSTG-SESS-10 and WSTG-CLNT-10, Django's CSRF failure reasons.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from chatmigrate.audit.context import AuditContext, LegacySession
from chatmigrate.audit.forge import DROP, WEAK_SECRETS, Forge, Forged, b64url, b64url_decode, compact_json, public_jwk
from chatmigrate.audit.probe import Expect, HttpProbe, NotApplicable, Probe, WsProbe
from chatmigrate.vocab import Severity

JWT_TIERS = ("new", "proxy")
GROUPS = {
    "header": "Header parsing",
    "signature": "Signature and algorithm",
    "claims": "Claims",
    "operations": "Every operation",
    "proxy": "Proxy tier",
    "legacy": "Legacy session and CSRF",
    "websocket": "WebSocket",
    "persistence": "Persistence",
    "mutation": "Token mutation (hypothesis)",
    "contract": "Contract (schemathesis)",
}
EVIL_ORIGIN = "https://evil.example"
NO_SECRET = NotApplicable("needs the signing secret (signing_secret / secret_env)")
NO_TOKEN = NotApplicable("needs a token from the JWT API (the 'new' target)")
NO_SESSION = NotApplicable("needs a legacy session (the 'old' target)")
NO_FORBIDDEN = NotApplicable("needs a non-staff principal (forbidden_principal)")
NOT_A_PASSWORD = "x" + secrets.token_hex(12)
"""Random, so that no real secret can be a substring of it (a reproducer would then show where)."""

Built = Sequence[Probe] | NotApplicable
Builder = Callable[[AuditContext, str], Awaitable[Built]]


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    group: str
    tiers: tuple[str, ...]
    description: str
    sends: str
    expects: str
    build: Builder
    ref: str = ""
    last: bool = False

    def line(self) -> str:
        return f"{self.id:<42} {self.group:<12} {','.join(self.tiers):<14} {self.description}"


CASES: list[Case] = []


def case(
    case_id: str,
    group: str,
    tiers: tuple[str, ...],
    description: str,
    sends: str,
    expects: Expect | str,
    ref: str = "",
    last: bool = False,
) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        text = expects.describe() if isinstance(expects, Expect) else expects
        CASES.append(Case(case_id, group, tiers, description, sends, text, build, ref, last))
        return build

    return register


def by_id() -> dict[str, Case]:
    return {item.id: item for item in (*CASES, *GENERATED)}


def listing() -> list[str]:
    return [item.line() for item in (*CASES, *GENERATED)]


def _flip_byte(signature: str, index: int) -> str:
    """Flip a whole decoded byte: changing only the last base64 character may touch padding bits alone."""
    raw = bytearray(b64url_decode(signature) or b"\0")
    raw[index] ^= 0xFF
    return b64url(bytes(raw))


def altered(ctx: AuditContext) -> Forged:
    """The genuine token with its signature damaged: the canonical 'bad signature' credential."""
    forge = ctx.require_forge()
    head, body, signature = forge.token.split(".")
    return forge.damaged(f"{head}.{body}.{_flip_byte(signature, -1)}", "signature: last byte flipped")


def _bearers(
    ctx: AuditContext,
    tier: str,
    forged: list[tuple[str, Forged]],
    *,
    expect: Expect = Expect.REFUSED,
    breach: Severity = Severity.CRITICAL,
    **extra: Any,
) -> list[Probe]:
    return [
        ctx.bearer(tier, label, item.token, expect=expect, note=item.note, breach=breach, **extra)
        for label, item in forged
    ]


def _ws_auth(token: str) -> str:
    return json.dumps({"type": "auth", "token": token})


# ================================================================= header parsing
@case(
    "hdr-no-authorization",
    "header",
    JWT_TIERS,
    "no Authorization header at all",
    "GET the chat endpoint without any credential",
    Expect.REFUSED,
    "catalogue #1",
)
async def _no_authorization(ctx: AuditContext, tier: str) -> Built:
    return [ctx.request(tier, "no header")]


@case(
    "hdr-empty-value",
    "header",
    JWT_TIERS,
    "Authorization header present with an empty value",
    "Authorization: (empty)",
    Expect.REFUSED,
    "catalogue #2",
)
async def _empty_value(ctx: AuditContext, tier: str) -> Built:
    return [ctx.request(tier, "empty", (("Authorization", ""),))]


@case(
    "hdr-bearer-no-token",
    "header",
    JWT_TIERS,
    "the Bearer scheme with no token after it",
    "Authorization: Bearer / Bearer<space>",
    Expect.REFUSED,
    "catalogue #3",
)
async def _bearer_no_token(ctx: AuditContext, tier: str) -> Built:
    return [
        ctx.request(tier, "Bearer", (("Authorization", "Bearer"),)),
        ctx.request(tier, "Bearer + space", (("Authorization", "Bearer "),), raw=True),
    ]


@case(
    "hdr-three-parts",
    "header",
    JWT_TIERS,
    "three space-separated parts around the valid token",
    "Bearer <valid> extra / Bearer extra <valid>",
    Expect.REFUSED,
    "catalogue #4",
)
async def _three_parts(ctx: AuditContext, tier: str) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    return [
        ctx.request(
            tier,
            "trailing part",
            (("Authorization", f"Bearer {ctx.token} extra"),),
            token=ctx.token,
            breach=Severity.MEDIUM,
        ),
        ctx.request(
            tier,
            "leading part",
            (("Authorization", f"Bearer extra {ctx.token}"),),
            token=ctx.token,
            breach=Severity.MEDIUM,
        ),
    ]


@case(
    "hdr-scheme-case-documented",
    "header",
    JWT_TIERS,
    "lowercase or uppercase scheme with the valid token",
    "bearer <valid> / BEARER <valid>",
    "200 JSON with data: the scheme is case-insensitive (documented)",
    "catalogue #5",
)
async def _scheme_case(ctx: AuditContext, tier: str) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    return [
        ctx.bearer(tier, f"{scheme} <valid>", ctx.token, scheme=scheme, expect=Expect.ACCEPTED)
        for scheme in ("bearer", "BEARER")
    ]


@case(
    "hdr-scheme-case-forged",
    "header",
    JWT_TIERS,
    "a lowercase scheme must not skip any verification",
    "bearer / BeArEr with a bad signature, alg none, an expired token",
    Expect.REFUSED,
    "catalogue #5",
)
async def _scheme_case_forged(ctx: AuditContext, tier: str) -> Built:
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


@case(
    "hdr-whitespace-documented",
    "header",
    JWT_TIERS,
    "two spaces or a tab between scheme and token",
    "Bearer<2 spaces><valid> / Bearer<tab><valid>",
    "200 JSON with data: any run of spaces or tabs is accepted (documented)",
    "catalogue #6",
)
async def _whitespace(ctx: AuditContext, tier: str) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    return [
        ctx.request(
            tier, "two spaces", (("Authorization", f"Bearer  {ctx.token}"),), token=ctx.token, expect=Expect.ACCEPTED
        ),
        ctx.request(tier, "tab", (("Authorization", f"Bearer\t{ctx.token}"),), token=ctx.token, expect=Expect.ACCEPTED),
    ]


@case(
    "hdr-other-schemes",
    "header",
    JWT_TIERS,
    "the valid token under another scheme",
    "Token <valid> / JWT <valid> / Basic <valid>",
    Expect.REFUSED,
    "catalogue #7",
)
async def _other_schemes(ctx: AuditContext, tier: str) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    return [
        ctx.bearer(tier, f"{scheme} <valid>", ctx.token, scheme=scheme, breach=Severity.MEDIUM)
        for scheme in ("Token", "JWT", "Basic")
    ]


@case(
    "hdr-duplicate-authorization",
    "header",
    JWT_TIERS,
    "two Authorization headers, garbage and valid",
    "Authorization: Bearer garbage + Authorization: Bearer <valid>, both orders",
    Expect.REFUSED,
    "catalogue #8",
)
async def _duplicate(ctx: AuditContext, tier: str) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    garbage, valid = ("Authorization", "Bearer garbage"), ("Authorization", f"Bearer {ctx.token}")
    return [
        ctx.request(tier, "garbage first", (garbage, valid), token=ctx.token, breach=Severity.MEDIUM),
        ctx.request(tier, "valid first", (valid, garbage), token=ctx.token, breach=Severity.MEDIUM),
    ]


@case(
    "hdr-comma-joined",
    "header",
    JWT_TIERS,
    "two credentials joined with a comma in one header",
    "Bearer <bad>, Bearer <valid> (and the reverse)",
    Expect.REFUSED,
    "catalogue #9",
)
async def _comma_joined(ctx: AuditContext, tier: str) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    bad = altered(ctx).token
    return [
        ctx.request(
            tier,
            "bad, valid",
            (("Authorization", f"Bearer {bad}, Bearer {ctx.token}"),),
            token=ctx.token,
            breach=Severity.MEDIUM,
        ),
        ctx.request(
            tier,
            "valid, bad",
            (("Authorization", f"Bearer {ctx.token}, Bearer {bad}"),),
            token=ctx.token,
            breach=Severity.MEDIUM,
        ),
    ]


@case(
    "hdr-token-trailing-junk",
    "header",
    JWT_TIERS,
    "the valid token with a trailing dot, %20, NUL or a fold",
    "Bearer <valid>. / <valid>%20 / <valid>\\0 / <valid> + obs-fold line (raw socket) / <valid> + bare LF",
    "401, or 400 from the HTTP layer; a bare LF may end the line (RFC 9112 2.2), so that one may pass",
    "catalogue #10",
)
async def _trailing_junk(ctx: AuditContext, tier: str) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    token = ctx.token
    return [
        ctx.request(
            tier, "trailing dot", (("Authorization", f"Bearer {token}."),), token=token, breach=Severity.MEDIUM
        ),
        ctx.request(
            tier, "trailing %20", (("Authorization", f"Bearer {token}%20"),), token=token, breach=Severity.MEDIUM
        ),
        ctx.request(
            tier,
            "trailing NUL",
            (("Authorization", f"Bearer {token}\x00"),),
            token=token,
            breach=Severity.MEDIUM,
            raw=True,
            expect=Expect.REFUSED_OR_REJECTED,
        ),
        ctx.request(
            tier,
            "obs-fold continuation",
            (("Authorization", f"Bearer {token}\r\n extra"),),
            token=token,
            breach=Severity.MEDIUM,
            raw=True,
            expect=Expect.REFUSED_OR_REJECTED,
        ),
        ctx.request(
            tier,
            "bare LF",
            (("Authorization", f"Bearer {token}\n"),),
            token=token,
            raw=True,
            expect=Expect.CLEAN_EITHER,
        ),
    ]


@case(
    "hdr-segment-count",
    "header",
    JWT_TIERS,
    "tokens with one, two or four dot-separated segments",
    "header / header.payload / header.payload.signature.extra",
    Expect.REFUSED,
    "catalogue #11",
)
async def _segment_count(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    head, body, _signature = ctx.forge.token.split(".")
    four = ctx.forge.damaged(f"{ctx.forge.token}.e30", "four segments: the genuine token plus one")
    return [
        *_bearers(
            ctx,
            tier,
            [
                ("one segment", ctx.forge.damaged(head, "header only")),
                ("two segments", ctx.forge.damaged(f"{head}.{body}", "no signature segment")),
            ],
        ),
        ctx.bearer(tier, "four segments", four.token, note=four.note, breach=Severity.MEDIUM),
    ]


@case(
    "hdr-undecodable-token",
    "header",
    JWT_TIERS,
    "invalid base64, a header that is not JSON, a list payload",
    "!!!.@@@.### / b64('not json').payload.sig / header.b64('[1,2]').sig",
    Expect.REFUSED,
    "catalogue #12",
)
async def _undecodable(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    list_payload = (
        forge.real(claims="[1,2]")
        if forge.secret is not None
        else forge.keep_signature(claims="[1,2]", signing="list payload, original signature kept")
    )
    not_json_head = forge.damaged(f"{b64url(b'not json')}.{forge.token.split('.', 1)[1]}", "header is not JSON")
    return _bearers(
        ctx,
        tier,
        [
            ("invalid base64", forge.damaged("!!!.@@@.###", "invalid base64")),
            ("header not JSON", not_json_head),
            ("payload is a list", list_payload),
        ],
    )


@case(
    "hdr-oversized-token",
    "header",
    JWT_TIERS,
    "a 100 KB token",
    "Bearer <header.payload.+100 KB>",
    Expect.REFUSED_OR_REJECTED,
    "catalogue #13",
)
async def _oversized(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    head, body, _signature = ctx.forge.token.split(".")
    big = ctx.forge.damaged(f"{head}.{body}.{'A' * 100 * 1024}", "100 KB signature")
    return [ctx.bearer(tier, "100 KB", big.token, note=big.note, expect=Expect.REFUSED_OR_REJECTED)]


@case(
    "hdr-token-elsewhere",
    "header",
    JWT_TIERS,
    "the valid token only in a cookie or a query parameter",
    "Cookie: token=<valid>; access_token=…; jwt=… / ?token=<valid>&access_token=<valid>",
    Expect.REFUSED,
    "catalogue #14",
)
async def _token_elsewhere(ctx: AuditContext, tier: str) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    token = ctx.token
    cookie = f"token={token}; access_token={token}; jwt={token}; auth_token={token}"
    query_url = f"{ctx.chat_url(tier)}&token={token}&access_token={token}"
    return [
        ctx.request(tier, "cookie", (("Cookie", cookie),), token=token, breach=Severity.MEDIUM),
        ctx.request(tier, "query parameter", token=token, breach=Severity.MEDIUM, url=query_url),
    ]


# ================================================================= signature and algorithm
@case(
    "sig-altered-signature",
    "signature",
    JWT_TIERS,
    "the signature's bytes changed",
    "<header>.<payload>.<signature with its last or first byte flipped>",
    Expect.REFUSED,
    "catalogue #15",
)
async def _altered_signature(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    head, body, signature = ctx.forge.token.split(".")
    first = ctx.forge.damaged(f"{head}.{body}.{_flip_byte(signature, 0)}", "signature: first byte flipped")
    return _bearers(ctx, tier, [("last byte", altered(ctx)), ("first byte", first)])


@case(
    "sig-payload-edited",
    "signature",
    JWT_TIERS,
    "claims edited, the original signature kept",
    "user_id, role or exp changed; genuine signature pasted back",
    Expect.REFUSED,
    "catalogue #16",
)
async def _payload_edited(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    other = ctx.forbidden_user_id or (ctx.user_id or 1) + 1
    return _bearers(
        ctx,
        tier,
        [
            ("user_id changed", forge.keep_signature(claims=forge.with_claims(user_id=other))),
            ("role changed", forge.keep_signature(claims=forge.with_claims(role="superuser"))),
            ("exp extended", forge.keep_signature(claims=forge.with_claims(exp=int(time.time()) + 10 * 365 * 86400))),
        ],
    )


@case(
    "sig-alg-none-variants",
    "signature",
    JWT_TIERS,
    "alg none in four spellings, empty signature",
    "alg none / None / NONE / nOnE, signature empty (and one with the original signature)",
    Expect.REFUSED,
    "catalogue #17",
)
async def _alg_none(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    forged = [
        (f"alg {alg}", forge.make(f"alg {alg}, empty signature", header={"alg": alg, "typ": "JWT"}))
        for alg in ("none", "None", "NONE", "nOnE")
    ]
    forged.append(("alg none + signature", forge.keep_signature(header={"alg": "none", "typ": "JWT"})))
    return _bearers(ctx, tier, forged)


@case(
    "sig-null-signature",
    "signature",
    JWT_TIERS,
    "the genuine header and payload with an empty signature",
    "<header>.<payload>.",
    Expect.REFUSED,
    "catalogue #18",
)
async def _null_signature(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    head, body, _signature = ctx.forge.token.split(".")
    return _bearers(ctx, tier, [("empty signature", ctx.forge.damaged(f"{head}.{body}.", "empty signature"))])


@case(
    "sig-empty-secret",
    "signature",
    JWT_TIERS,
    "HS256 signed with an empty secret",
    "genuine claims, HMAC key ''",
    Expect.REFUSED,
    "catalogue #19",
)
async def _empty_secret(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    return _bearers(ctx, tier, [("empty key", ctx.forge.make("HS256 with an empty key", key=b""))])


@case(
    "sig-weak-secrets",
    "signature",
    JWT_TIERS,
    "HS256 signed with common weak secrets",
    f"genuine claims, HMAC keys {', '.join(WEAK_SECRETS)}",
    Expect.REFUSED,
    "catalogue #20",
)
async def _weak_secrets(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    return _bearers(
        ctx,
        tier,
        [
            (f"key {weak!r}", forge.make(f"HS256 with the weak key {weak!r}", key=weak.encode()))
            for weak in WEAK_SECRETS
        ],
    )


@case(
    "sig-alg-not-pinned",
    "signature",
    JWT_TIERS,
    "HS384 / HS512 signed with the real secret",
    "genuine claims, alg HS384 or HS512, real key",
    "401: the algorithm is pinned to HS256",
    "catalogue #21",
)
async def _alg_not_pinned(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    if ctx.forge.secret is None:
        return NO_SECRET
    forge = ctx.forge
    return _bearers(
        ctx,
        tier,
        [(alg, forge.real(header={"alg": alg, "typ": "JWT"}, alg=alg)) for alg in ("HS384", "HS512")],
        breach=Severity.MEDIUM,
    )


@case(
    "sig-jwk-embedded",
    "signature",
    JWT_TIERS,
    "RS256 with the attacker's public key embedded as jwk",
    "header {alg: RS256, jwk: <attacker key>}, signed with the attacker key",
    Expect.REFUSED,
    "catalogue #22",
)
async def _jwk_embedded(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    header = {"alg": "RS256", "typ": "JWT", "jwk": public_jwk(forge.attacker)}
    return _bearers(
        ctx,
        tier,
        [("embedded jwk", forge.make("RS256 with the attacker key", header=header, alg="RS256", key=forge.attacker))],
    )


@case(
    "sig-jku-x5u",
    "signature",
    JWT_TIERS,
    "jku / x5u pointing at a listener the audit runs",
    "header {alg: RS256, jku|x5u: http://127.0.0.1:<port>/…}, signed with the attacker key",
    "401, and the listener is never fetched",
    "catalogue #23",
)
async def _jku_x5u(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None or ctx.canary is None:
        return NO_TOKEN
    forge, probes = ctx.forge, []
    for field_name, suffix in (("jku", "json"), ("x5u", "pem")):
        url = ctx.canary.url(f"{tier}-{field_name}.{suffix}")
        header = {"alg": "RS256", "typ": "JWT", field_name: url, "kid": "chatmigrate-audit"}
        forged = forge.make(
            f"RS256 with the attacker key, {field_name} to the audit's listener",
            header=header,
            alg="RS256",
            key=forge.attacker,
        )
        probes.append(ctx.bearer(tier, field_name, forged.token, note=forged.note, canary=url))
    return probes


@case(
    "sig-kid-path-traversal",
    "signature",
    JWT_TIERS,
    "kid pointing at /dev/null, signed with an empty key",
    "kid ../../../../../../dev/null and /dev/null, HMAC key ''",
    Expect.REFUSED,
    "catalogue #24",
)
async def _kid_traversal(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    return _bearers(
        ctx,
        tier,
        [
            (
                kid,
                forge.make(
                    f"HS256 with an empty key, kid {kid!r}", header={"alg": "HS256", "typ": "JWT", "kid": kid}, key=b""
                ),
            )
            for kid in ("../../../../../../../dev/null", "/dev/null")
        ],
    )


@case(
    "sig-kid-sql-injection",
    "signature",
    JWT_TIERS,
    "kid carrying SQL, signed with the key the SQL selects",
    "kid x' UNION SELECT '1' -- , HMAC key '1'",
    Expect.REFUSED,
    "catalogue #25",
)
async def _kid_sql(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    kids = ("x' UNION SELECT '1' -- ", "' OR '1'='1")
    return _bearers(
        ctx,
        tier,
        [
            (
                kid,
                forge.make(
                    f"HS256 with key '1', kid {kid!r}", header={"alg": "HS256", "typ": "JWT", "kid": kid}, key=b"1"
                ),
            )
            for kid in kids
        ],
    )


@case(
    "sig-kid-command-injection",
    "signature",
    JWT_TIERS,
    "kid carrying a shell command that sleeps 10 s",
    "kid |sleep 10, $(sleep 10), `sleep 10`, ;sleep 10",
    "401 without the injected delay (latency vs run median)",
    "catalogue #26",
)
async def _kid_command(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge, probes = ctx.forge, []
    for kid in ("|sleep 10", "$(sleep 10)", "`sleep 10`", ";sleep 10"):
        forged = forge.make(
            f"HS256 with an empty key, kid {kid!r}", header={"alg": "HS256", "typ": "JWT", "kid": kid}, key=b""
        )
        probes.append(ctx.bearer(tier, kid, forged.token, note=forged.note, timed=True))
    return probes


@case(
    "sig-crit-unknown",
    "signature",
    JWT_TIERS,
    "an otherwise valid token with an unknown critical header",
    "header {crit: [x], x: y}, real key",
    Expect.REFUSED,
    "catalogue #27",
)
async def _crit(ctx: AuditContext, tier: str) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    if ctx.forge.secret is None:
        return NO_SECRET
    forged = ctx.forge.real(header={"alg": "HS256", "typ": "JWT", "crit": ["x"], "x": "y"})
    return _bearers(ctx, tier, [("crit [x]", forged)], breach=Severity.MEDIUM)


# ================================================================= claims (signed with the real key)
def _real(ctx: AuditContext) -> Forge | NotApplicable:
    if ctx.forge is None:
        return NO_TOKEN
    if ctx.forge.secret is None:
        return NO_SECRET
    return ctx.forge


@case(
    "claim-exp-past",
    "claims",
    JWT_TIERS,
    "exp an hour in the past",
    "real key, exp = now - 3600",
    Expect.REFUSED,
    "catalogue #28",
)
async def _exp_past(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    now = int(time.time())
    return _bearers(ctx, tier, [("exp past", forge.real(claims=forge.with_claims(exp=now - 3600, iat=now - 7200)))])


@case(
    "claim-exp-beyond-leeway",
    "claims",
    JWT_TIERS,
    "exp just beyond the declared leeway",
    "real key, exp = now - leeway - 5 s",
    Expect.REFUSED,
    "catalogue #29",
)
async def _exp_leeway(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    now = int(time.time())
    claims = forge.with_claims(exp=now - ctx.target.leeway - 5, iat=now - 900)
    return _bearers(ctx, tier, [(f"leeway {ctx.target.leeway}s + 5s", forge.real(claims=claims))])


@case(
    "claim-exp-missing", "claims", JWT_TIERS, "no exp claim", "real key, exp removed", Expect.REFUSED, "catalogue #30"
)
async def _exp_missing(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    return _bearers(ctx, tier, [("no exp", forge.real(claims=forge.with_claims(exp=DROP)))])


TIME_VALUES = ("null", "true", "false", "[]", "{}", '"x"', "1e999")


@case(
    "claim-time-types",
    "claims",
    JWT_TIERS,
    "exp / iat / nbf as null, booleans, [], {}, a string, 1e999",
    "real key, the raw JSON value in the payload",
    Expect.REFUSED,
    "catalogue #31",
)
async def _time_types(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    forged = []
    for name in ("exp", "iat", "nbf"):
        for value in TIME_VALUES:
            claims = forge.with_claims(**{name: "__VALUE__"})
            raw = compact_json(claims).replace('"__VALUE__"', value)
            breach = Severity.CRITICAL if name == "exp" else Severity.MEDIUM
            forged.append((f"{name}={value}", forge.real(claims=raw), breach))
    return [ctx.bearer(tier, label, item.token, note=item.note, breach=breach) for label, item, breach in forged]


@case(
    "claim-nbf-future",
    "claims",
    JWT_TIERS,
    "nbf an hour in the future",
    "real key, nbf = now + 3600",
    Expect.REFUSED,
    "catalogue #32",
)
async def _nbf_future(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    return _bearers(ctx, tier, [("nbf future", forge.real(claims=forge.with_claims(nbf=int(time.time()) + 3600)))])


@case(
    "claim-iat-future",
    "claims",
    JWT_TIERS,
    "iat an hour in the future",
    "real key, iat = now + 3600",
    Expect.REFUSED,
    "catalogue #33",
)
async def _iat_future(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    forged = forge.real(claims=forge.with_claims(iat=int(time.time()) + 3600))
    return _bearers(ctx, tier, [("iat future", forged)], breach=Severity.MEDIUM)


ODD_VALUES: tuple[Any, ...] = (None, True, False, 0, "x")


@case(
    "claim-odd-types",
    "claims",
    JWT_TIERS,
    "username / email / role set to null, true, false, 0, a string",
    "real key, one descriptive claim replaced",
    Expect.CLEAN_EITHER,
    "catalogue #34",
)
async def _odd_types(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    forged = [
        (f"{name}={json.dumps(value)}", forge.real(claims=forge.with_claims(**{name: value})))
        for name in ("username", "email", "role")
        for value in ODD_VALUES
    ]
    return _bearers(ctx, tier, forged, expect=Expect.CLEAN_EITHER)


@case(
    "claim-role-raised",
    "claims",
    JWT_TIERS,
    "a non-staff token with role raised to admin",
    "the non-staff principal's token, role=admin, its original signature kept",
    Expect.REFUSED,
    "catalogue #35",
)
async def _role_raised(ctx: AuditContext, tier: str) -> Built:
    if ctx.forbidden_token is None or ctx.forge is None:
        return NO_FORBIDDEN
    head, _body, signature = ctx.forbidden_token.split(".")
    claims = json.loads(b64url_decode(ctx.forbidden_token.split(".")[1]))
    claims["role"] = "admin"
    token = f"{head}.{b64url(compact_json(claims).encode())}.{signature}"
    forged = ctx.forge.damaged(token, "non-staff token, role raised, original signature kept")
    return _bearers(ctx, tier, [("role=admin", forged)])


@case(
    "claim-non-staff-role",
    "claims",
    JWT_TIERS,
    "a genuine token of a principal that may not use the API",
    "the non-staff principal's own valid token",
    Expect.FORBIDDEN,
    "catalogue #36",
)
async def _non_staff(ctx: AuditContext, tier: str) -> Built:
    if ctx.forbidden_token is None:
        return NO_FORBIDDEN
    return [ctx.bearer(tier, "non-staff", ctx.forbidden_token, expect=Expect.FORBIDDEN)]


@case(
    "claim-unknown-user",
    "claims",
    JWT_TIERS,
    "user_id of no user",
    "real key, user_id = 987654321",
    Expect.REFUSED,
    "catalogue #37",
)
async def _unknown_user(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    return _bearers(ctx, tier, [("user 987654321", forge.real(claims=forge.with_claims(user_id=987654321)))])


@case(
    "claim-inactive-user",
    "claims",
    JWT_TIERS,
    "user_id of a deactivated user",
    "real key, user_id of the inactive account",
    Expect.REFUSED,
    "catalogue #38",
)
async def _inactive_user(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    if ctx.target.inactive_user_id is None:
        return NotApplicable("needs the id of a deactivated user (inactive_user_id)")
    claims = forge.with_claims(user_id=ctx.target.inactive_user_id)
    return _bearers(ctx, tier, [("inactive user", forge.real(claims=claims))])


@case(
    "claim-user-id-types",
    "claims",
    JWT_TIERS,
    "user_id as a string, a boolean, -1, huge, SQL text",
    'real key, user_id = "<id>", true, 1.0, -1, 2**64, 10**30, "1 OR 1=1"',
    Expect.REFUSED,
    "catalogue #39",
)
async def _user_id_types(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    own = ctx.user_id or 1
    lenient: list[tuple[str, Any]] = [("string id", str(own)), ("float id", float(own))]
    if own == 1:
        lenient.append(("true", True))
    hostile: list[tuple[str, Any]] = [
        ("-1", -1),
        ("2**64", 2**64),
        ("10**30", 10**30),
        ("SQL", "1 OR 1=1"),
        ("zero", 0),
    ]
    probes = _bearers(
        ctx,
        tier,
        [(label, forge.real(claims=forge.with_claims(user_id=value))) for label, value in lenient],
        breach=Severity.MEDIUM,
    )
    return probes + _bearers(
        ctx, tier, [(label, forge.real(claims=forge.with_claims(user_id=value))) for label, value in hostile]
    )


@case(
    "claim-iss-aud",
    "claims",
    JWT_TIERS,
    "a foreign audience or issuer",
    "real key, aud = https://evil.example; iss = https://evil.example",
    "aud: 401; iss: 401 when the target declares an issuer, otherwise either answer, clean",
    "catalogue #40",
)
async def _iss_aud(ctx: AuditContext, tier: str) -> Built:
    forge = _real(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    aud = forge.real(claims=forge.with_claims(aud=EVIL_ORIGIN))
    iss = forge.real(claims=forge.with_claims(iss=EVIL_ORIGIN))
    iss_expect = Expect.REFUSED if ctx.target.issuer else Expect.CLEAN_EITHER
    return [
        ctx.bearer(tier, "foreign aud", aud.token, note=aud.note, breach=Severity.HIGH),
        ctx.bearer(tier, "foreign iss", iss.token, note=iss.note, breach=Severity.HIGH, expect=iss_expect),
    ]


@dataclass(frozen=True, slots=True)
class PasswordChange:
    token_before: str = field(repr=False)
    session_before: LegacySession


async def password_change(ctx: AuditContext) -> PasswordChange | NotApplicable:
    """Set the spare principal's password to the same value: Django still rotates the session hash."""
    target = ctx.target
    spare = target.spare_principal
    if spare is None:
        return NotApplicable("needs a spare staff principal whose password may be set again (spare_principal)")
    if not (target.token_url and target.old_url):
        return NotApplicable("needs both the JWT API and the legacy admin (password change is a legacy view)")
    token = await ctx.obtain_token(spare, "SPARE_TOKEN")
    before = await ctx.login(spare)
    changer = await ctx.login(spare)
    if before is None or changer is None:
        return NotApplicable(f"cannot log in as the spare principal {spare.username!r}")
    url = f"{target.old_url}{target.password_change_path}"
    form = {
        "old_password": spare.password,
        "new_password1": spare.password,
        "new_password2": spare.password,
        "csrfmiddlewaretoken": changer.csrftoken,
    }
    answer = await ctx.post_form(url, form, changer)
    if answer.status_code != 200:
        return NotApplicable(f"the password change at {target.password_change_path} answered {answer.status_code}")
    return PasswordChange(token, before)


@case(
    "claim-token-after-password-change",
    "claims",
    JWT_TIERS,
    "a token issued before a password change",
    "the spare principal's token from before its password was set again",
    "documented: 200 when there is no revocation (the default), 401 when the target revokes",
    "catalogue #41",
)
async def _token_after_change(ctx: AuditContext, tier: str) -> Built:
    change = await ctx.once("password-change", lambda: password_change(ctx))
    if isinstance(change, NotApplicable):
        return change
    expect = Expect.REFUSED if ctx.target.revocation else Expect.ACCEPTED
    return [ctx.bearer(tier, "token before change", change.token_before, expect=expect, breach=Severity.HIGH)]


# ================================================================= every operation
@case(
    "op-every-operation-unauthenticated",
    "operations",
    JWT_TIERS,
    "every authenticated operation with no auth and with invalid auth",
    "each request type (and POST send when writes are allowed) without and with a bad-signature token",
    Expect.REFUSED,
    "catalogue #43",
)
async def _every_operation(ctx: AuditContext, tier: str) -> Built:
    bad = altered(ctx) if ctx.forge is not None else None
    probes: list[Probe] = []
    for request_type in ("recent_messages", "purchases_list", "chat_list"):
        url = ctx.chat_url(tier, request_type)
        probes.append(ctx.request(tier, f"{request_type} no auth", url=url))
        if bad is not None:
            probes.append(ctx.bearer(tier, f"{request_type} bad signature", bad.token, note=bad.note, url=url))
    if tier == "new" and ctx.target.allow_writes:
        body = json.dumps({"chatroom_id": ctx.chatroom_id, "message": "chatmigrate audit: must not be stored"})
        send_url = f"{ctx.target.new_url}{ctx.target.new_send_path}"
        credentials: list[tuple[str, tuple[tuple[str, str], ...], str | None]] = [("no auth", (), None)]
        if bad is not None:
            credentials.append(("bad signature", (("Authorization", f"Bearer {bad.token}"),), bad.token))
        for label, headers, token in credentials:
            probes.append(
                HttpProbe(
                    label=f"send {label}",
                    method="POST",
                    url=send_url,
                    expect=Expect.REFUSED,
                    headers=(("Content-Type", "application/json"), *headers),
                    body=body.encode(),
                    token=token,
                )
            )
    return probes


# ================================================================= proxy tier
@case(
    "proxy-session-cookie-fallback",
    "proxy",
    JWT_TIERS,
    "a bad bearer token next to a valid session cookie",
    "Authorization: Bearer <bad> + Cookie: sessionid=<valid>",
    "401: cookies are never a fallback credential",
)
async def _cookie_fallback(ctx: AuditContext, tier: str) -> Built:
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


@case(
    "proxy-identity-headers",
    "proxy",
    JWT_TIERS,
    "identity headers a proxy might trust, without a token",
    "X-Forwarded-User, X-Remote-User, X-User-Id, X-Auth-Request-User naming the admin",
    "401: identity comes from the token only (a non-ASCII name goes as raw UTF-8 bytes: a 400 is safe too)",
)
async def _identity_headers(ctx: AuditContext, tier: str) -> Built:
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


# ================================================================= legacy session and CSRF
def _session_probe(
    ctx: AuditContext,
    label: str,
    cookie: str | None,
    *,
    breach: Severity = Severity.CRITICAL,
    headers: tuple[tuple[str, str], ...] = (),
    token: str | None = None,
) -> HttpProbe:
    all_headers = ((("Cookie", cookie),) if cookie else ()) + headers
    return HttpProbe(
        label=label,
        method="GET",
        url=ctx.chat_url("old"),
        expect=Expect.LOGIN_REDIRECT,
        headers=all_headers,
        breach=breach,
        token=token,
    )


@case(
    "legacy-no-cookie",
    "legacy",
    ("old",),
    "the legacy chat view with no cookie",
    "GET /admin/chat/ without cookies",
    Expect.LOGIN_REDIRECT,
    "catalogue #44",
)
async def _legacy_no_cookie(ctx: AuditContext, tier: str) -> Built:
    return [_session_probe(ctx, "no cookie", None)]


@case(
    "legacy-tampered-session",
    "legacy",
    ("old",),
    "a tampered, random, oversized or SQL sessionid",
    "sessionid with one character changed / 32 random / 200 random / ' OR '1'='1",
    Expect.LOGIN_REDIRECT,
    "catalogue #45",
)
async def _legacy_tampered(ctx: AuditContext, tier: str) -> Built:
    alphabet = string.ascii_lowercase + string.digits
    values = [
        ("random", "".join(secrets.choice(alphabet) for _ in range(32))),
        ("oversized", "".join(secrets.choice(alphabet) for _ in range(200))),
        ("SQL", quote("' OR '1'='1")),
    ]
    if ctx.session is not None:
        real = ctx.session.sessionid
        tampered = real[:-1] + ("a" if real[-1] != "a" else "b")
        ctx.remember(tampered, "TAMPERED_SESSIONID")
        values.insert(0, ("one character changed", tampered))
    return [_session_probe(ctx, label, f"sessionid={value}") for label, value in values]


@case(
    "legacy-deleted-session",
    "legacy",
    ("old",),
    "a session that was logged out",
    "log in, POST /admin/logout/, reuse the old sessionid",
    Expect.LOGIN_REDIRECT,
    "catalogue #46",
)
async def _legacy_deleted(ctx: AuditContext, tier: str) -> Built:
    session = await ctx.login(ctx.target.principal) if ctx.target.principal else None
    if session is None:
        return NO_SESSION
    url = f"{ctx.target.old_url}{ctx.target.logout_path}"
    answer = await ctx.post_form(url, {"csrfmiddlewaretoken": session.csrftoken}, session)
    if answer.status_code >= 400:
        return NotApplicable(f"logout at {ctx.target.logout_path} answered {answer.status_code}")
    return [_session_probe(ctx, "after logout", f"sessionid={session.sessionid}")]


@case(
    "legacy-non-staff-session",
    "legacy",
    ("old",),
    "the session of a valid user who is not staff",
    "log in as the non-staff principal (admin and site login), GET /admin/chat/",
    Expect.LOGIN_REDIRECT,
    "catalogue #47",
)
async def _legacy_non_staff(ctx: AuditContext, tier: str) -> Built:
    """Django's admin login refuses non-staff users; without a session this would only repeat the no-cookie case."""
    principal = ctx.target.forbidden_principal
    if principal is None:
        return NO_FORBIDDEN
    probes = []
    for label, path in (("admin login", None), ("site login", ctx.target.site_login_path)):
        if label == "site login" and path is None:
            continue
        session = await ctx.login(principal, path)
        if session is not None:
            probes.append(_session_probe(ctx, f"non-staff via {label}", f"sessionid={session.sessionid}"))
    return probes or NotApplicable(
        "no login gave the non-staff principal a session (the admin login refuses non-staff users; "
        "set site_login_path to a login view that accepts any active user)"
    )


@case(
    "legacy-session-before-password-change",
    "legacy",
    ("old",),
    "a session created before a password change",
    "the spare principal's earlier session after its password was set again",
    Expect.LOGIN_REDIRECT,
    "catalogue #48",
)
async def _legacy_before_change(ctx: AuditContext, tier: str) -> Built:
    change = await ctx.once("password-change", lambda: password_change(ctx))
    if isinstance(change, NotApplicable):
        return change
    return [_session_probe(ctx, "stale session", f"sessionid={change.session_before.sessionid}")]


def _csrf_probe(
    ctx: AuditContext,
    label: str,
    reason: str,
    *,
    cookie: str | None,
    token: str | None,
    headers: tuple[tuple[str, str], ...] = (),
) -> HttpProbe:
    """A login POST whose only defect is the CSRF one; a wrong password, since the CSRF check comes first."""
    form = {"username": ctx.username, "password": NOT_A_PASSWORD, "next": ctx.target.old_chat_path}
    if token is not None:
        form["csrfmiddlewaretoken"] = token
    body = "&".join(f"{quote(key)}={quote(value, safe='')}" for key, value in form.items())
    all_headers = (
        ("Content-Type", "application/x-www-form-urlencoded"),
        *((("Cookie", f"csrftoken={cookie}"),) if cookie is not None else ()),
        *headers,
    )
    return HttpProbe(
        label=label,
        method="POST",
        url=f"{ctx.target.old_url}{ctx.target.login_path}",
        expect=Expect.CSRF_REJECTED,
        headers=all_headers,
        body=body.encode(),
        reason=reason,
        breach=Severity.HIGH,
    )


def _referer(ctx: AuditContext) -> tuple[tuple[str, str], ...]:
    return (("Referer", f"{ctx.target.old_url}{ctx.target.login_path}"),)


@case(
    "legacy-csrf-cookie-missing",
    "legacy",
    ("old",),
    "a login POST without the csrftoken cookie",
    "POST /admin/login/ with the form token but no cookie",
    "403 'CSRF cookie not set.'",
    "catalogue #49",
)
async def _csrf_cookie_missing(ctx: AuditContext, tier: str) -> Built:
    _cookie, token = await ctx.csrf_form()
    return [_csrf_probe(ctx, "no cookie", "CSRF cookie not set.", cookie=None, token=token, headers=_referer(ctx))]


@case(
    "legacy-csrf-token-missing",
    "legacy",
    ("old",),
    "a login POST with the cookie but no token",
    "POST /admin/login/ with csrftoken cookie, no csrfmiddlewaretoken, no X-CSRFToken",
    "403 'CSRF token missing.'",
    "catalogue #50",
)
async def _csrf_token_missing(ctx: AuditContext, tier: str) -> Built:
    cookie, _token = await ctx.csrf_form()
    return [_csrf_probe(ctx, "no token", "CSRF token missing.", cookie=cookie, token=None, headers=_referer(ctx))]


@case(
    "legacy-csrf-token-malformed",
    "legacy",
    ("old",),
    "a CSRF token of the wrong length, bad characters, or wrong",
    "csrfmiddlewaretoken 'abc' / 64 chars with '!' / a well-formed token for another secret",
    "403 with Django's matching reason",
    "catalogue #51",
)
async def _csrf_malformed(ctx: AuditContext, tier: str) -> Built:
    cookie, _token = await ctx.csrf_form()
    other = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(64))
    cases = (
        ("wrong length", "abc", "CSRF token from POST has incorrect length."),
        ("invalid characters", "!" * 64, "CSRF token from POST has invalid characters."),
        ("incorrect", other, "CSRF token from POST incorrect."),
    )
    return [
        _csrf_probe(ctx, label, reason, cookie=cookie, token=value, headers=_referer(ctx))
        for label, value, reason in cases
    ]


@case(
    "legacy-csrf-bad-origin",
    "legacy",
    ("old",),
    "a foreign Origin, or no Referer on a secure request",
    "Origin: https://evil.example / X-Forwarded-Proto: https without Referer",
    "403 'Origin checking failed - …' / 'Referer checking failed - no Referer.'",
    "catalogue #52",
)
async def _csrf_origin(ctx: AuditContext, tier: str) -> Built:
    cookie, token = await ctx.csrf_form()
    return [
        _csrf_probe(
            ctx,
            "foreign Origin",
            f"Origin checking failed - {EVIL_ORIGIN} does not match any trusted origins.",
            cookie=cookie,
            token=token,
            headers=(("Origin", EVIL_ORIGIN),),
        ),
        _csrf_probe(
            ctx,
            "secure, no Referer",
            "Referer checking failed - no Referer.",
            cookie=cookie,
            token=token,
            headers=(("X-Forwarded-Proto", "https"),),
        ),
    ]


@case(
    "legacy-sessionid-on-jwt-tier",
    "legacy",
    JWT_TIERS,
    "a valid session cookie sent to the JWT tier",
    "Cookie: sessionid=<valid>; csrftoken=… and no Authorization",
    Expect.REFUSED,
    "catalogue #53",
)
async def _session_on_jwt(ctx: AuditContext, tier: str) -> Built:
    if ctx.session is None:
        return NO_SESSION
    cookie = f"sessionid={ctx.session.sessionid}; csrftoken={ctx.session.csrftoken}"
    return [ctx.request(tier, "session cookie", (("Cookie", cookie),))]


@case(
    "legacy-jwt-on-legacy-tier",
    "legacy",
    ("old",),
    "a valid JWT sent to the legacy chat view",
    "Authorization: Bearer <valid>, no cookie",
    Expect.LOGIN_REDIRECT,
    "catalogue #54",
)
async def _jwt_on_legacy(ctx: AuditContext, tier: str) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    return [
        _session_probe(
            ctx,
            "bearer token",
            None,
            headers=(("Authorization", f"Bearer {ctx.token}"),),
            token=ctx.token,
            breach=Severity.MEDIUM,
        )
    ]


# ================================================================= WebSocket
def _ws_ready(ctx: AuditContext) -> NotApplicable | None:
    if ctx.player_id is None:
        return NotApplicable("no chatroom discovered for the WebSocket")
    if ctx.target.ws_auth == "jwt" and ctx.token is None:
        return NO_TOKEN
    if ctx.user_id is None:
        return NotApplicable("needs the principal's user id (from its token)")
    return None


def _valid_first(ctx: AuditContext) -> str | None:
    """What a legitimate client sends first: the token in jwt mode, nothing in url mode."""
    return _ws_auth(ctx.token) if ctx.target.ws_auth == "jwt" and ctx.token else None


def _ws(
    ctx: AuditContext,
    label: str,
    url: str,
    expect: Expect = Expect.WS_REFUSED,
    *,
    origin: str | None = None,
    first: str | None = None,
    token: str | None = None,
    note: Any = None,
    breach: Severity = Severity.CRITICAL,
    wait: float = 1.5,
) -> WsProbe:
    return WsProbe(
        label=label,
        url=url,
        expect=expect,
        origin=origin,
        first_message=first,
        token=token,
        note=note,
        breach=breach,
        wait=wait,
    )


def _ws_timeout(ctx: AuditContext) -> float:
    return ctx.target.ws_auth_timeout + 2.0


@case(
    "ws-no-user-id",
    "websocket",
    ("ws",),
    "the chat socket without a user_id",
    "url mode: no user_id; jwt mode: no user_id and no auth message",
    Expect.WS_REFUSED,
    "catalogue #55",
)
async def _ws_no_user(ctx: AuditContext, tier: str) -> Built:
    missing = _ws_ready(ctx)
    if missing:
        return missing
    wait = _ws_timeout(ctx) if ctx.target.ws_auth == "jwt" else 1.5
    return [_ws(ctx, "no user_id", ctx.ws_url(query=""), wait=wait)]


@case(
    "ws-impersonate-url",
    "websocket",
    ("ws",),
    "naming another user in the URL",
    "url mode: user_id of the admin with no credential; jwt mode: tokens that do not match the URL's user_id",
    "url mode: reported as impersonation (known-legacy, see docs/audit.md); jwt mode: refused",
    "catalogue #56",
)
async def _ws_impersonate(ctx: AuditContext, tier: str) -> Built:
    missing = _ws_ready(ctx)
    if missing:
        return missing
    probes: list[Probe] = []
    if ctx.target.ws_auth == "url":
        probes.append(_ws(ctx, "admin user_id, no credential", ctx.ws_url(), Expect.WS_URL_TRUSTED))
        if ctx.forbidden_user_id is not None:
            probes.append(_ws(ctx, "non-staff user_id", ctx.ws_url(f"user_id={ctx.forbidden_user_id}")))
        return probes
    assert ctx.token is not None
    probes.append(_ws(ctx, "admin user_id, no credential", ctx.ws_url(), wait=_ws_timeout(ctx)))
    if ctx.forbidden_token is not None:
        probes.append(
            _ws(
                ctx,
                "non-staff token, admin user_id",
                ctx.ws_url(),
                first=_ws_auth(ctx.forbidden_token),
                token=ctx.forbidden_token,
            )
        )
        probes.append(
            _ws(
                ctx,
                "non-staff token, own user_id",
                ctx.ws_url(f"user_id={ctx.forbidden_user_id}"),
                first=_ws_auth(ctx.forbidden_token),
                token=ctx.forbidden_token,
            )
        )
    other = await _other_staff_id(ctx)
    if other is not None:
        probes.append(
            _ws(
                ctx,
                "admin token, another admin's user_id",
                ctx.ws_url(f"user_id={other}"),
                first=_ws_auth(ctx.token),
                token=ctx.token,
                breach=Severity.HIGH,
            )
        )
    return probes


async def _other_staff_id(ctx: AuditContext) -> int | None:
    spare = ctx.target.spare_principal
    if spare is None or ctx.target.token_url is None:
        return None
    token = await ctx.once("spare-token", lambda: ctx.obtain_token(spare, "SPARE_TOKEN"))
    value = json.loads(b64url_decode(token.split(".")[1])).get("user_id")
    return value if isinstance(value, int) and value != ctx.user_id else None


@case(
    "ws-origin-foreign",
    "websocket",
    ("ws",),
    "valid credentials from a foreign browser Origin",
    "Origin: https://evil.example, and the site's origin as a prefix of a foreign host",
    Expect.WS_REFUSED,
    "catalogue #57",
)
async def _ws_origin_foreign(ctx: AuditContext, tier: str) -> Built:
    missing = _ws_ready(ctx)
    if missing:
        return missing
    lookalike = f"{ctx.origin}.evil.example"
    return [
        _ws(ctx, origin, ctx.ws_url(), origin=origin, first=_valid_first(ctx), token=ctx.token, breach=Severity.HIGH)
        for origin in (EVIL_ORIGIN, lookalike)
    ]


@case(
    "ws-origin-null-or-absent",
    "websocket",
    ("ws",),
    "Origin: null, no Origin, and the site's own origin",
    "valid credentials with Origin null / without Origin / with the site's origin",
    "documented: null refused; absent (non-browser client) and own origin connect",
    "catalogue #58",
)
async def _ws_origin_null(ctx: AuditContext, tier: str) -> Built:
    missing = _ws_ready(ctx)
    if missing:
        return missing
    first = _valid_first(ctx)
    return [
        _ws(ctx, "Origin null", ctx.ws_url(), origin="null", first=first, token=ctx.token, breach=Severity.HIGH),
        _ws(ctx, "no Origin", ctx.ws_url(), Expect.WS_ACCEPTED, first=first, token=ctx.token),
        _ws(ctx, "own origin", ctx.ws_url(), Expect.WS_ACCEPTED, origin=ctx.origin, first=first, token=ctx.token),
    ]


def _jwt_mode(ctx: AuditContext) -> NotApplicable | None:
    if ctx.target.ws_auth != "jwt":
        return NotApplicable("url mode: the socket takes no token (see ws-impersonate-url)")
    return _ws_ready(ctx)


@case(
    "ws-jwt-invalid-token",
    "websocket",
    ("ws",),
    "an invalid, expired or alg-none token in the first message",
    "{type: auth, token: <bad signature | expired | alg none>}",
    Expect.WS_REFUSED,
    "catalogue #59",
)
async def _ws_invalid_token(ctx: AuditContext, tier: str) -> Built:
    missing = _jwt_mode(ctx)
    if missing:
        return missing
    forge = ctx.require_forge()
    forged = [
        ("bad signature", altered(ctx)),
        ("alg none", forge.make("alg none, empty signature", header={"alg": "none", "typ": "JWT"})),
    ]
    if forge.secret is not None:
        now = int(time.time())
        forged.append(("expired", forge.real(claims=forge.with_claims(exp=now - 3600, iat=now - 7200))))
    return [
        _ws(ctx, label, ctx.ws_url(), first=_ws_auth(item.token), token=item.token, note=item.note)
        for label, item in forged
    ]


@case(
    "ws-jwt-malformed-first-message",
    "websocket",
    ("ws",),
    "a malformed first message, or none in time",
    "not JSON / {} / {type: auth} / {type: auth, token: null} / a chat message / silence",
    Expect.WS_REFUSED,
    "catalogue #60",
)
async def _ws_malformed(ctx: AuditContext, tier: str) -> Built:
    missing = _jwt_mode(ctx)
    if missing:
        return missing
    messages = (
        ("not JSON", "hello"),
        ("empty object", "{}"),
        ("auth without token", '{"type": "auth"}'),
        ("token null", '{"type": "auth", "token": null}'),
        ("chat message first", '{"type": "message", "message": "hi"}'),
    )
    probes = [_ws(ctx, label, ctx.ws_url(), first=text) for label, text in messages]
    probes.append(_ws(ctx, "no message in time", ctx.ws_url(), wait=_ws_timeout(ctx)))
    return probes


@case(
    "ws-user-id-malformed",
    "websocket",
    ("ws",),
    "user_id repeated, negative or SQL text",
    "user_id=<other>&user_id=<admin> (both orders), -1, 1 OR 1=1",
    Expect.WS_REFUSED,
    "catalogue #61",
)
async def _ws_user_id(ctx: AuditContext, tier: str) -> Built:
    missing = _ws_ready(ctx)
    if missing:
        return missing
    first = _valid_first(ctx)
    own = ctx.user_id
    repeated = [
        ("repeated, admin last", f"user_id=987654321&user_id={own}"),
        ("repeated, admin first", f"user_id={own}&user_id=987654321"),
    ]
    hostile = [("-1", "user_id=-1"), ("SQL", f"user_id={quote('1 OR 1=1')}")]
    return [
        _ws(ctx, label, ctx.ws_url(query), first=first, token=ctx.token, breach=Severity.MEDIUM)
        for label, query in repeated
    ] + [_ws(ctx, label, ctx.ws_url(query), first=first, token=ctx.token) for label, query in hostile]


@case(
    "ws-chatroom-path-malformed",
    "websocket",
    ("ws",),
    "a chatroom path that is not P<number>Chat",
    "P../Chat, Pabc Chat, P0Chat, P-1Chat, a 20-digit id",
    "handshake refused or 44xx close, never 5xx",
    "catalogue #62",
)
async def _ws_room(ctx: AuditContext, tier: str) -> Built:
    missing = _ws_ready(ctx)
    if missing:
        return missing
    first = _valid_first(ctx)
    rooms = ("P..%2FChat", "Pabc%20Chat", "P0Chat", "P-1Chat", f"P{'9' * 20}Chat")
    return [
        _ws(ctx, room, ctx.ws_url(room=room), first=first, token=ctx.token, breach=Severity.MEDIUM) for room in rooms
    ]


# ================================================================= persistence (runs last)
@case(
    "persist-valid-credentials",
    "persistence",
    ("new", "proxy", "old", "ws"),
    "the genuine token, session and socket still work after every other case",
    "the valid credential of each tier, once all other cases have run",
    "200 JSON with data (legacy: the session's JSON; ws: connected)",
    "catalogue #42",
    last=True,
)
async def _persistence(ctx: AuditContext, tier: str) -> Built:
    if tier == "old":
        if ctx.session is None:
            return NO_SESSION
        return [
            HttpProbe(
                label="valid session",
                method="GET",
                url=ctx.chat_url("old"),
                expect=Expect.ACCEPTED,
                headers=(("Cookie", f"sessionid={ctx.session.sessionid}"),),
            )
        ]
    if tier == "ws":
        missing = _ws_ready(ctx)
        if missing:
            return missing
        return [_ws(ctx, "valid socket", ctx.ws_url(), Expect.WS_ACCEPTED, first=_valid_first(ctx), token=ctx.token)]
    if ctx.token is None:
        return NO_TOKEN
    return [ctx.bearer(tier, "valid token", ctx.token, expect=Expect.ACCEPTED)]


# ================================================================= generated (run by the audit, not by a builder)
async def _generated(ctx: AuditContext, tier: str) -> Built:
    return NotApplicable("generated by the audit itself")


MUTATION = Case(
    "mutate-token",
    "mutation",
    ("new",),
    "hypothesis mutations of the genuine token, shrunk to a minimal failing token",
    "bit flips, truncation, claims signed with wrong keys, header fields, time claims of every JSON type",
    "401 envelope, clean; a mutant that decodes to the genuine bytes or has policy-valid time claims "
    "may also be accepted",
    _generated,
    "--seed / --budget",
)
CONTRACT = Case(
    "contract-jwt",
    "contract",
    ("new",),
    "schemathesis run of contracts/openapi-jwt.json",
    "generated requests with the genuine token; ignored_auth replays successes without and with bad auth",
    "no server error, no schema or status violation, auth enforced on every secured operation",
    _generated,
    "schemathesis checks",
)
GENERATED = (MUTATION, CONTRACT)
