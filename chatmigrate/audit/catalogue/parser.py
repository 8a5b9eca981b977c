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
