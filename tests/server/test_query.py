"""The query contract, the same on both tiers: request types, paging, shapes, noise, and pair parity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from server_wire import JWT_CHAT, LEGACY_CHAT, ServerFactory, access_token, bearer, logged_in, without_noise

from chatmigrate.embedded import EmbeddedServer

Ask = Callable[..., httpx.Response]
TIERS = ("legacy", "jwt")
MESSAGE_KEYS = {"id", "chatroom_id", "sender", "sender_id", "sender_name", "message", "timestamp", "is_read"}
PURCHASE_KEYS = {"id", "chatroom_id", "player_id", "item", "amount", "currency", "status", "html_content", "timestamp"}
CHAT_KEYS = {
    "chatroom_id",
    "chatroom",
    "player_id",
    "username",
    "last_message",
    "last_message_at",
    "unread_count",
    "is_online",
}


def asker(server: EmbeddedServer, tier: str) -> Ask:
    """``ask(**params)`` on one tier, authenticated the way that tier wants."""
    if tier == "legacy":
        session = logged_in(server)
        return lambda **params: session.get(LEGACY_CHAT, params=params)
    headers = bearer(access_token(server))
    return lambda **params: httpx.get(f"{server.base_url}{JWT_CHAT}", params=params, headers=headers)


@pytest.fixture(params=TIERS)
def ask(request: pytest.FixtureRequest, server: EmbeddedServer) -> Ask:
    return asker(server, request.param)


@pytest.fixture(scope="module")
def deep_server(server_with: ServerFactory) -> EmbeddedServer:
    """Rooms with more messages than the largest page."""
    return server_with(players=2, messages_per_room=250)


def ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["messages"]]


def test_recent_messages_is_the_default_request_type(ask: Ask) -> None:
    assert ask(chatroom_id=1).json()["request_type"] == "recent_messages"


def test_messages_come_newest_first(ask: Ask) -> None:
    received = ids(ask(chatroom_id=1).json())
    assert received == sorted(received, reverse=True)


def test_message_has_the_documented_fields(ask: Ask) -> None:
    body = ask(chatroom_id=1, limit=5).json()
    assert all(set(message) == MESSAGE_KEYS for message in body["messages"])
    assert set(body) == {
        "status",
        "request_type",
        "chatroom_id",
        "messages",
        "count",
        "has_more",
        "generated_at",
        "request_id",
    }


def test_limit_defaults_to_50(ask: Ask) -> None:
    body = ask(chatroom_id=1).json()
    assert (body["count"], len(body["messages"]), body["has_more"]) == (50, 50, True)


@pytest.mark.parametrize("tier", TIERS)
def test_limit_above_200_is_clamped_to_200(deep_server: EmbeddedServer, tier: str) -> None:
    body = asker(deep_server, tier)(chatroom_id=1, limit=500).json()
    assert (body["count"], body["has_more"]) == (200, True)


@pytest.mark.parametrize("limit", ["0", "-3", "ten", "1.5"])
def test_limit_outside_1_to_200_as_integer_is_a_400(ask: Ask, limit: str) -> None:
    assert ask(chatroom_id=1, limit=limit).status_code == 400


def test_before_pages_through_older_messages(ask: Ask) -> None:
    first = ask(chatroom_id=1, limit=10).json()
    second = ask(chatroom_id=1, limit=10, before=ids(first)[-1]).json()
    both = ask(chatroom_id=1, limit=20).json()
    assert ids(first) + ids(second) == ids(both)


def test_has_more_is_false_on_the_last_page(ask: Ask) -> None:
    body = ask(chatroom_id=1, limit=5, before=4).json()
    assert (ids(body), body["has_more"]) == ([3, 2, 1], False)


def test_purchases_come_under_the_messages_key(ask: Ask) -> None:
    body = ask(chatroom_id=1, request_type="purchases_list").json()
    assert body["request_type"] == "purchases_list"
    assert body["messages"] and all(set(purchase) == PURCHASE_KEYS for purchase in body["messages"])
    assert "purchases" not in body


def test_purchases_page_with_before(ask: Ask) -> None:
    every = ids(ask(chatroom_id=1, request_type="purchases_list").json())
    older = ids(ask(chatroom_id=1, request_type="purchases_list", before=every[0]).json())
    assert older == every[1:]


def test_chat_list_needs_no_chatroom(ask: Ask) -> None:
    body = ask(request_type="chat_list").json()
    assert set(body) == {"status", "request_type", "chats", "count", "generated_at", "request_id"}
    assert body["count"] == len(body["chats"]) > 0
    assert all(set(chat) == CHAT_KEYS for chat in body["chats"])


def test_chat_list_carries_unread_counts_and_online_status(ask: Ask) -> None:
    chats = ask(request_type="chat_list").json()["chats"]
    assert all(isinstance(chat["unread_count"], int) and chat["unread_count"] >= 0 for chat in chats)
    assert all(isinstance(chat["is_online"], bool) for chat in chats)


@pytest.mark.parametrize("request_type", ["recent_messages", "purchases_list"])
def test_chatroom_is_required_for_room_queries(ask: Ask, request_type: str) -> None:
    response = ask(request_type=request_type)
    assert response.status_code == 400
    assert response.json()["detail"] == "chatroom_id is required"


def test_unknown_request_type_is_a_400(ask: Ask) -> None:
    assert ask(chatroom_id=1, request_type="everything").status_code == 400


@pytest.mark.parametrize("field", ["generated_at", "request_id"])
def test_noise_fields_differ_on_every_call(ask: Ask, field: str) -> None:
    values = {ask(chatroom_id=1, limit=1).json()[field] for _ in range(3)}
    assert len(values) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"chatroom_id": 4},
        {"chatroom_id": 4, "limit": 7, "before": 200},
        {"chatroom_id": 4, "request_type": "purchases_list"},
        {"request_type": "chat_list"},
    ],
    ids=["recent-messages", "paged", "purchases", "chat-list"],
)
def test_clean_pair_answers_identical_bodies_apart_from_noise(server: EmbeddedServer, params: dict[str, Any]) -> None:
    legacy = asker(server, "legacy")(**params)
    new = asker(server, "jwt")(**params)
    assert legacy.status_code == new.status_code == 200
    assert without_noise(legacy.json()) == without_noise(new.json())
