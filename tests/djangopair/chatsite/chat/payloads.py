"""The JSON both views answer, built in one place so that the clean pair differs only where a test plants it.

Shapes follow the seed's chat admin API: ``messages`` for both request types, the chat list under ``users``
(as the real deployment has it), timestamps as DRF writes them (``Z``), prices as numbers. ``planted`` is true
for the JWT API of the variant only: a renamed field, ``+00:00`` timestamps and prices as strings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from chatsite.chat.models import Chatroom, Message, Purchase

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    has_more: bool


def iso(moment: datetime, planted: bool = False) -> str:
    """DRF's rendering of an aware UTC datetime; the planted one keeps Python's ``+00:00``."""
    text = moment.astimezone(UTC).isoformat()
    return text if planted else text.removesuffix("+00:00") + "Z"


def generated_at() -> str:
    return iso(timezone.now())


def chat_users() -> list[dict[str, Any]]:
    rooms = Chatroom.objects.select_related("player").annotate(
        unread=Count("messages", filter=Q(messages__is_read=False, messages__sender="player"))
    )
    users = []
    for room in rooms.order_by("id"):
        last = room.messages.order_by("-id").first()
        users.append(
            {
                "id": room.player.id,
                "username": room.player.username,
                "display_name": room.player.display_name,
                "chatroom_id": room.id,
                "chatroom": room.name,
                "last_message": last.message if last else None,
                "last_message_at": iso(last.created_at) if last else None,
                "unread_count": room.unread,
                "is_online": room.player.is_online,
            }
        )
    return users


def _page(rows: QuerySet[Any], limit: int, before: int | None) -> tuple[list[Any], bool]:
    if before is not None:
        rows = rows.filter(id__lt=before)
    taken = list(rows.order_by("-id")[: limit + 1])
    return taken[:limit], len(taken) > limit


def messages(room: Chatroom, limit: int, before: int | None, planted: bool) -> Page:
    rows, more = _page(Message.objects.filter(chatroom=room), limit, before)
    text_key = "text" if planted else "message"
    items = [
        {
            "id": row.id,
            "chatroom_id": room.id,
            "sender": row.sender,
            "sender_id": row.sender_id,
            "sender_name": row.sender_name,
            text_key: row.message,
            "timestamp": iso(row.created_at, planted),
            "is_read": row.is_read,
        }
        for row in rows
    ]
    return Page(items, more)


def purchases(room: Chatroom, limit: int, before: int | None, planted: bool) -> Page:
    rows, more = _page(Purchase.objects.filter(chatroom=room), limit, before)
    items = [
        {
            "id": row.id,
            "chatroom_id": room.id,
            "player_id": room.player_id,
            "item": row.item,
            "amount": str(row.amount) if planted else float(row.amount),
            "currency": row.currency,
            "status": row.status,
            "html_content": row.html_content,
            "timestamp": iso(row.created_at, planted),
        }
        for row in rows
    ]
    return Page(items, more)


def room_body(room: Chatroom, page: Page) -> dict[str, Any]:
    return {
        "status": "success",
        "chatroom_id": room.id,
        "messages": page.items,
        "has_more": page.has_more,
        "generated_at": generated_at(),
    }


def users_body() -> dict[str, Any]:
    return {"status": "success", "users": chat_users(), "generated_at": generated_at()}
