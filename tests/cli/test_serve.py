"""``chatmigrate serve``: options, the switch listing, usage errors and a real server in a subprocess."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest
from server_wire import JWT_CHAT, bearer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.config import ServerConfig
from chatmigrate.server.switches import DRIFTS, FLAWS

BANNER_URL = re.compile(r"reference server on (http://(?:127\.0\.0\.1|\[::1\]):(\d+))")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatmigrate", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
    )


@dataclass
class CliServer:
    process: subprocess.Popen[str]
    banner: list[str]
    base_url: str

    def token(self, username: str = "admin") -> str:
        response = httpx.post(
            f"{self.base_url}/api/v1/auth/token/", json={"username": username, "password": "seed-Passw0rd"}
        )
        access: str = response.json()["access"]
        return access


def start_cli_server(*args: str, env: dict[str, str] | None = None) -> CliServer:
    """Start ``chatmigrate serve --port 0`` and read its banner up to the principals line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "chatmigrate", "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in process.stderr or ():
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    banner: list[str] = []
    while not banner or "principals" not in banner[-1]:
        banner.append(lines.get(timeout=60).rstrip("\n"))
    match = BANNER_URL.search(banner[0])
    assert match is not None, banner
    return CliServer(process, banner, match.group(1))


Launch = Callable[..., CliServer]


@pytest.fixture
def launch() -> Iterator[Launch]:
    """``launch(*args, env=...)`` starts a CLI server; whatever is left of them is killed after the test."""
    started: list[CliServer] = []

    def start(*args: str, env: dict[str, str] | None = None) -> CliServer:
        started.append(start_cli_server(*args, env=env))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
        server.process.wait(timeout=10)


def test_help_lists_every_serve_option() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    for option in ("--host", "--port", "--db", "--seed", "--players", "--ws-auth", "--jwt-secret", "--drift"):
        assert option in result.stdout
    assert "--flaw" in result.stdout and "--list" in result.stdout


def test_list_prints_every_switch_on_one_line_each() -> None:
    result = run_cli("serve", "--list")
    expected = [f"drift {name} {text}" for name, text in DRIFTS.items()]
    expected += [f"flaw {name} {text}" for name, text in FLAWS.items()]
    assert result.returncode == 0
    assert result.stdout.splitlines() == expected


@pytest.mark.parametrize(("option", "name"), [("--drift", "renamed-field"), ("--flaw", "accept-everything")])
def test_unknown_switch_is_a_one_line_usage_error(option: str, name: str) -> None:
    result = run_cli("serve", "--port", "0", option, name)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert name in result.stderr and "--list" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--ws-auth", "cookie"), "--ws-auth must be 'url' or 'jwt'"),
        (("--players", "0"), "--players must be between 1 and 10000"),
        (("--ws-auth-timeout", "0"), "--ws-auth-timeout must be a positive number of seconds"),
        (("--port", "70000"), "cannot listen on port 70000: ports go from 0 to 65535"),
        (("--jwt-secret", ""), "the JWT signing key must not be empty"),
        (("--jwt-secret", "   "), "the JWT signing key must not be empty"),
        (
            ("--jwt-secret", "short-key"),
            "the JWT signing key must be at least 32 characters (HS256 needs 256 bits), got 9",
        ),
    ],
    ids=["ws-auth", "players", "ws-auth-timeout", "port", "empty-secret", "blank-secret", "short-secret"],
)
def test_bad_setting_is_a_one_line_usage_error(arguments: tuple[str, ...], message: str) -> None:
    result = run_cli("serve", "--port", "0", *arguments)
    assert result.returncode == 2
    assert result.stderr.strip() == f"chatmigrate: error: {message}"


@pytest.mark.parametrize("value", ["", "short-key"], ids=["empty", "short"])
def test_a_bad_secret_from_the_environment_is_refused_not_replaced(value: str) -> None:
    result = run_cli("serve", "--port", "0", env={"CHATMIGRATE_JWT_SECRET": value})
    assert result.returncode == 2
    assert result.stderr.startswith("chatmigrate: error: the JWT signing key must")
    assert value == "" or value not in result.stderr


def test_unusable_database_path_is_a_one_line_usage_error(tmp_path: Path) -> None:
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database\n" * 100)
    result = run_cli("serve", "--port", "0", "--db", str(not_sqlite))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"chatmigrate: error: {not_sqlite}: cannot open the SQLite database (file is not a database)"
    )


def test_served_banner_shows_url_principals_and_database(launch: Launch) -> None:
    server = launch()
    text = "\n".join(server.banner)
    assert re.search(r"database \S+chat\.sqlite3 \(temporary\)", text)
    for principal in ("admin (admin)", "support (support)", "viewer (viewer)", "former (admin, inactive)"):
        assert principal in text
    assert httpx.get(f"{server.base_url}/healthz").json() == {"status": "ok"}


def test_served_ipv6_address_is_bracketed_in_urls(launch: Launch) -> None:
    server = launch("--host", "::1")
    assert server.base_url.startswith("http://[::1]:")
    assert f"ws://[::1]:{server.base_url.rsplit(':', 1)[1]}/ws/cschat/" in "\n".join(server.banner)
    assert (
        httpx.get(
            f"{server.base_url}/api/chat-users", headers={"Authorization": f"Bearer {server.token()}"}
        ).status_code
        == 200
    )


def test_served_database_path_is_the_given_file(launch: Launch, tmp_path: Path) -> None:
    database = tmp_path / "chat.db"
    server = launch("--db", str(database))
    assert f"database {database}" in "\n".join(server.banner)
    assert database.exists()


def test_served_tokens_are_signed_with_the_secret_from_the_environment(
    launch: Launch,
) -> None:
    secret = "a-test-signing-key-long-enough-for-hs256"
    server = launch(env={"CHATMIGRATE_JWT_SECRET": secret})
    claims = jwt.decode(server.token(), secret, algorithms=["HS256"])
    assert claims["username"] == "admin"


def test_served_secret_never_appears_in_the_banner(launch: Launch) -> None:
    secret = "banner-must-not-show-this-signing-key"
    server = launch("--jwt-secret", secret)
    assert secret not in "\n".join(server.banner)


def test_acknowledged_message_survives_sigkill(launch: Launch, tmp_path: Path) -> None:
    database = tmp_path / "durable.db"
    first = launch("--db", str(database))
    sent = httpx.post(
        f"{first.base_url}/api/v1/chat/send/",
        json={"chatroom_id": 2, "message": "survives a crash"},
        headers=bearer(first.token()),
    )
    assert sent.status_code == 201
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    with EmbeddedServer(ServerConfig(db_path=str(database))) as second:
        token = httpx.post(
            f"{second.base_url}/api/v1/auth/token/", json={"username": "admin", "password": "seed-Passw0rd"}
        ).json()["access"]
        body = httpx.get(f"{second.base_url}{JWT_CHAT}", params={"chatroom_id": 2}, headers=bearer(token)).json()
    assert body["messages"][0] == sent.json()["message"]


def test_served_ws_auth_timeout_is_applied(launch: Launch) -> None:
    server = launch("--ws-auth", "jwt", "--ws-auth-timeout", "0.2")
    ws_url = server.base_url.replace("http://", "ws://") + "/ws/cschat/P1001Chat/?user_id=1"

    async def close_code() -> int | None:
        async with connect(ws_url, proxy=None) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 30)
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert asyncio.run(close_code()) == 4408
