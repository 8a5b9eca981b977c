"""What several groups' cases share: the reasons a case cannot run, and the damaged genuine token."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.forge import Forge, Forged, b64url, b64url_decode
from chatmigrate.audit.probe import Expect, NotApplicable, Probe
from chatmigrate.audit.rules import parse_json
from chatmigrate.vocab import Severity, Tier

EVIL_ORIGIN = "https://evil.example"
NO_SECRET = NotApplicable("needs the signing secret (signing_secret / secret_env)")
NO_TOKEN = NotApplicable("needs a token from the JWT API (the 'new' target)")
NO_SESSION = NotApplicable("needs a legacy session (the 'old' target)")
NO_FORBIDDEN = NotApplicable("needs a non-staff principal (forbidden_principal)")


def flip_byte(signature: str, index: int) -> str:
    """Flip a whole decoded byte: changing only the last base64 character may touch padding bits alone."""
    raw = bytearray(b64url_decode(signature) or b"\0")
    raw[index] ^= 0xFF
    return b64url(bytes(raw))


def altered(ctx: AuditContext) -> Forged:
    """The genuine token with its signature damaged: the canonical 'bad signature' credential."""
    forge = ctx.require_forge()
    head, body, signature = forge.token.split(".")
    return forge.damaged(f"{head}.{body}.{flip_byte(signature, -1)}", "signature: last byte flipped")


def real_forge(ctx: AuditContext) -> Forge | NotApplicable:
    """A forge that can sign with the target's own key: the claims cases change one claim, nothing else."""
    if ctx.forge is None:
        return NO_TOKEN
    if ctx.forge.secret is None:
        return NO_SECRET
    return ctx.forge


Credential = tuple[tuple[str, str], str | None]
"""The header that carries the principal's genuine credential on a tier, and the token in it (None: a session)."""


def genuine_credential(ctx: AuditContext, tier: Tier) -> Credential | NotApplicable:
    """The principal's own session cookie on the legacy tier, its bearer token on the others."""
    if tier is Tier.OLD:
        if ctx.session is None:
            return NO_SESSION
        return ("Cookie", f"sessionid={ctx.session.sessionid}"), None
    if ctx.token is None:
        return NO_TOKEN
    return ("Authorization", f"Bearer {ctx.token}"), ctx.token


def bearers(
    ctx: AuditContext,
    tier: Tier,
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


async def preflight(ctx: AuditContext, url: str, headers: dict[str, str]) -> tuple[int, Any]:
    """A reference answer a builder needs before it can write its probes: status and parsed JSON (None if not)."""
    try:
        answer = await ctx.client.get(url, headers=headers, timeout=ctx.options.timeout)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise LookupError(f"GET {urlsplit(url).path}: {type(error).__name__}") from None
    return answer.status_code, parse_json(answer.text)
