"""Token inspection: what a JWT claims and whether it is signed as it should be, without trusting it.

``chatmigrate token inspect`` is for tokens nobody vouches for (forged, expired, broken),
so nothing here raises on a bad value except a token that is not a JWT at all.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt

from chatmigrate.errors import UsageError
from chatmigrate.redact import MASK


@dataclass(slots=True)
class TokenReport:
    header: dict[str, Any]
    claims: dict[str, Any]
    expiry: str
    signature: str


def inspect_token(token: str, *, secret: str | None = None, now: float | None = None) -> TokenReport:
    """Decode without trusting: header, claims, expiry in words, and the signature's status if we can check."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise UsageError(f"not a JWT: expected 3 dot-separated parts, got {len(parts)}")
    header, claims = (_b64_json(part, name) for part, name in ((parts[0], "header"), (parts[1], "payload")))
    return TokenReport(
        header=header,
        claims=claims,
        expiry=_expiry_words(claims.get("exp"), now),
        signature=_signature_status(token.strip(), header, secret),
    )


def _b64_json(segment: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"not a JWT: the {name} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise UsageError(f"not a JWT: the {name} is not a JSON object")
    return value


def _expiry_words(exp: Any, now: float | None) -> str:
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return "no usable exp claim: the token never expires" if exp is None else f"exp is not a number: {exp!r}"
    try:
        moment = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(exp))
    except (OverflowError, ValueError, OSError):
        # exp = 1e20 or NaN: a forged or broken token is exactly what inspect is for.
        return f"exp {exp!r} is not a valid time"
    delta = exp - (time.time() if now is None else now)
    if delta >= 0:
        return f"expires in {human_duration(delta)} ({moment})"
    return f"expired {human_duration(-delta)} ago ({moment})"


def human_duration(seconds: float) -> str:
    seconds = int(seconds)
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    parts = []
    for name, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{name}")
    return " ".join(parts[:2]) or "0s"


def _signature_status(token: str, header: dict[str, Any], secret: str | None) -> str:
    if str(header.get("alg", "")).lower() == "none":
        return f"{MASK} (alg none: unsigned, never acceptable)"
    if secret is None:
        return f"{MASK} (not checked: pass --secret-env or --secret-file)"
    try:
        jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
        )
    except jwt.InvalidAlgorithmError:
        return f"{MASK} (not checked: alg {header.get('alg')!r} is not HS256)"
    except jwt.InvalidSignatureError:
        return f"{MASK} (INVALID for the given secret)"
    except jwt.PyJWTError as error:
        return f"{MASK} (cannot check: {error})"
    return f"{MASK} (valid HS256 signature for the given secret)"
