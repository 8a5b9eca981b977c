"""Signature and algorithm: tokens whose signature or key must not verify."""

from __future__ import annotations

import time

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import NO_SECRET, NO_TOKEN, altered, bearers, flip_byte
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.forge import WEAK_SECRETS, public_jwk
from chatmigrate.audit.probe import Expect
from chatmigrate.vocab import Severity, Tier

cases = Cases(Group.SIGNATURE)


@cases.case(
    id="sig-altered-signature",
    tiers=JWT_TIERS,
    description="the signature's bytes changed",
    sends="<header>.<payload>.<signature with its last or first byte flipped>",
    expects=Expect.REFUSED,
    tags=(std.RFC7515_VALIDATION, std.RFC8725_VALIDATE_CRYPTO, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_SIGNATURE),
    ref="catalogue #15",
)
async def _altered_signature(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    head, body, signature = ctx.forge.token.split(".")
    first = ctx.forge.damaged(f"{head}.{body}.{flip_byte(signature, 0)}", "signature: first byte flipped")
    return bearers(ctx, tier, [("last byte", altered(ctx)), ("first byte", first)])


@cases.case(
    id="sig-payload-edited",
    tiers=JWT_TIERS,
    description="claims edited, the original signature kept",
    sends="user_id, role or exp changed; genuine signature pasted back",
    expects=Expect.REFUSED,
    tags=(
        std.RFC7519_VALIDATION,
        std.RFC7515_VALIDATION,
        std.RFC8725_VALIDATE_CRYPTO,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_SIGNATURE,
    ),
    ref="catalogue #16",
)
async def _payload_edited(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    other = ctx.forbidden_user_id or (ctx.user_id or 1) + 1
    return bearers(
        ctx,
        tier,
        [
            ("user_id changed", forge.keep_signature(claims=forge.with_claims(user_id=other))),
            ("role changed", forge.keep_signature(claims=forge.with_claims(role="superuser"))),
            ("exp extended", forge.keep_signature(claims=forge.with_claims(exp=int(time.time()) + 10 * 365 * 86400))),
        ],
    )


@cases.case(
    id="sig-alg-none-variants",
    tiers=JWT_TIERS,
    description="alg none in four spellings, empty signature",
    sends="alg none / None / NONE / nOnE, signature empty (and one with the original signature)",
    expects=Expect.REFUSED,
    tags=(
        std.RFC8725_WEAK_SIGNATURES,
        std.RFC8725_VERIFY_ALGORITHM,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_SIGNATURE,
        std.CWE_BROKEN_CRYPTO,
        std.CVE_ALG_NONE,
        std.CVE_ALG_NONE_PHP,
    ),
    ref="catalogue #17",
)
async def _alg_none(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    forged = [
        (f"alg {alg}", forge.make(f"alg {alg}, empty signature", header={"alg": alg, "typ": "JWT"}))
        for alg in ("none", "None", "NONE", "nOnE")
    ]
    forged.append(("alg none + signature", forge.keep_signature(header={"alg": "none", "typ": "JWT"})))
    return bearers(ctx, tier, forged)


@cases.case(
    id="sig-null-signature",
    tiers=JWT_TIERS,
    description="the genuine header and payload with an empty signature",
    sends="<header>.<payload>.",
    expects=Expect.REFUSED,
    tags=(
        std.RFC8725_WEAK_SIGNATURES,
        std.RFC8725_VALIDATE_CRYPTO,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_SIGNATURE,
        std.CVE_NULL_SIGNATURE,
    ),
    ref="catalogue #18",
)
async def _null_signature(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    head, body, _signature = ctx.forge.token.split(".")
    return bearers(ctx, tier, [("empty signature", ctx.forge.damaged(f"{head}.{body}.", "empty signature"))])


@cases.case(
    id="sig-empty-secret",
    tiers=JWT_TIERS,
    description="HS256 signed with an empty secret",
    sends="genuine claims, HMAC key ''",
    expects=Expect.REFUSED,
    tags=(
        std.RFC8725_WEAK_KEYS,
        std.RFC8725_KEY_ENTROPY,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_WEAK_CREDENTIALS,
        std.CVE_BLANK_SECRET,
    ),
    ref="catalogue #19",
)
async def _empty_secret(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    return bearers(ctx, tier, [("empty key", ctx.forge.make("HS256 with an empty key", key=b""))])


@cases.case(
    id="sig-weak-secrets",
    tiers=JWT_TIERS,
    description="HS256 signed with common weak secrets",
    sends=f"genuine claims, HMAC keys {', '.join(WEAK_SECRETS)}",
    expects=Expect.REFUSED,
    tags=(
        std.RFC8725_WEAK_KEYS,
        std.RFC8725_KEY_ENTROPY,
        std.WSTG_JWT,
        std.WSTG_WEAK_CRYPTO,
        std.API_BROKEN_AUTH,
        std.CWE_WEAK_CRYPTO_STRENGTH,
        std.CWE_WEAK_CREDENTIALS,
    ),
    ref="catalogue #20",
)
async def _weak_secrets(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    return bearers(
        ctx,
        tier,
        [
            (f"key {weak!r}", forge.make(f"HS256 with the weak key {weak!r}", key=weak.encode()))
            for weak in WEAK_SECRETS
        ],
    )


@cases.case(
    id="sig-alg-not-pinned",
    tiers=JWT_TIERS,
    description="HS384 / HS512 signed with the real secret",
    sends="genuine claims, alg HS384 or HS512, real key",
    expects="401: the algorithm is pinned to HS256",
    tags=(std.RFC8725_VERIFY_ALGORITHM, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_DOWNGRADE),
    ref="catalogue #21",
)
async def _alg_not_pinned(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    if ctx.forge.secret is None:
        return NO_SECRET
    forge = ctx.forge
    return bearers(
        ctx,
        tier,
        [(alg, forge.real(header={"alg": alg, "typ": "JWT"}, alg=alg)) for alg in ("HS384", "HS512")],
        breach=Severity.MEDIUM,
    )


@cases.case(
    id="sig-jwk-embedded",
    tiers=JWT_TIERS,
    description="RS256 with the attacker's public key embedded as jwk",
    sends="header {alg: RS256, jwk: <attacker key>}, signed with the attacker key",
    expects=Expect.REFUSED,
    tags=(
        std.RFC7515_JWK,
        std.RFC8725_UNTRUSTED_CLAIMS,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_SIGNATURE,
        std.CVE_EMBEDDED_JWK,
    ),
    ref="catalogue #22",
)
async def _jwk_embedded(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    header = {"alg": "RS256", "typ": "JWT", "jwk": public_jwk(forge.attacker)}
    return bearers(
        ctx,
        tier,
        [("embedded jwk", forge.make("RS256 with the attacker key", header=header, alg="RS256", key=forge.attacker))],
    )


@cases.case(
    id="sig-jku-x5u",
    tiers=JWT_TIERS,
    description="jku / x5u pointing at a listener the audit runs",
    sends="header {alg: RS256, jku|x5u: http://127.0.0.1:<port>/…}, signed with the attacker key",
    expects="401, and the listener is never fetched",
    tags=(
        std.RFC7515_JKU,
        std.RFC7515_X5U,
        std.RFC8725_INDIRECT_ATTACKS,
        std.RFC8725_UNTRUSTED_CLAIMS,
        std.WSTG_JWT,
        std.WSTG_SSRF,
        std.API_SSRF,
        std.CWE_SSRF,
    ),
    ref="catalogue #23",
)
async def _jku_x5u(ctx: AuditContext, tier: Tier) -> Built:
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


@cases.case(
    id="sig-kid-path-traversal",
    tiers=JWT_TIERS,
    description="kid pointing at /dev/null, signed with an empty key",
    sends="kid ../../../../../../dev/null and /dev/null, HMAC key ''",
    expects=Expect.REFUSED,
    tags=(std.RFC7515_KID, std.RFC8725_UNTRUSTED_CLAIMS, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_PATH_TRAVERSAL),
    ref="catalogue #24",
)
async def _kid_traversal(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    return bearers(
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


@cases.case(
    id="sig-kid-sql-injection",
    tiers=JWT_TIERS,
    description="kid carrying SQL, signed with the key the SQL selects",
    sends="kid x' UNION SELECT '1' -- , HMAC key '1'",
    expects=Expect.REFUSED,
    tags=(
        std.RFC7515_KID,
        std.RFC8725_INDIRECT_ATTACKS,
        std.WSTG_JWT,
        std.WSTG_SQL_INJECTION,
        std.API_BROKEN_AUTH,
        std.CWE_SQL_INJECTION,
    ),
    ref="catalogue #25",
)
async def _kid_sql(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    kids = ("x' UNION SELECT '1' -- ", "' OR '1'='1")
    return bearers(
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


@cases.case(
    id="sig-kid-command-injection",
    tiers=JWT_TIERS,
    description="kid carrying a shell command that sleeps 10 s",
    sends="kid |sleep 10, $(sleep 10), `sleep 10`, ;sleep 10",
    expects="401 without the injected delay (latency vs run median)",
    tags=(std.RFC7515_KID, std.RFC8725_INDIRECT_ATTACKS, std.WSTG_JWT, std.WSTG_COMMAND_INJECTION, std.CWE_OS_COMMAND),
    ref="catalogue #26",
)
async def _kid_command(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge, probes = ctx.forge, []
    for kid in ("|sleep 10", "$(sleep 10)", "`sleep 10`", ";sleep 10"):
        forged = forge.make(
            f"HS256 with an empty key, kid {kid!r}", header={"alg": "HS256", "typ": "JWT", "kid": kid}, key=b""
        )
        probes.append(ctx.bearer(tier, kid, forged.token, note=forged.note, timed=True))
    return probes


@cases.case(
    id="sig-crit-unknown",
    tiers=JWT_TIERS,
    description="an otherwise valid token with an unknown critical header",
    sends="header {crit: [x], x: y}, real key",
    expects=Expect.REFUSED,
    tags=(std.RFC7515_CRIT, std.WSTG_JWT, std.CWE_INPUT_VALIDATION),
    ref="catalogue #27",
)
async def _crit(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    if ctx.forge.secret is None:
        return NO_SECRET
    forged = ctx.forge.real(header={"alg": "HS256", "typ": "JWT", "crit": ["x"], "x": "y"})
    return bearers(ctx, tier, [("crit [x]", forged)], breach=Severity.MEDIUM)
