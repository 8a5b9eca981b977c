"""What an answer to the genuine principal must never carry: a secret, or the permission for a shared cache to
keep one user's data and serve it to another.

Both cases read every operation as the principal and inspect the answers; neither asserts anything a correct
server does not do, so neither needs a declared policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from chatmigrate.audit.calibrate import REQUEST_TYPES
from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import genuine_credential
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Concern, Expect, HttpObservation, HttpProbe, Inspector, NotApplicable
from chatmigrate.audit.rules import parse_json
from chatmigrate.vocab import FindingKind, Severity, Tier

cases = Cases(Group.OPERATIONS)
PASSWORD_HASH = re.compile(
    r"\b(pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|md5|sha1)\$"
    r"(?:\d+\$|argon2(?:id|i|d)\$|\$?2[abxy]\$|[A-Za-z0-9./+]*\$[0-9a-f]{32})"
)
"""Django's password hash formats (``<algorithm>$<parameters>$…``), the algorithm captured for the message."""
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}")
SECRET_FIELDS = frozenset(
    {
        "password",
        "password_hash",
        "secret",
        "secret_key",
        "signing_key",
        "session_key",
        "sessionid",
        "api_key",
        "access_token",
        "refresh_token",
    }
)
MIN_SECRET_LENGTH = 8
"""Shorter secrets the run holds are not looked for: too likely to occur in chat text by chance."""
NOT_SECRET = ("CSRF",)
"""Placeholders of values a page may show by design: Django puts the CSRF token in every form."""


def genuine_reads(ctx: AuditContext, tier: Tier, label: str, inspect: Inspector) -> Built:
    """Every read operation of the tier as the principal, each answer handed to ``inspect``."""
    genuine = genuine_credential(ctx, tier)
    if isinstance(genuine, NotApplicable):
        return genuine
    credential, token = genuine
    kinds = [kind for kind in REQUEST_TYPES if tier is not Tier.PROXY or kind in ctx.target.proxy_routes]
    return [
        HttpProbe(
            label=f"{kind}, {label}",
            method="GET",
            url=ctx.chat_url(tier, kind),
            expect=Expect.INSPECTED,
            headers=(credential,),
            token=token,
            inspect=inspect,
        )
        for kind in kinds
    ]


def secret_fields(value: Any) -> list[str]:
    """Names of fields anywhere in a JSON body that hold a non-empty string under a credential's name."""
    if isinstance(value, dict):
        here = [str(key) for key, item in value.items() if str(key).lower() in SECRET_FIELDS and item]
        return here + [found for item in value.values() for found in secret_fields(item)]
    if isinstance(value, list):
        return [found for item in value for found in secret_fields(item)]
    return []


def secret_inspector(ctx: AuditContext) -> Inspector:
    """Looks for the secrets the run holds when the answer is judged (all of them are known by then)."""

    def inspect(seen: HttpObservation) -> list[Concern]:
        text = seen.text
        found: list[Concern] = [
            (Severity.CRITICAL, FindingKind.SECRET_EXPOSED, f"the answer carries a Django password hash ({algorithm})")
            for algorithm in sorted({match[1] for match in PASSWORD_HASH.finditer(text)})
        ]
        if JWT.search(text):
            found.append((Severity.CRITICAL, FindingKind.SECRET_EXPOSED, "the answer carries a JWT"))
        held = sorted(
            {
                name
                for value, name in ctx.placeholders.items()
                if len(value) >= MIN_SECRET_LENGTH and not name.startswith(NOT_SECRET) and value in text
            }
        )
        found += [
            (Severity.CRITICAL, FindingKind.SECRET_EXPOSED, f"the answer carries a secret the run holds (${name})")
            for name in held
        ]
        found += [
            (Severity.HIGH, FindingKind.SECRET_EXPOSED, f"the answer has a field {name!r} with a value")
            for name in sorted(set(secret_fields(parse_json(text))))
        ]
        if (seen.status or 0) >= 400:
            found.append((Severity.LOW, FindingKind.NEEDS_REVIEW, f"the genuine request was refused ({seen.status})"))
        return found

    return inspect


@cases.case(
    id="op-secret-in-response",
    tiers=(Tier.OLD, *JWT_TIERS),
    description="a secret in an answer to the genuine principal",
    sends="every request type with the genuine credential; each answer searched for Django password hashes, JWTs, "
    "the secrets the run holds (signing key, passwords, session ids, tokens) and credential-named fields",
    expects="none of them in any answer (critical; a credential-named field with a value is high)",
    tags=(
        std.WSTG_INFO_LEAKAGE,
        std.API_PROPERTY_LEVEL,
        std.CWE_EXPOSURE,
        std.CWE_UNPROTECTED_CREDENTIALS,
    ),
)
async def _secret_in_response(ctx: AuditContext, tier: Tier) -> Built:
    return genuine_reads(ctx, tier, "searched for secrets", secret_inspector(ctx))


SHARED = frozenset({"public", "s-maxage", "must-revalidate"})
"""The directives that let a shared cache store an answer to an authenticated request (RFC 9111 §3.5)."""
KEYED = {Tier.OLD: "cookie"}
"""The request header a ``Vary`` must name for a cache to keep one copy per principal (else ``authorization``)."""


def field_values(seen: HttpObservation, name: str) -> set[str]:
    """Every comma-separated item of every ``name`` header, lower case, directive names without their values."""
    joined = ",".join(value for key, value in seen.headers if key.lower() == name)
    return {item.split("=")[0].strip().lower() for item in joined.split(",") if item.strip()}


def cache_inspector(tier: Tier) -> Callable[[HttpObservation], list[Concern]]:
    keyed = KEYED.get(tier, "authorization")

    def inspect(seen: HttpObservation) -> list[Concern]:
        directives, vary = field_values(seen, "cache-control"), field_values(seen, "vary")
        shared = sorted(directives & SHARED)
        if seen.status != 200 or not shared or directives & {"no-store", "private"} or vary & {keyed, "*"}:
            return []
        message = (
            f"Cache-Control {', '.join(shared)} without private or no-store (and no Vary: {keyed}) on the "
            "principal's chat data: a shared cache may store it and serve it to anyone"
        )
        return [(Severity.HIGH, FindingKind.SHARED_CACHE, message)]

    return inspect


@cases.case(
    id="op-shared-cache-data",
    tiers=(Tier.OLD, *JWT_TIERS),
    description="chat data a shared cache may store and serve to another user",
    sends="every request type with the genuine credential; Cache-Control and Vary of each 200 read",
    expects="no public, s-maxage or must-revalidate unless private or no-store (or a Vary on the credential) "
    "goes with it; no Cache-Control at all is fine (RFC 9111 §3.5)",
    tags=(std.RFC9111_AUTHENTICATED, std.WSTG_BROWSER_CACHE, std.API_MISCONFIGURATION, std.CWE_CACHED_SECRETS),
)
async def _shared_cache(ctx: AuditContext, tier: Tier) -> Built:
    return genuine_reads(ctx, tier, "Cache-Control read", cache_inspector(tier))
