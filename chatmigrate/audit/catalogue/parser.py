"""JWT parser edges: header parameters of the wrong type, and an algorithm switch to an asymmetric one.

A verifier that takes ``alg`` from the token must take it as one string from an allow-list (RFC 8725
§3.1); a list, an object or an algorithm it holds no key for is a refusal, never a reason to skip the
signature.
"""

from __future__ import annotations

import secrets

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import NO_TOKEN, bearers
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.forge import Forged, b64url
from chatmigrate.audit.probe import Expect, Probe
from chatmigrate.vocab import Severity, Tier

cases = Cases(Group.SIGNATURE)
WRONG_TYPS = (123, "refresh", "JWS")


@cases.case(
    id="sig-alg-header-types",
    tiers=JWT_TIERS,
    description="alg as a list or an object, typ of the wrong type or value",
    sends='alg ["none"] and {"none": true} unsigned; with the real key: alg ["HS256"] (401 or a medium finding), '
    'typ 123 / "refresh" / "JWS"',
    expects="401 for every alg that is not one string; a wrong typ either answer, clean (simplejwt ignores typ)",
    tags=(
        std.RFC8725_VERIFY_ALGORITHM,
        std.RFC7515_VALIDATION,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_TYPE_CONFUSION,
        std.CWE_SIGNATURE,
    ),
)
async def _header_types(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    unsigned: list[tuple[str, Forged]] = [
        (f"alg {label}", forge.make(f"alg {label}, empty signature", header={"alg": alg, "typ": "JWT"}))
        for label, alg in (('["none"]', ["none"]), ('{"none": true}', {"none": True}))
    ]
    probes: list[Probe] = list(bearers(ctx, tier, unsigned))
    if forge.secret is None:
        return probes
    listed = forge.real(header={**forge.header, "alg": ["HS256"]})
    probes.extend(bearers(ctx, tier, [('alg ["HS256"], real key', listed)], breach=Severity.MEDIUM))
    typed = [(f"typ {typ!r}", forge.real(header={**forge.header, "typ": typ})) for typ in WRONG_TYPS]
    probes.extend(bearers(ctx, tier, typed, expect=Expect.CLEAN_EITHER))
    return probes


SIGNATURE_BYTES = {"RS256": 256, "ES256": 64}
"""A 2048-bit RSA signature and a raw P-256 (r, s) pair: the right length, random content."""


@cases.case(
    id="sig-alg-asymmetric-forged",
    tiers=JWT_TIERS,
    description="an algorithm switch to RS256 / ES256 with a forged signature",
    sends="the genuine payload, alg RS256 with 256 random signature bytes, alg ES256 with 64",
    expects=Expect.REFUSED,
    tags=(
        std.RFC8725_VERIFY_ALGORITHM,
        std.RFC8725_VALIDATE_CRYPTO,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_SIGNATURE,
        std.CWE_DOWNGRADE,
    ),
)
async def _asymmetric(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    forged = []
    for alg, size in SIGNATURE_BYTES.items():
        unsigned = forge.make(f"{alg}, random signature", header={"alg": alg, "typ": "JWT"}).token
        token = unsigned + b64url(secrets.token_bytes(size))
        forged.append((f"{alg} forged", forge.damaged(token, f"alg {alg}, {size} random signature bytes")))
    return bearers(ctx, tier, forged)


def _duplicated(first: str, last: str) -> str:
    """A header JSON text with ``alg`` twice: what a first-wins and a last-wins parser read differently."""
    return f'{{"alg":"{first}","typ":"JWT","alg":"{last}"}}'


@cases.case(
    id="sig-duplicate-header-keys",
    tiers=JWT_TIERS,
    description="alg twice in the token header (a parser differential)",
    sends='header {"alg":"HS256",…,"alg":"none"} and {"alg":"none",…,"alg":"HS256"} with an empty signature; '
    "with the real key: the second signed as HS256",
    expects="401 for both unsigned; the signed one either answer, clean (RFC 7515 §5.2 allows the last alg to win)",
    tags=(
        std.RFC8725_VERIFY_ALGORITHM,
        std.RFC7515_VALIDATION,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_INTERPRETATION_CONFLICT,
        std.CWE_SIGNATURE,
    ),
)
async def _duplicate_header(ctx: AuditContext, tier: Tier) -> Built:
    """A verifier must refuse duplicate header names or read the last (RFC 7515 §5.2). Unsigned, both orders are
    refused by either reading; accepted, one part of the verifier read an alg the other did not."""
    if ctx.forge is None:
        return NO_TOKEN
    forge = ctx.forge
    unsigned: list[tuple[str, Forged]] = [
        (f"alg {first} then {last}", forge.make("empty signature", header=_duplicated(first, last)))
        for first, last in (("HS256", "none"), ("none", "HS256"))
    ]
    probes: list[Probe] = list(bearers(ctx, tier, unsigned))
    if forge.secret is not None:
        signed = forge.real(header=_duplicated("none", "HS256"))
        probes.extend(bearers(ctx, tier, [("alg none then HS256, real key", signed)], expect=Expect.CLEAN_EITHER))
    return probes
