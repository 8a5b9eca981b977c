"""WebSocket parity: a message reaches both histories and the socket, whichever way it was sent."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator

import pytest

from chatmigrate.config import Config
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.replay import Target, targets_from_config
from chatmigrate.server.config import ServerConfig
from chatmigrate.wsparity import CHECK, WsParity, run_ws_parity


@pytest.fixture(scope="module")
def scratch() -> Iterator[EmbeddedServer]:
    """These checks write chat messages: a server of their own keeps the shared ones as seeded."""
    with EmbeddedServer() as server:
        yield server


def sides(server: EmbeddedServer) -> dict[str, Target]:
    return {target.side: target for target in targets_from_config(Config.embedded(server))}


def check(server: EmbeddedServer, old: Target | None = None, ws_url: str | None = None) -> WsParity:
    config = Config.embedded(server)
    assert config.ws is not None
    options = dataclasses.replace(config.ws, url=ws_url or config.ws.url, timeout=2.0)
    targets = sides(server)
    return run_ws_parity(options, old or targets["old"], targets["new"])


def test_messages_sent_either_way_reach_both_histories_and_the_socket(scratch: EmbeddedServer) -> None:
    result = check(scratch)
    assert result.findings == [] and result.warnings == []
    assert [(row.endpoint, row.passed, row.failed) for row in result.endpoints] == [
        ("WS /ws/cschat/", 1, 0),
        ("POST /api/v1/chat/send/", 1, 0),
    ]


def test_in_jwt_socket_mode_the_token_is_sent_first() -> None:
    with EmbeddedServer(ServerConfig(ws_auth="jwt")) as jwt_mode:
        result = check(jwt_mode)
    assert result.findings == [] and all(row.passed == 1 for row in result.endpoints)


def test_a_history_that_misses_the_message_is_a_finding_naming_the_side(scratch: EmbeddedServer) -> None:
    with EmbeddedServer(ServerConfig()) as elsewhere:
        result = check(scratch, old=sides(elsewhere)["old"])
    titles = [(finding.check, finding.side, finding.title) for finding in result.findings]
    assert (CHECK, "old", "a message sent over the WebSocket is missing from recent_messages on old") in titles
    assert (CHECK, "old", "a message sent with the REST endpoint is missing from recent_messages on old") in titles
    assert all(finding.side == "old" for finding in result.findings)


def test_a_socket_that_cannot_be_opened_is_a_finding(server: EmbeddedServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"ws://127.0.0.1:{sock.getsockname()[1]}"
    result = check(server, ws_url=url)
    assert [f.kind for f in result.findings] == ["socket-to-history", "send-to-socket"]
    assert all("cannot open the WebSocket" in f.title for f in result.findings)
