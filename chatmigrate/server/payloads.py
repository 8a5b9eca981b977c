"""Client payloads (JSON bodies, WebSocket frames, message text) parsed so that no input can raise.

Deep nesting makes ``json.loads`` raise ``RecursionError`` and a JSON ``\\ud800`` escape gives a
string SQLite cannot store: both must be a 400 or an error event, never a 5xx or a dead socket.
"""

from __future__ import annotations

import json
from typing import Any

MAX_MESSAGE_LENGTH = 5000


def json_object(raw: bytes | str | None) -> dict[str, Any] | None:
    """The JSON object in ``raw``, or None for anything else (invalid, too deep, not an object)."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def is_text(value: object) -> bool:
    """A string that can be stored and compared as UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def message_text(value: object) -> str | None:
    """The text of a chat message if it is storable, not blank and not too long."""
    if not is_text(value):
        return None
    assert isinstance(value, str)
    return value if value.strip() and len(value) <= MAX_MESSAGE_LENGTH else None
