"""WebSocket parity: a message reaches both histories and the socket, whichever way it was sent."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.protocol import State

from chatmigrate.auth import BearerAuth
from chatmigrate.config import Config
from chatmigrate.corpus import load_corpus
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.parity import run_parity
from chatmigrate.replay import Target, principal_targets, targets_from_config
from chatmigrate.server.config import ServerConfig
from chatmigrate.server.switches import Switches
from chatmigrate.vocab import Check, FindingKind, Severity, Tier
from chatmigrate.wsparity import WsParity, _Broken, _Socket, run_ws_parity


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
    options = config.ws.model_copy(update=dict(url=ws_url or config.ws.url, timeout=2.0))
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
    titles = [(finding.check, finding.kind, finding.tier, finding.title) for finding in result.findings]
    assert (
        Check.WS_PARITY,
        FindingKind.SOCKET_TO_HISTORY,
        Tier.OLD,
        "a message sent over the WebSocket is missing from recent_messages on old",
    ) in titles
    assert (
        Check.WS_PARITY,
        FindingKind.SEND_TO_SOCKET,
        Tier.OLD,
        "a message sent with the REST endpoint is missing from recent_messages on old",
    ) in titles
    assert all(finding.tier is Tier.OLD for finding in result.findings)


def test_a_socket_that_cannot_be_opened_is_a_finding(server: EmbeddedServer) -> None:
    result = check(server, ws_url=refused_url("ws"))
    assert [f.kind for f in result.findings] == ["socket-to-history", "send-to-socket"]
    assert all("cannot open the WebSocket" in f.title for f in result.findings)


def refused_url(scheme: str) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"


def test_a_target_lost_mid_check_is_a_transport_error_not_a_crash(scratch: EmbeddedServer) -> None:
    config = Config.embedded(scratch)
    assert config.ws is not None
    options = config.ws.model_copy(update=dict(timeout=2.0, chatroom_id=1, player_id=1001, user_id=1))
    gone = Target(side="old", base_url=refused_url("http"), auth=BearerAuth("static-test-token"), timeout=1.0)
    result = run_ws_parity(options, gone, sides(scratch)["new"])
    assert result.transport_error is not None and "socket-to-history: connection lost" in result.transport_error


def test_a_socket_that_fails_after_connecting_is_closed(server: EmbeddedServer) -> None:
    config = Config.embedded(server)
    assert config.ws is not None
    jwt_without_token = config.ws.model_copy(update=dict(auth="jwt", timeout=2.0))
    socket_ = _Socket(jwt_without_token, "/ws/cschat/P1001Chat/?user_id=1", token=None)

    async def enter() -> State:
        with pytest.raises(_Broken, match="no access token"):
            await socket_.__aenter__()
        assert socket_.connection is not None
        return socket_.connection.state

    assert asyncio.run(enter()) is State.CLOSED


def who_gets_in(server: EmbeddedServer) -> dict[str | None, bool]:
    config = Config.embedded(server)
    assert config.ws is not None
    targets = sides(server)
    principals = principal_targets(config, [Tier.NEW])
    options = config.ws.model_copy(update=dict(timeout=2.0))
    return run_ws_parity(options, targets["old"], targets["new"], principals).sockets


def test_the_socket_lets_in_staff_principals_only(scratch: EmbeddedServer) -> None:
    assert who_gets_in(scratch) == {
        None: True,
        "support": True,
        "viewer": False,
        "deactivated": False,
        "anonymous": False,
    }


def test_in_jwt_mode_the_socket_lets_in_staff_principals_only(tmp_path: Path) -> None:
    with EmbeddedServer(ServerConfig(ws_auth="jwt", db_path=str(tmp_path / "chat.sqlite3"))) as server:
        assert who_gets_in(server) == {
            None: True,
            "support": True,
            "viewer": False,
            "deactivated": False,
            "anonymous": False,
        }


def test_a_socket_that_lets_in_a_user_old_refuses_is_a_critical_finding_of_the_run(tmp_path: Path) -> None:
    flawed = ServerConfig(db_path=str(tmp_path / "chat.sqlite3"), switches=Switches.parse([], ["ws-non-staff"]))
    with EmbeddedServer(flawed) as server:
        entries = [entry for entry in load_corpus() if entry.id == "chat-list"]
        result = run_parity(Config.embedded(server), entries=entries, out_dir=tmp_path / "results").result
    granted = [f for f in result.findings if f.kind is FindingKind.SOCKET_GRANTED]
    assert [(f.severity, f.subject) for f in granted] == [(Severity.CRITICAL, "viewer")]
    assert [row.principal for row in result.principals if row.grants_more] == ["viewer"]
