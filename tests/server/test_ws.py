"""The chat WebSocket: both auth modes, the Origin policy, and every event with its documented shape."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import pytest
from server_wire import (
    ServerFactory,
    access_token,
    bearer,
    joined,
    jwt_get,
    logged_in,
    receive,
    token_pair,
    ws_connect,
    ws_path,
)
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chatmigrate.embedded import EmbeddedServer

T = TypeVar("T")
MESSAGE_KEYS = {"id", "chatroom_id", "sender", "sender_id", "sender_name", "message", "timestamp", "is_read"}


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def handshake_status(server: EmbeddedServer, path: str, origin: str | None = None) -> int:
    """101 when the socket opens, otherwise the HTTP status of the refused handshake."""
    try:
        async with ws_connect(server, path, origin):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


async def close_code(socket: ClientConnection) -> int:
    """Read until the server closes; the close code it sent."""
    try:
        while True:
            await receive(socket)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code


async def authenticated(server: EmbeddedServer, first_frame: str, user_id: int | None = 1) -> int:
    """Open a jwt-mode socket, send ``first_frame``; 1000 if it got the connected event, else the close code."""
    async with ws_connect(server, ws_path(1001, user_id)) as socket:
        try:
            await socket.send(first_frame)  # the server may have closed already: then sending fails
            event = await receive(socket)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code
        assert event["type"] == "connected"
        return 1000


def auth_frame(token: object) -> str:
    return json.dumps({"type": "auth", "token": token})


@pytest.fixture(scope="module")
def jwt_server(server_with: ServerFactory) -> EmbeddedServer:
    return server_with(ws_auth="jwt")


# url mode ------------------------------------------------------------------------
def test_member_gets_connected_then_live_status(server: EmbeddedServer) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with ws_connect(server, ws_path(1003, 2)) as socket:
            return await joined(socket)

    connected, live = run(scenario())
    assert connected == {"type": "connected", "chatroom": "P1003Chat", "user_id": 2}
    assert set(live) == {"type", "player_id", "is_online"} and live["player_id"] == 1003


def test_live_status_matches_the_chat_list(server: EmbeddedServer) -> None:
    chats = jwt_get(server, access_token(server), request_type="chat_list").json()["chats"]
    online = {chat["player_id"]: chat["is_online"] for chat in chats}

    async def scenario() -> dict[int, bool]:
        seen = {}
        for player_id in online:
            async with ws_connect(server, ws_path(player_id, 1)) as socket:
                seen[player_id] = (await joined(socket))[1]["is_online"]
        return seen

    assert run(scenario()) == online


def test_url_mode_trusts_the_user_id_parameter(server: EmbeddedServer) -> None:
    async def scenario() -> dict[str, Any]:
        async with ws_connect(server, ws_path(1001, 2)) as socket:
            return (await joined(socket))[0]

    assert run(scenario())["user_id"] == 2


@pytest.mark.parametrize("user_id", [3, 4, 999], ids=["non-staff", "inactive", "unknown"])
def test_url_mode_refuses_a_user_id_that_is_not_active_staff(server: EmbeddedServer, user_id: int) -> None:
    assert run(handshake_status(server, ws_path(1001, user_id))) == 403


def test_url_mode_refuses_a_missing_user_id(server: EmbeddedServer) -> None:
    assert run(handshake_status(server, ws_path(1001, None))) == 403


@pytest.mark.parametrize("room", ["P999999Chat", "P0Chat", "lobby"])
def test_unknown_chatroom_is_refused(server: EmbeddedServer, room: str) -> None:
    assert run(handshake_status(server, f"/ws/cschat/{room}/?user_id=1")) == 403


# origin policy ---------------------------------------------------------------------
def test_foreign_origin_is_refused(server: EmbeddedServer) -> None:
    assert run(handshake_status(server, ws_path(), origin="http://evil.example")) == 403


def test_null_origin_is_refused(server: EmbeddedServer) -> None:
    assert run(handshake_status(server, ws_path(), origin="null")) == 403


def test_own_origin_is_allowed(server: EmbeddedServer) -> None:
    assert run(handshake_status(server, ws_path(), origin=server.base_url)) == 101


def test_no_origin_is_allowed(server: EmbeddedServer) -> None:
    assert run(handshake_status(server, ws_path(), origin=None)) == 101


def test_configured_origin_is_allowed(server_with: ServerFactory) -> None:
    trusting = server_with(allowed_origins=("https://admin.example",))
    assert run(handshake_status(trusting, ws_path(), origin="https://admin.example")) == 101


# jwt mode --------------------------------------------------------------------------
def test_jwt_mode_accepts_a_valid_token_first(jwt_server: EmbeddedServer) -> None:
    assert run(authenticated(jwt_server, auth_frame(access_token(jwt_server)))) == 1000


def test_jwt_mode_closes_4408_without_auth_in_time(server_with: ServerFactory) -> None:
    impatient = server_with(ws_auth="jwt", ws_auth_timeout=0.2)

    async def scenario() -> int:
        async with ws_connect(impatient, ws_path()) as socket:
            return await close_code(socket)

    assert run(scenario()) == 4408


def test_jwt_mode_closes_4401_for_a_bad_token(jwt_server: EmbeddedServer) -> None:
    assert run(authenticated(jwt_server, auth_frame("not.a.token"))) == 4401


def test_jwt_mode_closes_4401_for_a_refresh_token(jwt_server: EmbeddedServer) -> None:
    assert run(authenticated(jwt_server, auth_frame(token_pair(jwt_server)["refresh"]))) == 4401


def test_jwt_mode_closes_4403_when_token_and_user_id_differ(jwt_server: EmbeddedServer) -> None:
    assert run(authenticated(jwt_server, auth_frame(access_token(jwt_server, "support")), user_id=1)) == 4403


def test_jwt_mode_closes_4400_without_user_id_even_for_a_valid_token(jwt_server: EmbeddedServer) -> None:
    assert run(authenticated(jwt_server, auth_frame(access_token(jwt_server)), user_id=None)) == 4400


def test_jwt_mode_closes_4403_for_a_non_staff_token(jwt_server: EmbeddedServer) -> None:
    assert run(authenticated(jwt_server, auth_frame(access_token(jwt_server, "viewer")), user_id=3)) == 4403


@pytest.mark.parametrize(
    "frame",
    ['{"type": "message", "message": "hi"}', "not json", "[]", '{"type": "auth"}', '{"type": "auth", "token": 7}'],
)
def test_jwt_mode_closes_4400_for_a_malformed_first_message(jwt_server: EmbeddedServer, frame: str) -> None:
    assert run(authenticated(jwt_server, frame)) == 4400


def test_jwt_mode_ignores_user_id_trust(jwt_server: EmbeddedServer) -> None:
    """Naming a staff id is no longer enough: without a token the socket never joins."""
    assert run(authenticated(jwt_server, '{"type": "auth", "user_id": 1}')) == 4400


# events ------------------------------------------------------------------------------
def test_message_is_acknowledged_with_the_stored_message(scratch_server: EmbeddedServer) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with ws_connect(scratch_server, ws_path(1002, 1)) as socket:
            await joined(socket)
            await socket.send(json.dumps({"type": "message", "message": "hello", "client_id": "c1"}))
            return [await receive(socket), await receive(socket)]

    events = run(scenario())
    ack = next(event for event in events if event["type"] == "ack")
    assert ack["client_id"] == "c1"
    assert set(ack["message"]) == MESSAGE_KEYS
    assert (ack["message"]["message"], ack["message"]["sender"], ack["message"]["sender_id"]) == ("hello", "admin", 1)


def test_acknowledged_message_is_already_committed(scratch_server: EmbeddedServer) -> None:
    async def scenario() -> tuple[dict[str, Any], list[Any]]:
        async with ws_connect(scratch_server, ws_path(1002, 1)) as socket:
            await joined(socket)
            await socket.send(json.dumps({"type": "message", "message": "on disk", "client_id": "c2"}))
            while (event := await receive(socket))["type"] != "ack":
                pass
            with sqlite3.connect(str(scratch_server.config.db_path)) as reader:
                row = reader.execute("SELECT message FROM messages WHERE id = ?", (event["message"]["id"],)).fetchall()
            return event, row

    _, rows = run(scenario())
    assert rows == [("on disk",)]


def test_message_is_broadcast_to_every_socket_in_the_room_including_the_sender(scratch_server: EmbeddedServer) -> None:
    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        async with (
            ws_connect(scratch_server, ws_path(1004, 1)) as sender,
            ws_connect(scratch_server, ws_path(1004, 2)) as other,
            ws_connect(scratch_server, ws_path(1005, 2)) as elsewhere,
        ):
            for socket in (sender, other, elsewhere):
                await joined(socket)
            await sender.send(json.dumps({"type": "message", "message": "to the room", "client_id": "c3"}))
            own = [await receive(sender), await receive(sender)]
            theirs = await receive(other)
            await elsewhere.send(json.dumps({"type": "typing", "is_typing": True}))
            await elsewhere.send(json.dumps({"type": "message", "message": "marker", "client_id": "m"}))
            elsewhere_events = [await receive(elsewhere), await receive(elsewhere)]
            return theirs, own, elsewhere_events

    theirs, own, elsewhere_events = run(scenario())
    ack = next(event for event in own if event["type"] == "ack")
    assert {"type": "message", "message": ack["message"]} in own
    assert theirs == {"type": "message", "message": ack["message"]}
    assert all(event["message"]["message"] == "marker" for event in elsewhere_events)


def test_websocket_message_shows_in_recent_messages_on_both_tiers(scratch_server: EmbeddedServer) -> None:
    async def scenario() -> dict[str, Any]:
        async with ws_connect(scratch_server, ws_path(1006, 2)) as socket:
            await joined(socket)
            await socket.send(json.dumps({"type": "message", "message": "visible everywhere", "client_id": "c4"}))
            while (event := await receive(socket))["type"] != "ack":
                pass
            return dict(event["message"])

    stored = run(scenario())
    legacy = logged_in(scratch_server).get("/admin/chat/", params={"chatroom_id": 6, "limit": 1}).json()
    new = jwt_get(scratch_server, access_token(scratch_server), chatroom_id=6, limit=1).json()
    assert legacy["messages"] == new["messages"] == [stored]


def test_rest_send_is_broadcast_and_shows_on_both_tiers(scratch_server: EmbeddedServer) -> None:
    token = access_token(scratch_server)

    async def scenario() -> tuple[httpx.Response, dict[str, Any]]:
        async with ws_connect(scratch_server, ws_path(1007, 1)) as socket:
            await joined(socket)
            async with httpx.AsyncClient(base_url=scratch_server.base_url) as client:
                sent = await client.post(
                    "/api/v1/chat/send/", json={"chatroom_id": 7, "message": "from REST"}, headers=bearer(token)
                )
            return sent, await receive(socket)

    sent, event = run(scenario())
    assert sent.status_code == 201
    assert sent.json()["status"] == "success"
    assert event == {"type": "message", "message": sent.json()["message"]}
    legacy = logged_in(scratch_server).get("/admin/chat/", params={"chatroom_id": 7, "limit": 1}).json()
    assert legacy["messages"] == jwt_get(scratch_server, token, chatroom_id=7, limit=1).json()["messages"]
    assert legacy["messages"] == [sent.json()["message"]]


def test_typing_goes_to_the_others_only(scratch_server: EmbeddedServer) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with (
            ws_connect(scratch_server, ws_path(1008, 1)) as typist,
            ws_connect(scratch_server, ws_path(1008, 2)) as other,
        ):
            await joined(typist)
            await joined(other)
            await typist.send(json.dumps({"type": "typing", "is_typing": True}))
            seen_by_other = await receive(other)
            await typist.send(json.dumps({"type": "unknown-marker"}))
            return seen_by_other, await receive(typist)

    seen_by_other, typist_next = run(scenario())
    assert seen_by_other == {"type": "typing", "user_id": 1, "is_typing": True}
    assert typist_next["type"] == "error"


def test_read_goes_to_everyone_and_is_stored(scratch_server: EmbeddedServer) -> None:
    token = access_token(scratch_server)
    unread = [
        m for m in jwt_get(scratch_server, token, chatroom_id=9, limit=200).json()["messages"] if not m["is_read"]
    ]

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with (
            ws_connect(scratch_server, ws_path(1009, 1)) as reader,
            ws_connect(scratch_server, ws_path(1009, 2)) as other,
        ):
            await joined(reader)
            await joined(other)
            await reader.send(json.dumps({"type": "read", "message_id": unread[0]["id"]}))
            return await receive(reader), await receive(other)

    own, theirs = run(scenario())
    assert own == theirs == {"type": "read", "message_id": unread[0]["id"], "user_id": 1}
    after = jwt_get(scratch_server, token, chatroom_id=9, limit=200).json()["messages"]
    assert next(m for m in after if m["id"] == unread[0]["id"])["is_read"] is True


@pytest.mark.parametrize(
    "event",
    [
        {"type": "read", "message_id": 1},
        {"type": "read", "message_id": 10**30},
        {"type": "message", "message": "   "},
        {"type": "message", "message": "x" * 5001},
        {"type": "dance"},
    ],
    ids=["read-other-room", "read-huge-id", "blank-message", "long-message", "unknown-type"],
)
def test_bad_event_gets_an_error_event_and_the_socket_stays_open(scratch_server: EmbeddedServer, event: Any) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with ws_connect(scratch_server, ws_path(1010, 1)) as socket:
            await joined(socket)
            await socket.send(json.dumps(event))
            error = await receive(socket)
            await socket.send(json.dumps({"type": "typing", "is_typing": False}))
            await socket.send(json.dumps({"type": "dance"}))
            return error, await receive(socket)

    error, still_there = run(scenario())
    assert error["type"] == "error" and still_there["type"] == "error"


@pytest.mark.parametrize(
    "frame",
    ['{"type": "message", "message": "\\ud800"}', "[" * 100_000, b"\x00binary"],
    ids=["surrogate", "deep", "binary"],
)
def test_hostile_frame_gets_an_error_event(scratch_server: EmbeddedServer, frame: str | bytes) -> None:
    async def scenario() -> dict[str, Any]:
        async with ws_connect(scratch_server, ws_path(1010, 1)) as socket:
            await joined(socket)
            await socket.send(frame)
            return await receive(socket)

    assert run(scenario())["type"] == "error"
