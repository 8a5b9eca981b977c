"""Claims a verifier can misread although the signature is right: duplicate names, lookalike iss / aud, and
privilege claims a server should never take from a token.

Every token here is signed with the target's real key, so each case models a token issuer that can be made
to sign such claims (or a key holder). What it shows is how the verifier reads what it was given.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from typing import Any

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import EVIL_ORIGIN, NO_FORBIDDEN, bearers, preflight, real_forge
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.forge import Forge, compact_json, decode_unverified
from chatmigrate.audit.probe import Concern, Expect, HttpObservation, NotApplicable, Probe
from chatmigrate.vocab import FindingKind, Severity, Tier

cases = Cases(Group.CLAIMS)
NO_USER = 987654321
"""A user_id no target has (as in claim-unknown-user)."""


def duplicated(claims: dict[str, Any], name: str, first: Any, last: Any) -> str:
    """The payload JSON text with ``name`` twice: ``first`` where the claim stood, ``last`` at the end."""
    body = compact_json({**claims, name: "__FIRST__"})
    return body.replace('"__FIRST__"', json.dumps(first))[:-1] + f",{json.dumps(name)}:{json.dumps(last)}}}"


@cases.case(
    id="claim-duplicate-keys",
    tiers=JWT_TIERS,
    description="user_id or exp twice in the payload (a parser differential)",
    sends="real key: user_id the own id then 987654321; exp valid then an hour past; and each the other way round",
    expects="401 where the last value is a bad one (RFC 7519 §4: refuse, or read the last); the other order "
    "either answer, clean",
    tags=(
        std.RFC7519_CLAIM_NAMES,
        std.RFC8725_VALIDATE_CRYPTO,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_INTERPRETATION_CONFLICT,
        std.CWE_SESSION_EXPIRATION,
    ),
)
async def _duplicate_keys(ctx: AuditContext, tier: Tier) -> Built:
    """A server that reads the first of duplicate names answers as the principal the last value does not name,
    or honours an exp the last value says has passed: what the issuer checked is not what the server uses."""
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    now = int(time.time())
    claims = forge.claims
    own, valid_exp, past_exp = claims.get("user_id", ctx.user_id), claims.get("exp", now + 600), now - 3600
    bad_last = [
        ("user_id own then unknown", duplicated(claims, "user_id", own, NO_USER)),
        ("exp valid then past", duplicated(claims, "exp", valid_exp, past_exp)),
    ]
    good_last = [
        ("user_id unknown then own", duplicated(claims, "user_id", NO_USER, own)),
        ("exp past then valid", duplicated(claims, "exp", past_exp, valid_exp)),
    ]
    refused = [(label, forge.real(claims=raw)) for label, raw in bad_last]
    either = [(label, forge.real(claims=raw)) for label, raw in good_last]
    return bearers(ctx, tier, refused, breach=Severity.HIGH) + bearers(ctx, tier, either, expect=Expect.CLEAN_EITHER)


def lookalikes(expected: str) -> list[tuple[str, Any]]:
    """Values that contain, or are contained in, ``expected`` without being it."""
    found: list[tuple[str, Any]] = [
        ("superstring", f"{expected}.evil.example"),
        ("prefixed", f"{EVIL_ORIGIN}/{expected}"),
    ]
    if len(expected) > 1:
        found.append(("substring", expected[:-1]))
    return found


@cases.case(
    id="claim-iss-aud-lookalike",
    tiers=JWT_TIERS,
    description="iss / aud that contain or are contained in the declared value, arrays and objects",
    sends="real key: iss and aud = the declared value + .evil.example, https://evil.example/ + it, it less its last "
    'character; iss ["<issuer>"]; aud ["<audience>.evil.example"], {"<audience>": true}, and ["https://evil.example", '
    '"<audience>"]',
    expects="401 for every lookalike (high), for an iss array or an aud object (low); an aud array holding the "
    "audience either answer, clean (RFC 7519 §4.1.3); not applicable without a declared issuer or audience",
    tags=(
        std.RFC7519_ISS,
        std.RFC7519_AUD,
        std.RFC8725_ISSUER_SUBJECT,
        std.RFC8725_AUDIENCE,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_DATA_AUTHENTICITY,
        std.CWE_INCORRECT_COMPARISON,
    ),
)
async def _lookalike(ctx: AuditContext, tier: Tier) -> Built:
    """Substring matching (``expected in claim``) accepts a token meant for another service whose name contains
    this one's; a server that checks neither claim has nothing to match, so the case needs a declaration."""
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    issuer, audience = ctx.target.issuer, ctx.options.policy.audience
    if not issuer and not audience:
        return NotApplicable("needs a declared issuer or audience ([audit] issuer / audience): nothing is matched")
    probes: list[Probe] = []
    if issuer:
        iss = [(f"iss {label}", value, Severity.HIGH) for label, value in lookalikes(issuer)]
        probes += _claim_probes(ctx, tier, forge, "iss", [*iss, ("iss array", [issuer], Severity.LOW)])
    if audience:
        aud = [(f"aud {label}", value, Severity.HIGH) for label, value in lookalikes(audience)]
        lookalike = [f"{audience}.evil.example"]
        aud += [("aud lookalike array", lookalike, Severity.HIGH), ("aud object", {audience: True}, Severity.LOW)]
        probes += _claim_probes(ctx, tier, forge, "aud", aud)
        listed = forge.real(claims=forge.with_claims(aud=[EVIL_ORIGIN, audience]))
        probes += bearers(ctx, tier, [("aud array holding it", listed)], expect=Expect.CLEAN_EITHER)
    return probes


def _claim_probes(
    ctx: AuditContext, tier: Tier, forge: Forge, name: str, values: list[tuple[str, Any, Severity]]
) -> list[Probe]:
    return [
        ctx.bearer(tier, label, item.token, note=item.note, breach=breach)
        for label, value, breach in values
        for item in [forge.real(claims=forge.with_claims(**{name: value}))]
    ]


PRIVILEGES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("is_staff", {"is_staff": True}),
    ("is_superuser", {"is_superuser": True}),
    ("role admin", {"role": "admin"}),
    ("scope admin", {"scope": "admin"}),
    ("groups admin", {"groups": ["admin"]}),
)


@cases.case(
    id="claim-privilege-claims",
    tiers=JWT_TIERS,
    description="privilege claims added to a genuine non-staff token",
    sends="the non-staff principal's claims plus is_staff / is_superuser / role admin / scope admin / groups "
    "[admin], re-signed with the real key, and all of them with the original signature kept",
    expects="re-signed: the refusal the genuine non-staff token gets (403), as rights come from the user table; "
    "signature kept: 401; not applicable where the API serves that principal already",
    tags=(
        std.RFC8725_UNTRUSTED_CLAIMS,
        std.WSTG_PRIVILEGE_ESCALATION,
        std.WSTG_JWT,
        std.API_BFLA,
        std.CWE_PRIVILEGES,
        std.CWE_SIGNATURE,
    ),
)
async def _privilege_claims(ctx: AuditContext, tier: Tier) -> Built:
    """Re-signed, an accepted token shows rights read from claims (high: whoever can get such claims signed, or a
    demoted user whose token still says staff, keeps them). With the original signature kept, data or even the
    genuine token's own 403 is the worse finding: the signature is not checked at all (critical)."""
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    genuine = ctx.forbidden_token
    if genuine is None:
        return NO_FORBIDDEN
    status, body = await preflight(ctx, ctx.chat_url(tier), {"Authorization": f"Bearer {genuine}"})
    if status not in (401, 403):
        return NotApplicable(
            f"the API serves the non-staff principal already (status {status}): raised claims "
            "cannot be told from its own rights"
        )
    expect = Expect.FORBIDDEN if status == 403 else Expect.REFUSED
    own = decode_unverified(genuine)
    raised = [(f"{label}, real key", forge.real(claims={**own.claims, **extra})) for label, extra in PRIVILEGES]
    everything = {key: value for _label, extra in PRIVILEGES for key, value in extra.items()}
    kept = Forge(genuine, None).keep_signature(
        claims={**own.claims, **everything}, signing="all raised, original signature kept: accepted means unchecked"
    )
    unchecked = ctx.bearer(tier, "all raised, signature kept", kept.token, note=kept.note)
    raised_probes = bearers(ctx, tier, raised, expect=expect, breach=Severity.HIGH)
    inspect = functools.partial(_authenticated, status, _reason(body))
    return [*raised_probes, dataclasses.replace(unchecked, inspect=inspect)]


_REASON_KEYS = ("detail", "code", "message", "error")


def _reason(body: Any) -> tuple[Any, ...] | None:
    """Why a JSON refusal refused, in its own words (DRF's detail and code, an envelope's message)."""
    return tuple(body.get(key) for key in _REASON_KEYS) if isinstance(body, dict) else None


def _authenticated(genuine_status: int, genuine_reason: tuple[Any, ...] | None, seen: HttpObservation) -> list[Concern]:
    """A broken signature refused with the genuine token's own refusal (its 403, for its reason): the token was
    authenticated unchecked. The status alone tells nothing: DRF with SessionAuthentication listed first answers a
    bad token 403 too, but for another reason (``token_not_valid``)."""
    if genuine_status == 401 or seen.status != genuine_status or genuine_reason is None:
        return []
    try:
        seen_reason = _reason(json.loads(seen.text))
    except ValueError:
        return []
    if seen_reason != genuine_reason:
        return []
    message = (
        f"a token whose signature does not match was authenticated (answered {seen.status}, as the genuine "
        "non-staff token is): the signature is not checked"
    )
    return [(Severity.CRITICAL, FindingKind.ACCEPTED, message)]
