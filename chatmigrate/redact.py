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
_STATUS_OR_COUNT = re.compile(r"\d{1,3}")
"""A pair's value that is a status or a small count ("no token: 403 without …") is prose, not a secret."""
_PROSE_VALUES = frozenset(
    {"null", "none", "true", "false", "html", "json", "empty", "missing", "absent", "expired", "invalid", "required"}
)
"""Words that follow a credential word in our own messages ("no token: HTML answer"); a secret the run knows is
masked wherever it stands, so only unregistered text meets this list."""
_PLACEHOLDER = re.compile(r"(?:[A-Za-z]+[ \t]+)?\$\{?[A-Z_][A-Z0-9_]*\}?")
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-csrftoken"})
_SENSITIVE_HEADER_PARTS = ("token", "secret", "session", "auth", "key", "csrf")

_PAIR_KEYWORDS = ("sessionid", "csrf", "password", "secret", "token", "access", "refresh")
# What may follow a keyword to make an assignment: prose such as "please refresh." does not wake the slow patterns.
_PAIR_TAIL = re.compile(r"\w*[\"']?\s*[:=]")
_SUBSTRING_SECRETS = 64
"""Up to this many known secrets, testing each as a substring (a C scan per secret) beats the prefix tree's
per-position walk many times over on a body that holds none of them, which is nearly every body."""
_SENSITIVE_KEY_WORDS = frozenset({"sessionid", "password", "secret", "token", "access", "refresh"})
_KEY_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

_lock = threading.Lock()
_known: set[str] = set()
_known_pattern: re.Pattern[str] | None = None
_known_plain: tuple[str, ...] = ()
_pattern_stale = False


def register_secret(value: str | None) -> None:
    """Remember a value that must never be printed; very short values are ignored to avoid mangling text.

    The matcher is rebuilt lazily, on the next ``redact``: a run registers tokens in bursts (logins,
    refreshes) and rebuilding per registration cost more than the audit itself."""
    global _pattern_stale
    if value and len(value) >= 4:
        with _lock:
            if value not in _known:
                _known.add(value)
                _pattern_stale = True


def _current_pattern() -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """Whole JWTs are left to the JWT pattern, which masks them anyway: the prefix tree holds the rest, and they
    are also given as plain strings for a quick test of whether the tree is needed at all."""
    global _known_pattern, _known_plain, _pattern_stale
    with _lock:
        if _pattern_stale:
            plain = [secret for secret in _known if not _JWT.fullmatch(secret)]
            _known_pattern = _trie_pattern(plain) if plain else None
            _known_plain = tuple(plain) if len(plain) <= _SUBSTRING_SECRETS else ()
            _pattern_stale = False
        return _known_pattern, _known_plain


def _trie_pattern(secrets: Iterable[str]) -> re.Pattern[str]:
    """One pass over the text whatever the number of secrets: a plain alternation of a hundred tokens that
    share the ``eyJ`` prefix is ten times slower than testing each, a prefix tree is not. Optional tails are
    greedy, so the longest secret at a position wins."""
    trie: dict[str, Any] = {}
    for secret in secrets:
        node = trie
        for char in secret:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if "" in node else body

    return re.compile(build(trie))


def registered_secrets() -> frozenset[str]:
    with _lock:
        return frozenset(_known)


def forget_secrets() -> None:
    """Start over; for long-lived processes (and test suites) running several unrelated jobs."""
    global _known_pattern, _known_plain, _pattern_stale
    with _lock:
        _known.clear()
        _known_pattern, _known_plain, _pattern_stale = None, (), False


def redact(text: str) -> str:
    return _redact(text)[0]


def _redact(text: str) -> tuple[str, bool]:
    """The text redacted, and whether a credential word stood in it followed by an assignment (a JSON key whose
    value may be an opaque secret). Cheap substring tests guard each pattern: this runs on every recorded body,
    on the replay hot path."""
    pattern, plain = _current_pattern()
    if pattern is not None and (not plain or any(secret in text for secret in plain)):
        text = pattern.sub(MASK, text)
    if "eyJ" in text:
        text = _JWT.sub(MASK, text)
    lower = text.lower()
    if "authorization" in lower:
        text = _AUTH_HEADER.sub(_mask_value, text)
    keywords = [keyword for keyword in _PAIR_KEYWORDS if keyword in lower]
    if not keywords:
        return text, False
    if "name=" in lower:
        text = _FORM_FIELD.sub(lambda m: f"{m.group(1)}{MASK}", text)
    pair = _has_pair(lower, keywords)
    if pair:
        text = _COOKIE_PAIR.sub(_mask_pair, text)
    return text, pair


def _has_pair(lower: str, keywords: Iterable[str]) -> bool:
    """One of ``keywords`` followed by an assignment somewhere in ``lower``; found by ``str.find`` and one anchored
    match per place a word stands, not by a regex scan of the whole text."""
    for keyword in keywords:
        at = lower.find(keyword)
        while at != -1:
            if _PAIR_TAIL.match(lower, at + len(keyword)):
                return True
            at = lower.find(keyword, at + 1)
    return False


def _mask_value(match: re.Match[str]) -> str:
    """Shell placeholders (``Bearer $TOKEN``) are not secrets: reproducers must stay runnable."""
    if _PLACEHOLDER.fullmatch(match.group(3).strip()):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{MASK}"


def _mask_pair(match: re.Match[str]) -> str:
    if _STATUS_OR_COUNT.fullmatch(match.group(3)) or match.group(3).lower() in _PROSE_VALUES:
        return match.group(0)
    return _mask_value(match)


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """A header named like a credential (``X-Session-Token``, ``X-Api-Key``) is masked whole: its value
    may be opaque, with no shape the text patterns would recognise."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        lower = name.lower()
        sensitive = lower in SENSITIVE_HEADERS or any(part in lower for part in _SENSITIVE_HEADER_PARTS)
        out[lower] = MASK if sensitive else redact(value)
    return out


def _sensitive_key(key: str) -> bool:
    """Whole words of the key, so ``refresh_token`` and ``X-Session-Token`` match and ``request_type`` does not."""
    for word in _KEY_WORD.findall(key):
        lower = word.lower()
        if lower in _SENSITIVE_KEY_WORDS or lower.startswith("csrf"):
            return True
    return False


def redact_obj(value: Any) -> Any:
    """Deep-redact a JSON-like value (strings only; structure and numbers are kept). A string under a
    sensitive key is masked whole: an opaque session id or password has no shape to recognise alone."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_obj(item) for item in value]
    if isinstance(value, dict):
        return {
            key: MASK if isinstance(item, str) and isinstance(key, str) and _sensitive_key(key) else redact_obj(item)
            for key, item in value.items()
        }
    return value


def redact_parsed(text: str, parsed: Any) -> Any:
    """``parsed`` (the JSON of ``text``) redacted; a body with nothing to hide is returned as is, unwalked.

    Only a sensitive word followed by an assignment can be a key whose value must go, so chat text that
    merely says "please refresh" keeps the fast path."""
    redacted, pair = _redact(text)
    if not pair and redacted == text:
        return parsed
    return redact_obj(parsed)
