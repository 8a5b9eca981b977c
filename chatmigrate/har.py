"""Turn a browser devtools capture (HAR) of the admin chat UI into corpus entries.

Only requests of the chat API are kept, mapped to the canonical legacy path, and
credentials cannot come along: headers and cookies are never read, only the
query parameters of the chat contract are kept, and body fields that look like
credentials are removed (what remains is redacted too).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from chatmigrate.auth import SAFE_METHODS
from chatmigrate.errors import ConfigError
from chatmigrate.records import CorpusEntry
from chatmigrate.redact import redact, redact_obj

CANONICAL_CHAT = "/admin/chat/"
SEND_PATH = "/api/v1/chat/send/"
_CHAT_PATHS = {
    "/admin/chat/": None,
    "/api/v1/admin/chat/": None,
    "/api/chat-messages": "recent_messages",
    "/api/chat-purchases": "purchases_list",
    "/api/chat-users": "chat_list",
}
QUERY_KEYS = frozenset({"chatroom_id", "request_type", "limit", "before"})
CREDENTIAL_FIELDS = frozenset(
    {
        "token",
        "access",
        "access_token",
        "refresh",
        "refresh_token",
        "jwt",
        "auth",
        "authorization",
        "sessionid",
        "csrftoken",
        "csrfmiddlewaretoken",
        "password",
        "secret",
        "api_key",
        "apikey",
    }
)


def load_har(path: Path) -> list[CorpusEntry]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read HAR file: {error.strerror}", file=str(path)) from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"not JSON: {error.msg}", file=str(path), line=error.lineno) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", file=str(path)) from None
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise ConfigError("not a HAR file (no log.entries list)", file=str(path), key="log.entries")
    requests = []
    for index, entry in enumerate(entries):
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict) or not isinstance(request.get("url"), str):
            raise ConfigError("entry without request.url", file=str(path), key=f"log.entries[{index}].request")
        requests.append(request)
    return har_requests_to_corpus(requests)


def har_requests_to_corpus(requests: Iterable[dict[str, Any]]) -> list[CorpusEntry]:
    """Keep chat API calls, canonicalise them, drop credentials and duplicates; order is kept."""
    seen: set[str] = set()
    corpus: list[CorpusEntry] = []
    for request in requests:
        entry = to_entry(request, len(corpus) + 1)
        if entry is None:
            continue
        key = json.dumps([entry.method, entry.path, entry.query, entry.body], sort_keys=True)
        if key not in seen:
            seen.add(key)
            corpus.append(entry)
    return corpus


def to_entry(request: dict[str, Any], number: int, source: str = "har") -> CorpusEntry | None:
    """A HAR-shaped request (method, url, postData) as a canonical corpus entry, or None if it is not a chat call."""
    method = str(request.get("method", "GET")).upper()
    parts = urlsplit(request["url"])
    query = {
        name: redact(value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name in QUERY_KEYS
    }
    if parts.path == SEND_PATH and method == "POST":
        body = _json_body(request)
        return CorpusEntry(
            id=f"{source}-{number:03d}-send",
            method="POST",
            path=SEND_PATH,
            query=query,
            body=body,
            tags=[source, "send"],
            unsafe=True,
        )
    if parts.path not in _CHAT_PATHS or method not in SAFE_METHODS:
        return None
    request_type = _CHAT_PATHS[parts.path] or query.get("request_type", "recent_messages")
    query["request_type"] = request_type
    room = query.get("chatroom_id", "all")
    return CorpusEntry(
        id=f"{source}-{number:03d}-{request_type}-{room}",
        method=method,
        path=CANONICAL_CHAT,
        query=dict(sorted(query.items())),
        tags=[source, request_type],
        unsafe=False,
    )


def _json_body(request: dict[str, Any]) -> Any:
    post = request.get("postData")
    text = post.get("text") if isinstance(post, dict) else None
    if not isinstance(text, str):
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return _drop_credentials(body)


def _drop_credentials(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drop_credentials(item) for key, item in value.items() if key.lower() not in CREDENTIAL_FIELDS}
    if isinstance(value, list):
        return [_drop_credentials(item) for item in value]
    return redact_obj(value)
