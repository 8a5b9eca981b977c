"""The seeded data set: deterministic per seed, and rich enough for every check chatmigrate makes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from server_wire import access_token, claims_of, jwt_get, seeded_before, without_noise

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.config import ServerConfig


def snapshot(server: EmbeddedServer) -> list[dict[str, Any]]:
    """Every answer the data set gives, noise removed: the chat list and each room's messages and purchases."""
    token = access_token(server)
    answers = [without_noise(jwt_get(server, token, request_type="chat_list").json())]
    for room in range(1, server.config.players + 1):
        for request_type in ("recent_messages", "purchases_list"):
            body = jwt_get(server, token, chatroom_id=room, request_type=request_type, limit=200).json()
            answers.append(without_noise(body))
    return answers


def small_server(seed: int) -> EmbeddedServer:
    return EmbeddedServer(ServerConfig(seed=seed, players=3, messages_per_room=20))


def all_messages(server: EmbeddedServer) -> list[dict[str, Any]]:
    token = access_token(server)
    before = seeded_before(server)
    messages: list[dict[str, Any]] = []
    for room in range(1, server.config.players + 1):
        messages += jwt_get(server, token, chatroom_id=room, limit=200, before=before).json()["messages"]
    return messages


def all_purchases(server: EmbeddedServer) -> list[dict[str, Any]]:
    token = access_token(server)
    purchases: list[dict[str, Any]] = []
    for room in range(1, server.config.players + 1):
        body = jwt_get(server, token, chatroom_id=room, request_type="purchases_list", limit=200).json()
        purchases += body["messages"]
    return purchases


def test_same_seed_gives_the_same_data_on_two_servers() -> None:
    with small_server(7) as first, small_server(7) as second:
        assert snapshot(first) == snapshot(second)


def test_different_seed_gives_different_data() -> None:
    with small_server(7) as first, small_server(8) as second:
        assert snapshot(first) != snapshot(second)


@pytest.mark.parametrize(("username", "role"), [("admin", "admin"), ("support", "support"), ("viewer", "viewer")])
def test_seeded_principal_has_its_role(server: EmbeddedServer, username: str, role: str) -> None:
    assert claims_of(access_token(server, username))["role"] == role


def test_former_admin_is_seeded_inactive(server: EmbeddedServer) -> None:
    response = httpx.post(
        f"{server.base_url}/api/v1/auth/token/", json={"username": "former", "password": "seed-Passw0rd"}
    )
    assert response.status_code == 401


def test_every_player_has_one_chatroom_named_after_it(server: EmbeddedServer) -> None:
    chats = jwt_get(server, access_token(server), request_type="chat_list").json()["chats"]
    assert len(chats) == server.config.players
    assert sorted(chat["chatroom_id"] for chat in chats) == list(range(1, server.config.players + 1))
    assert all(chat["chatroom"] == f"P{chat['player_id']}Chat" for chat in chats)
    assert len({chat["player_id"] for chat in chats}) == server.config.players


def test_messages_come_from_both_players_and_admins(server: EmbeddedServer) -> None:
    assert {message["sender"] for message in all_messages(server)} == {"player", "admin"}


def test_messages_have_both_read_and_unread_state(server: EmbeddedServer) -> None:
    assert {message["is_read"] for message in all_messages(server)} == {True, False}


def test_unread_count_matches_unread_player_messages() -> None:
    """Checked on a private server: other tests may mark messages read on the shared one."""
    with small_server(11) as private:
        token = access_token(private)
        for chat in jwt_get(private, token, request_type="chat_list").json()["chats"]:
            messages = jwt_get(private, token, chatroom_id=chat["chatroom_id"], limit=200).json()["messages"]
            unread = [m for m in messages if m["sender"] == "player" and not m["is_read"]]
            assert chat["unread_count"] == len(unread)


def test_purchase_html_content_is_html(server: EmbeddedServer) -> None:
    assert all(purchase["html_content"].lstrip().startswith("<") for purchase in all_purchases(server))


def test_some_purchase_html_is_rich_markup(server: EmbeddedServer) -> None:
    assert any("<img" in purchase["html_content"] for purchase in all_purchases(server))


@pytest.mark.parametrize("active", ["<script", "onerror=", "javascript:"])
def test_no_seeded_purchase_html_is_active(server: EmbeddedServer, active: str) -> None:
    """The chat UI renders html_content raw next to the JWT: a clean server serves none that runs."""
    assert not any(active in purchase["html_content"] for purchase in all_purchases(server))


def test_players_are_both_online_and_offline(server: EmbeddedServer) -> None:
    chats = jwt_get(server, access_token(server), request_type="chat_list").json()["chats"]
    assert {chat["is_online"] for chat in chats} == {True, False}
