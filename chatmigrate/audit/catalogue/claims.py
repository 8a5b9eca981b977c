"""Claims: tokens signed with the real key whose claims must still be refused (or are documented)."""

from __future__ import annotations

import json
import time
from typing import Any

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import EVIL_ORIGIN, NO_FORBIDDEN, bearers, real_forge
from chatmigrate.audit.catalogue.password_change import password_change
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.forge import DROP, b64url, b64url_decode, compact_json
from chatmigrate.audit.policy import JsonType
from chatmigrate.audit.probe import Expect, NotApplicable, Probe
from chatmigrate.vocab import Severity, Tier

cases = Cases(Group.CLAIMS)


@cases.case(
    id="claim-exp-past",
    tiers=JWT_TIERS,
    description="exp an hour in the past",
    sends="real key, exp = now - 3600",
    expects=Expect.REFUSED,
    tags=(std.RFC7519_EXP, std.WSTG_JWT, std.WSTG_SESSION_TIMEOUT, std.API_BROKEN_AUTH, std.CWE_SESSION_EXPIRATION),
    ref="catalogue #28",
)
async def _exp_past(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    now = int(time.time())
    return bearers(ctx, tier, [("exp past", forge.real(claims=forge.with_claims(exp=now - 3600, iat=now - 7200)))])


@cases.case(
    id="claim-exp-beyond-leeway",
    tiers=JWT_TIERS,
    description="exp just beyond the declared leeway",
    sends="real key, exp = now - leeway - 5 s",
    expects=Expect.REFUSED,
    tags=(std.RFC7519_EXP, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_SESSION_EXPIRATION),
    ref="catalogue #29",
)
async def _exp_leeway(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    now = int(time.time())
    claims = forge.with_claims(exp=now - ctx.target.leeway - 5, iat=now - 900)
    return bearers(ctx, tier, [(f"leeway {ctx.target.leeway}s + 5s", forge.real(claims=claims))])


@cases.case(
    id="claim-exp-missing",
    tiers=JWT_TIERS,
    description="no exp claim",
    sends="real key, exp removed",
    expects=Expect.REFUSED,
    tags=(std.RFC7519_EXP, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_SESSION_EXPIRATION),
    ref="catalogue #30",
)
async def _exp_missing(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    return bearers(ctx, tier, [("no exp", forge.real(claims=forge.with_claims(exp=DROP)))])


TIME_VALUES = ("null", "true", "false", "[]", "{}", '"x"', "1e999")


@cases.case(
    id="claim-time-types",
    tiers=JWT_TIERS,
    description="exp / iat / nbf as null, booleans, [], {}, a string, 1e999",
    sends="real key, the raw JSON value in the payload",
    expects=Expect.REFUSED,
    tags=(
        std.RFC7519_EXP,
        std.RFC7519_NBF,
        std.RFC7519_IAT,
        std.WSTG_JWT,
        std.CWE_TYPE_CONFUSION,
        std.CWE_INPUT_VALIDATION,
    ),
    ref="catalogue #31",
)
async def _time_types(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
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


@cases.case(
    id="claim-nbf-future",
    tiers=JWT_TIERS,
    description="nbf an hour in the future",
    sends="real key, nbf = now + 3600",
    expects=Expect.REFUSED,
    tags=(std.RFC7519_NBF, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_AUTHENTICATION),
    ref="catalogue #32",
)
async def _nbf_future(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    return bearers(ctx, tier, [("nbf future", forge.real(claims=forge.with_claims(nbf=int(time.time()) + 3600)))])


@cases.case(
    id="claim-iat-future",
    tiers=JWT_TIERS,
    description="iat an hour in the future",
    sends="real key, iat = now + 3600",
    expects=Expect.REFUSED,
    tags=(std.RFC7519_IAT, std.WSTG_JWT, std.CWE_INPUT_VALIDATION),
    ref="catalogue #33",
)
async def _iat_future(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    forged = forge.real(claims=forge.with_claims(iat=int(time.time()) + 3600))
    return bearers(ctx, tier, [("iat future", forged)], breach=Severity.MEDIUM)


ODD_VALUES: tuple[Any, ...] = (None, True, False, 0, "x")


@cases.case(
    id="claim-odd-types",
    tiers=JWT_TIERS,
    description="username / email / role set to null, true, false, 0, a string",
    sends="real key, one descriptive claim replaced",
    expects=Expect.CLEAN_EITHER,
    tags=(std.RFC7519_VALIDATION, std.WSTG_JWT, std.WSTG_ERROR_HANDLING, std.CWE_TYPE_CONFUSION),
    ref="catalogue #34",
)
async def _odd_types(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    forged = [
        (f"{name}={json.dumps(value)}", forge.real(claims=forge.with_claims(**{name: value})))
        for name in ("username", "email", "role")
        for value in ODD_VALUES
    ]
    return bearers(ctx, tier, forged, expect=Expect.CLEAN_EITHER)


@cases.case(
    id="claim-role-raised",
    tiers=JWT_TIERS,
    description="a non-staff token with role raised to admin",
    sends="the non-staff principal's token, role=admin, its original signature kept",
    expects=Expect.REFUSED,
    tags=(
        std.RFC8725_VALIDATE_CRYPTO,
        std.WSTG_JWT,
        std.WSTG_PRIVILEGE_ESCALATION,
        std.API_BFLA,
        std.CWE_SIGNATURE,
        std.CWE_PRIVILEGES,
    ),
    ref="catalogue #35",
)
async def _role_raised(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forbidden_token is None or ctx.forge is None:
        return NO_FORBIDDEN
    head, _body, signature = ctx.forbidden_token.split(".")
    claims = json.loads(b64url_decode(ctx.forbidden_token.split(".")[1]))
    claims["role"] = "admin"
    token = f"{head}.{b64url(compact_json(claims).encode())}.{signature}"
    forged = ctx.forge.damaged(token, "non-staff token, role raised, original signature kept")
    return bearers(ctx, tier, [("role=admin", forged)])


@cases.case(
    id="claim-non-staff-role",
    tiers=JWT_TIERS,
    description="a genuine token of a principal that may not use the API",
    sends="the non-staff principal's own valid token",
    expects=Expect.FORBIDDEN,
    tags=(std.RFC6750_ERRORS, std.WSTG_AUTHZ_BYPASS, std.API_BFLA, std.CWE_AUTHORIZATION),
    ref="catalogue #36",
)
async def _non_staff(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forbidden_token is None:
        return NO_FORBIDDEN
    return [ctx.bearer(tier, "non-staff", ctx.forbidden_token, expect=Expect.FORBIDDEN)]


@cases.case(
    id="claim-unknown-user",
    tiers=JWT_TIERS,
    description="user_id of no user",
    sends="real key, user_id = 987654321",
    expects=Expect.REFUSED,
    tags=(std.RFC8725_ISSUER_SUBJECT, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_AUTHENTICATION),
    ref="catalogue #37",
)
async def _unknown_user(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    return bearers(ctx, tier, [("user 987654321", forge.real(claims=forge.with_claims(user_id=987654321)))])


@cases.case(
    id="claim-inactive-user",
    tiers=JWT_TIERS,
    description="user_id of a deactivated user",
    sends="real key, user_id of the inactive account",
    expects=Expect.REFUSED,
    tags=(std.RFC8725_ISSUER_SUBJECT, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_AUTHENTICATION),
    ref="catalogue #38",
)
async def _inactive_user(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    if ctx.target.inactive_user_id is None:
        return NotApplicable("needs the id of a deactivated user (inactive_user_id)")
    claims = forge.with_claims(user_id=ctx.target.inactive_user_id)
    return bearers(ctx, tier, [("inactive user", forge.real(claims=claims))])


@cases.case(
    id="claim-user-id-types",
    tiers=JWT_TIERS,
    description="user_id as another JSON type, negative, zero, huge, SQL text",
    sends='real key, user_id = the own id as 1 / "1" / 1.0 / true (other than the genuine type), '
    '-1, 0, 2**64, 10**30, "1 OR 1=1"',
    expects="401 for every id of no user; the own id in a type the policy user_id_types lists (default integer, "
    "string: simplejwt 5.5 issues strings) may be accepted, in another type that is a low type-laxness finding",
    tags=(
        std.RFC8725_ISSUER_SUBJECT,
        std.WSTG_JWT,
        std.WSTG_SQL_INJECTION,
        std.CWE_TYPE_CONFUSION,
        std.CWE_SQL_INJECTION,
    ),
    ref="catalogue #39",
)
async def _user_id_types(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    own = ctx.user_id or 1
    genuine = JsonType.of(forge.claims.get("user_id", own))
    same_user: list[tuple[str, Any]] = [("integer id", own), ("string id", str(own)), ("float id", float(own))]
    if own == 1:
        same_user.append(("true", True))
    declared = ctx.options.policy.user_id_types
    probes: list[Probe] = []
    for label, value in same_user:
        kind = JsonType.of(value)
        if kind is genuine:
            continue
        forged = forge.real(claims=forge.with_claims(user_id=value))
        expect = Expect.CLEAN_EITHER if kind in declared else Expect.REFUSED
        probes.append(ctx.bearer(tier, label, forged.token, note=forged.note, expect=expect, breach=Severity.LOW))
    hostile: list[tuple[str, Any]] = [
        ("-1", -1),
        ("2**64", 2**64),
        ("10**30", 10**30),
        ("SQL", "1 OR 1=1"),
        ("zero", 0),
    ]
    return probes + bearers(
        ctx, tier, [(label, forge.real(claims=forge.with_claims(user_id=value))) for label, value in hostile]
    )


@cases.case(
    id="claim-iss-aud",
    tiers=JWT_TIERS,
    description="a foreign audience or issuer",
    sends="real key, aud = https://evil.example; iss = https://evil.example",
    expects="401 for a foreign aud when the policy declares an audience, for a foreign iss when the target "
    "declares an issuer; otherwise either answer, clean (simplejwt checks neither unless configured)",
    tags=(
        std.RFC7519_ISS,
        std.RFC7519_AUD,
        std.RFC8725_ISSUER_SUBJECT,
        std.RFC8725_AUDIENCE,
        std.RFC8725_SUBSTITUTION,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_DATA_AUTHENTICITY,
    ),
    ref="catalogue #40",
)
async def _iss_aud(ctx: AuditContext, tier: Tier) -> Built:
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    aud = forge.real(claims=forge.with_claims(aud=EVIL_ORIGIN))
    iss = forge.real(claims=forge.with_claims(iss=EVIL_ORIGIN))
    iss_expect = Expect.REFUSED if ctx.target.issuer else Expect.CLEAN_EITHER
    aud_expect = Expect.REFUSED if ctx.options.policy.audience else Expect.CLEAN_EITHER
    return [
        ctx.bearer(tier, "foreign aud", aud.token, note=aud.note, breach=Severity.HIGH, expect=aud_expect),
        ctx.bearer(tier, "foreign iss", iss.token, note=iss.note, breach=Severity.HIGH, expect=iss_expect),
    ]


@cases.case(
    id="claim-token-after-password-change",
    tiers=JWT_TIERS,
    description="a token issued before a password change",
    sends="the spare principal's token from before its password was set again",
    expects="documented: 200 when there is no revocation (the default), 401 when the target revokes",
    tags=(std.WSTG_PASSWORD_CHANGE, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_SESSION_EXPIRATION),
    ref="catalogue #41",
)
async def _token_after_change(ctx: AuditContext, tier: Tier) -> Built:
    change = await ctx.once("password-change", lambda: password_change(ctx))
    if isinstance(change, NotApplicable):
        return change
    expect = Expect.REFUSED if ctx.target.revocation else Expect.ACCEPTED
    return [ctx.bearer(tier, "token before change", change.token_before, expect=expect, breach=Severity.HIGH)]
