"""Secret redaction applied at every boundary where text leaves the process.

Two layers: known secret values registered at run time (passwords, signing keys,
minted tokens, session ids) are replaced wherever they appear, and shapes that
look like credentials (JWTs, cookie values, Authorization headers) are masked
even when nobody registered them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[REDACTED]"

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*")
_AUTH_HEADER = re.compile(r"(?i)\b(authorization|proxy-authorization)(\s*[:=]\s*)([^\r\n'\"]+)")
_COOKIE_PAIR = re.compile(
    r"(?i)\b(sessionid|csrftoken|csrfmiddlewaretoken|password|secret|token|access|refresh)"
    r"(\"?\s*[:=]\s*\"?)([^;&\s\"',}]+)"
)
_FORM_FIELD = re.compile(
    r"""(?i)(name=["']?(?:csrfmiddlewaretoken|password|token|access|refresh|sessionid)["']?[^>]*?\bvalue=["']?)"""
    r"""([^"'\s>]+)"""
)
_PLACEHOLDER = re.compile(r"(?:[A-Za-z]+[ \t]+)?\$\{?[A-Z_][A-Z0-9_]*\}?")
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-csrftoken"})

_PAIR_KEYWORDS = ("sessionid", "csrf", "password", "secret", "token", "access", "refresh")
# A keyword followed by an assignment: prose such as "please refresh." does not wake the slow patterns.
_PAIR_GUARD = re.compile(r"(?:sessionid|csrf|password|secret|token|access|refresh)\w*[\"']?\s*[:=]")

_lock = threading.Lock()
_known: set[str] = set()
_longest_first: tuple[str, ...] = ()


def register_secret(value: str | None) -> None:
    """Remember a value that must never be printed; very short values are ignored to avoid mangling text."""
    global _longest_first
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)
            _longest_first = tuple(sorted(_known, key=len, reverse=True))


def registered_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_known)


def forget_secrets() -> None:
    """Start over; for long-lived processes (and test suites) running several unrelated jobs."""
    global _longest_first
    with _lock:
        _known.clear()
        _longest_first = ()


def redact(text: str) -> str:
    """Cheap substring tests guard each pattern: this runs on every recorded body, on the replay hot path."""
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, MASK)
    if "eyJ" in text:
        text = _JWT.sub(MASK, text)
    lower = text.lower()
    if "authorization" in lower:
        text = _AUTH_HEADER.sub(_mask_value, text)
    if any(keyword in lower for keyword in _PAIR_KEYWORDS):
        if "name=" in lower:
            text = _FORM_FIELD.sub(lambda m: f"{m.group(1)}{MASK}", text)
        if _PAIR_GUARD.search(lower):
            text = _COOKIE_PAIR.sub(_mask_value, text)
    return text


def _mask_value(match: re.Match[str]) -> str:
    """Shell placeholders (``Bearer $TOKEN``) are not secrets: reproducers must stay runnable."""
    if _PLACEHOLDER.fullmatch(match.group(3).strip()):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{MASK}"


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        out[name.lower()] = MASK if name.lower() in SENSITIVE_HEADERS else redact(value)
    return out


def redact_obj(value: Any) -> Any:
    """Deep-redact a JSON-like value (strings only; structure and numbers are kept)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_obj(item) for item in value]
    if isinstance(value, dict):
        return {key: redact_obj(item) for key, item in value.items()}
    return value
