"""Sending probes: whatever a target does with a connection ends as an observation, never as an exception."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hostile_server import NEW_CHAT, HostileServer, gzip_bomb
from websockets.asyncio.server import ServerConnection, serve

from chatmigrate.audit.probe import Expect, HttpObservation, HttpProbe, WsObservation, WsProbe
from chatmigrate.audit.rules import JudgeContext, judge
from chatmigrate.audit.transport import MAX_BODY, send_http, send_raw, send_ws
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.vocab import Tier

AUTH_MESSAGE = '{"type": "auth", "token": "not-a-token"}'
CHAT = "/api/v1/admin/chat/?request_type=recent_messages&chatroom_id=1"
REFUSAL = b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def refused_at_once() -> tuple[WsProbe, WsObservation]:
    """A jwt-mode consumer that accepts the handshake and closes with 4403 before reading anything."""

    async def refuse(connection: ServerConnection) -> None:
        await connection.close(4403, "not allowed")

    async def run() -> tuple[WsProbe, WsObservation]:
        async with serve(refuse, "127.0.0.1", 0) as listener:
            port = listener.sockets[0].getsockname()[1]
            url = f"ws://127.0.0.1:{port}/ws/cschat/P1001Chat/"
            probe = WsProbe("closed at once", url, Expect.WS_REFUSED, first_message=AUTH_MESSAGE)
            return probe, await send_ws(probe, timeout=5)

    return asyncio.run(run())


def bytes_received(headers: tuple[tuple[str, str], ...]) -> bytes:
    """The request head as a loopback listener read it, for these headers sent over the raw socket."""
    received = bytearray()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.extend(await reader.readuntil(b"\r\n\r\n"))
        writer.write(REFUSAL)
        await writer.drain()
        writer.close()

    async def run() -> None:
        async with await asyncio.start_server(answer, "127.0.0.1", 0) as listener:
            port = listener.sockets[0].getsockname()[1]
            url = f"http://127.0.0.1:{port}{CHAT}"
            await send_raw(HttpProbe("raw", "GET", url, Expect.REFUSED, headers=headers, raw=True), timeout=5)

    asyncio.run(run())
    return bytes(received)


def test_a_socket_closed_before_the_first_message_is_observed_with_its_close_code() -> None:
    _probe, seen = refused_at_once()
    assert (seen.handshake_status, seen.close_code, seen.error) == (101, 4403, None)


def test_a_socket_closed_before_the_first_message_is_a_safe_refusal() -> None:
    probe, seen = refused_at_once()
    assert judge(Tier.WS, probe, seen, JudgeContext()) == []


def test_a_header_the_http_client_cannot_encode_is_observed_as_not_sent(server: EmbeddedServer) -> None:
    probe = HttpProbe("non-ASCII", "GET", server.base_url + CHAT, Expect.REFUSED, headers=(("X-Remote-User", "José"),))

    async def run() -> bool:
        async with httpx.AsyncClient() as client:
            seen = await send_http(client, probe, timeout=5)
        return seen.sent

    assert asyncio.run(run()) is False


def test_a_raw_probe_sends_non_ascii_text_as_utf8() -> None:
    assert "X-Remote-User: José 山田\r\n".encode() in bytes_received((("X-Remote-User", "José 山田"),))


@pytest.mark.parametrize(("fault", "error"), [("gzip-bomb", "too-large: "), ("drip", "timeout after 1s")])
def test_a_hostile_body_is_observed_as_an_error_without_being_read(fault: str, error: str) -> None:
    async def probe_it(url: str) -> HttpObservation:
        async with httpx.AsyncClient() as client:
            probe = HttpProbe("hostile body", "GET", url + NEW_CHAT, Expect.REFUSED)
            return await send_http(client, probe, timeout=1, max_body_bytes=1024 * 1024)

    gzip_bomb()  # built before the clock starts
    with HostileServer(fault, "new") as target:
        seen = asyncio.run(probe_it(target.url))
    assert (seen.status, (seen.error or "")[: len(error)]) == (200, error)
    assert len(seen.text) <= MAX_BODY
