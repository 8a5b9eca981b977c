"""A room member that stops reading is dropped and closed: senders and the other members carry on without it."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from server_wire import ServerFactory, access_token, bearer, ws_path
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.sync.client import ClientConnection, connect
from websockets.uri import parse_uri

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.payloads import MAX_MESSAGE_LENGTH
from chatmigrate.server.rooms import CLOSE_TOO_SLOW, TOO_SLOW_REASON

PLAYER_ID, CHATROOM_ID = 1001, 1
HANG_GUARD_SECONDS = 30  # only against a hang: nothing here asserts how long anything took
HEAD_LENGTH = 8
PADDING = "\N{GRINNING FACE}" * (MAX_MESSAGE_LENGTH - HEAD_LENGTH)
FRAME_BYTES_AT_LEAST = 4 * len(PADDING)  # 4 UTF-8 bytes a face, however the server encodes them


def bytes_to_stall() -> int:
    """More than the loopback path can hold for a reader that never reads: the server's largest kernel send
    buffer, plus a MiB for its write buffer and this side's (shrunk) receive buffer."""
    try:
        send_buffer_max = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, ValueError, IndexError):
        send_buffer_max = 4 * 2**20
    return send_buffer_max + 2**20


SENDS = bytes_to_stall() // FRAME_BYTES_AT_LEAST + 1


class StuckMember:
    """A WebSocket client on a bare TCP socket: it completes the handshake, then reads nothing until told to."""

    def __init__(self, server: EmbeddedServer, path: str) -> None:
        self.protocol = ClientProtocol(parse_uri(f"{server.ws_url}{path}"))  # no compression: bytes stay bytes
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(HANG_GUARD_SECONDS)
        self.sock.connect((server.host, server.port))
        self.protocol.send_request(self.protocol.connect())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        handshake = b""
        while b"\r\n\r\n" not in handshake:
            handshake += self.sock.recv(1)
        self.protocol.receive_data(handshake)
        assert self.protocol.handshake_exc is None

    def read_until_closed(self) -> tuple[list[str], Close | None]:
        """Everything the server sent from the handshake on: the texts of its message events, then its close."""
        texts = []
        while self.protocol.close_rcvd is None:
            data = self.sock.recv(65536)
            if not data:
                break
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    texts.extend(_message_heads(bytes(event.data).decode()))
        return texts, self.protocol.close_rcvd

    def close(self) -> None:
        self.sock.close()


def _message_heads(frame: str) -> list[str]:
    """The numbered head of the flood message in ``frame`` (its padding left out); none for other events."""
    event = json.loads(frame)
    return [event["message"]["message"][:HEAD_LENGTH]] if event["type"] == "message" else []


@dataclass
class Flood:
    statuses: list[int]
    sent: list[str]
    stuck_texts: list[str]
    stuck_close: Close | None
    healthy_texts: list[str]


def _healthy_texts(member: ClientConnection, count: int) -> list[str]:
    texts: list[str] = []
    while len(texts) < count:
        texts.extend(_message_heads(str(member.recv(timeout=HANG_GUARD_SECONDS))))
    return texts


@pytest.fixture(scope="module")
def flood(own_server_with: ServerFactory) -> Iterator[Flood]:
    """One member never reads while enough large messages to fill every buffer on its way are sent over REST,
    one after the other; a second member reads as usual. Writes go to this module's own server."""
    server = own_server_with()
    token = access_token(server)
    stuck = StuckMember(server, ws_path(PLAYER_ID, 1))
    sent = [str(number).zfill(HEAD_LENGTH) for number in range(SENDS)]
    with (
        connect(f"{server.ws_url}{ws_path(PLAYER_ID, 2)}", max_queue=None, proxy=None) as healthy,
        httpx.Client(base_url=server.base_url, timeout=HANG_GUARD_SECONDS) as client,
    ):
        statuses = [
            client.post(
                "/api/v1/chat/send/",
                json={"chatroom_id": CHATROOM_ID, "message": head + PADDING},
                headers=bearer(token),
            ).status_code
            for head in sent
        ]
        healthy_texts = _healthy_texts(healthy, SENDS)
    stuck_texts, stuck_close = stuck.read_until_closed()
    stuck.close()
    yield Flood(statuses, sent, stuck_texts, stuck_close, healthy_texts)


def test_rest_sends_complete_while_a_member_does_not_read(flood: Flood) -> None:
    assert flood.statuses == [201] * SENDS


def test_member_that_does_not_read_is_closed_as_too_slow(flood: Flood) -> None:
    assert flood.stuck_close == Close(CLOSE_TOO_SLOW, TOO_SLOW_REASON)


def test_dropped_member_gets_nothing_after_the_drop(flood: Flood) -> None:
    assert len(flood.stuck_texts) < SENDS
    assert flood.stuck_texts == flood.sent[: len(flood.stuck_texts)]


def test_members_that_read_get_every_message_in_order(flood: Flood) -> None:
    assert flood.healthy_texts == flood.sent
