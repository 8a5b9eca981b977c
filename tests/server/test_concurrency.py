"""Many senders at once: every message stored exactly once and broadcast exactly once to every socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from server_wire import access_token, bearer, joined, receive, ws_connect, ws_path
from websockets.asyncio.client import ClientConnection

from chatmigrate.embedded import EmbeddedServer

PLAYER_ID, CHATROOM_ID = 1011, 11
SOCKETS, SENDS_PER_SOCKET, REST_SENDS = 20, 5, 100
TOTAL = SOCKETS * SENDS_PER_SOCKET + REST_SENDS
MARKER = "end-of-burst"


@dataclass
class Member:
    """One socket in the room and everything it received."""

    index: int
    socket: ClientConnection
    events: list[dict[str, Any]] = field(default_factory=list)
    acked: asyncio.Event = field(default_factory=asyncio.Event)

    def messages(self) -> list[dict[str, Any]]:
        return [event["message"] for event in self.events if event["type"] == "message"]

    def acks(self) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == "ack"]

    async def read_until_marker(self) -> None:
        while True:
            event = await receive(self.socket, timeout=60)
            self.events.append(event)
            if len(self.acks()) == SENDS_PER_SOCKET:
                self.acked.set()
            if event["type"] == "message" and event["message"]["message"] == MARKER:
                return

    async def send_burst(self) -> None:
        for number in range(SENDS_PER_SOCKET):
            text = f"burst ws {self.index}-{number}"
            await self.socket.send(json.dumps({"type": "message", "message": text, "client_id": text}))


@dataclass
class Burst:
    members: list[Member]
    rest: list[httpx.Response]


async def burst(server: EmbeddedServer, token: str) -> Burst:
    """20 sockets and 100 REST calls send together; a final marker proves nothing else was still in flight."""
    async with contextlib.AsyncExitStack() as stack:
        members = []
        for index in range(SOCKETS):
            socket = await stack.enter_async_context(ws_connect(server, ws_path(PLAYER_ID, 1 + index % 2)))
            await joined(socket)
            members.append(Member(index, socket))
        readers = [asyncio.create_task(member.read_until_marker()) for member in members]
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=server.base_url, timeout=60))

        async def rest_send(text: str) -> httpx.Response:
            return await client.post(
                "/api/v1/chat/send/", json={"chatroom_id": CHATROOM_ID, "message": text}, headers=bearer(token)
            )

        sent = await asyncio.gather(
            *(member.send_burst() for member in members), *(rest_send(f"burst rest {n}") for n in range(REST_SENDS))
        )
        await asyncio.gather(*(member.acked.wait() for member in members))
        await rest_send(MARKER)
        await asyncio.gather(*readers)
    return Burst(members, [response for response in sent if isinstance(response, httpx.Response)])


@pytest.fixture(scope="module")
def burst_result(scratch_server: EmbeddedServer) -> Burst:
    return asyncio.run(burst(scratch_server, access_token(scratch_server)))


def burst_rows(server: EmbeddedServer) -> list[tuple[int, str]]:
    with sqlite3.connect(str(server.config.db_path)) as database:
        rows = database.execute(
            "SELECT id, message FROM messages WHERE chatroom_id = ? AND message LIKE 'burst %'", (CHATROOM_ID,)
        ).fetchall()
    return [(row[0], row[1]) for row in rows]


def test_every_rest_send_is_created(burst_result: Burst) -> None:
    assert len(burst_result.rest) == REST_SENDS
    assert {response.status_code for response in burst_result.rest} == {201}


def test_every_websocket_send_is_acknowledged_once(burst_result: Burst) -> None:
    for member in burst_result.members:
        expected = [f"burst ws {member.index}-{number}" for number in range(SENDS_PER_SOCKET)]
        assert sorted(ack["client_id"] for ack in member.acks()) == expected


def test_every_send_is_stored_exactly_once(scratch_server: EmbeddedServer, burst_result: Burst) -> None:
    texts = [text for _, text in burst_rows(scratch_server)]
    assert len(texts) == len(set(texts)) == TOTAL


def test_every_socket_gets_every_message_exactly_once(scratch_server: EmbeddedServer, burst_result: Burst) -> None:
    stored_ids = sorted(message_id for message_id, _ in burst_rows(scratch_server))
    for member in burst_result.members:
        received = [message["id"] for message in member.messages() if message["message"] != MARKER]
        assert sorted(received) == stored_ids


def test_broadcast_carries_what_was_stored(scratch_server: EmbeddedServer, burst_result: Burst) -> None:
    stored = dict(burst_rows(scratch_server))
    for member in burst_result.members:
        assert all(stored[m["id"]] == m["message"] for m in member.messages() if m["message"] != MARKER)


def test_acks_and_rest_answers_match_the_broadcast(burst_result: Burst) -> None:
    answered = [ack["message"] for member in burst_result.members for ack in member.acks()]
    answered += [response.json()["message"] for response in burst_result.rest]
    broadcast = [m for m in burst_result.members[0].messages() if m["message"] != MARKER]
    assert sorted(answered, key=lambda m: m["id"]) == sorted(broadcast, key=lambda m: m["id"])
