"""The query contract both tiers share, and the drifts that bend the JWT tier's copy of it.

Keeping one builder is what makes a clean pair byte-identical apart from noise;
drifts are applied afterwards, each in one place, so each changes exactly one thing.
"""

from __future__ import annotations

import sqlite3
import uuid
from calendar import timegm
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chatmigrate.server.db import Store
from chatmigrate.server.switches import Switches
from chatmigrate.vocab import Drift

REQUEST_TYPES = ("recent_messages", "purchases_list", "chat_list")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class QueryError(Exception):
    """Bad parameters: a 400 on both tiers."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ChatroomNotFound(Exception):
    """Unknown chatroom: JSON 404 on the JWT tier, Django's HTML 404 page on the legacy tier."""

    def __init__(self, chatroom_id: int) -> None:
        super().__init__(f"Chatroom {chatroom_id} not found")
        self.chatroom_id = chatroom_id


@dataclass(frozen=True, slots=True)
class ChatQuery:
    request_type: str
    chatroom_id: int | None
    limit: int
    before: int | None


def parse_query(params: Mapping[str, str]) -> ChatQuery:
    request_type = params.get("request_type", "recent_messages")
    if request_type not in REQUEST_TYPES:
        raise QueryError(f"request_type must be one of {', '.join(REQUEST_TYPES)}")
    chatroom_id = _positive_int(params, "chatroom_id")
    if chatroom_id is None and request_type != "chat_list":
        raise QueryError("chatroom_id is required")
    limit = _positive_int(params, "limit")
    before = _positive_int(params, "before")
    return ChatQuery(request_type, chatroom_id, min(limit or DEFAULT_LIMIT, MAX_LIMIT), before)


def _positive_int(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or int(raw) < 1:
        raise QueryError(f"{name} must be a positive integer")
    return int(raw)


def noise() -> dict[str, str]:
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "request_id": uuid.uuid4().hex,
    }


def message_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "chatroom_id": row["chatroom_id"],
        "sender": row["sender"],
        "sender_id": row["sender_id"],
        "sender_name": row["sender_name"],
        "message": row["message"],
        "timestamp": row["created_at"],
        "is_read": bool(row["is_read"]),
    }


def _purchase_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "chatroom_id": row["chatroom_id"],
        "player_id": row["player_id"],
        "item": row["item"],
        "amount": row["amount"],
        "currency": row["currency"],
        "status": row["status"],
        "html_content": row["html_content"],
        "timestamp": row["created_at"],
    }


def _chat_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "chatroom_id": row["chatroom_id"],
        "chatroom": row["chatroom"],
        "player_id": row["player_id"],
        "username": row["username"],
        "last_message": row["last_message"],
        "last_message_at": row["last_message_at"],
        "unread_count": row["unread_count"],
        "is_online": bool(row["is_online"]),
    }


def build_response(store: Store, query: ChatQuery, switches: Switches | None = None) -> dict[str, Any]:
    """Answer a query; ``switches`` is given on the JWT tier only, where drifts apply."""
    drift = switches.drift if switches else (lambda _name: False)
    if query.request_type == "chat_list":
        chats = [_chat_json(row) for row in store.chat_list()]
        return {
            "status": "success",
            "request_type": "chat_list",
            "chats": chats,
            "count": len(chats),
            **noise(),
        }
    assert query.chatroom_id is not None
    if store.chatroom(query.chatroom_id) is None:
        raise ChatroomNotFound(query.chatroom_id)
    limit = query.limit - 1 if drift(Drift.LIMIT_OFF_BY_ONE) and query.limit > 1 else query.limit
    if query.request_type == "recent_messages":
        rows = store.messages(query.chatroom_id, limit + 1, query.before)
        items = [message_json(row) for row in rows[:limit]]
    else:
        rows = store.purchases(query.chatroom_id, limit + 1, query.before)
        items = [_purchase_json(row) for row in rows[:limit]]
    items = _drift_items(items, query.request_type, drift)
    key = "purchases" if query.request_type == "purchases_list" and drift(Drift.PURCHASES_KEY) else "messages"
    return {
        "status": "success",
        "request_type": query.request_type,
        "chatroom_id": query.chatroom_id,
        key: items,
        "count": len(items),
        "has_more": len(rows) > limit,
        **noise(),
    }


def _drift_items(items: list[dict[str, Any]], request_type: str, drift: Any) -> list[dict[str, Any]]:
    if drift(Drift.RENAME_FIELD) and request_type == "recent_messages":
        items = [{("text" if key == "message" else key): value for key, value in item.items()} for item in items]
    if drift(Drift.TIMESTAMP_FORMAT):
        items = [{**item, "timestamp": _epoch(item["timestamp"])} for item in items]
    if drift(Drift.STRING_IDS):
        items = [{**item, "id": str(item["id"])} for item in items]
    if drift(Drift.REVERSE_ORDER):
        items = items[::-1]
    return items


def _epoch(iso: str) -> int:
    return timegm(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").timetuple())
