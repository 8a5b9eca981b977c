"""Targets that misbehave at the transport level, each played by a tiny loopback server started here.

A broken target stops the run with one line and exit 3, keeps every finished entry on disk, and
``resume`` completes the run once the target is healthy. A misbehaving *answer* (HTML, a 5xx,
broken JSON, a redirect, a 50 MB body over the limit) is data: recorded, never retried, and the run goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_server import LoopbackTcpServer

from chatmigrate.auth import BearerAuth
from chatmigrate.cli import main
from chatmigrate.compare import group_exchanges, read_exchanges
from chatmigrate.config import Config
from chatmigrate.corpus import load_corpus
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import TransportError
from chatmigrate.records import CorpusEntry, Exchange
from chatmigrate.replay import EXCHANGES_FILE, ReplayOptions, Target, replay, run_replay, targets_from_config
from chatmigrate.responses import TEXT_CAP

HUGE = 50 * 1024 * 1024
HEALTHY_BODY = json.dumps({"status": "success", "messages": []}).encode()
OPAQUE = {"access": "opaque-0123456789abcdef", "password": "hunter2hunter2", "sessionid": "q8w7e6r5t4y3u2i1"}
DEEP = 100_000


class FaultServer(LoopbackTcpServer):
    """HTTP/1.1 on loopback: answers ``healthy`` requests with JSON, then misbehaves as ``fault`` says."""

    def __init__(self, fault: str, healthy: int = 0) -> None:
        super().__init__()
        self.fault, self.healthy = fault, healthy
        self.requests = 0
        self.bytes_sent = 0

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                self.requests += 1
                if self.requests <= self.healthy:
                    await self._answer(writer, 200, "application/json", HEALTHY_BODY)
                elif not await getattr(self, "_" + self.fault.replace("-", "_"))(writer):
                    return

    async def _answer(
        self, writer: asyncio.StreamWriter, status: int, content_type: str, body: bytes, extra: str = ""
    ) -> bool:
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}\r\n".encode()
            + body
        )
        await writer.drain()
        return True

    async def _healthy(self, writer: asyncio.StreamWriter) -> bool:
        return await self._answer(writer, 200, "application/json", HEALTHY_BODY)

    async def _refuse(self, writer: asyncio.StreamWriter) -> bool:
        if self._server is not None:
            self._server.close()
        writer.transport.abort()
        return False

    async def _hang(self, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(3600)
        return False

    async def _reset(self, writer: asyncio.StreamWriter) -> bool:
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"part')
        await writer.drain()
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        return False

    async def _reset_once(self, writer: asyncio.StreamWriter) -> bool:
        if self.requests == self.healthy + 1:
            return await self._reset(writer)
        return await self._healthy(writer)

    async def _garbage(self, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"\x00\xff\x13 this is not HTTP \x00\r\n\r\n")
        await writer.drain()
        writer.close()
        return False

    async def _credentials(self, writer: asyncio.StreamWriter) -> bool:
        body = json.dumps({"status": "success", **OPAQUE}).encode()
        return await self._answer(writer, 200, "application/json", body, f"X-Session-Token: {OPAQUE['sessionid']}\r\n")

    async def _deep_json(self, writer: asyncio.StreamWriter) -> bool:
        return await self._answer(writer, 200, "application/json", b"[" * DEEP + b"]" * DEEP)

    async def _html(self, writer: asyncio.StreamWriter) -> bool:
        return await self._answer(writer, 200, "text/html; charset=utf-8", b"<html><body>Sign in</body></html>")

    async def _server_error(self, writer: asyncio.StreamWriter) -> bool:
        return await self._answer(writer, 503, "application/json", b'{"status": "error", "message": "down"}')

    async def _bad_json(self, writer: asyncio.StreamWriter) -> bool:
        return await self._answer(writer, 200, "application/json", b'{"messages": [1, 2')

    async def _redirect(self, writer: asyncio.StreamWriter) -> bool:
        return await self._answer(writer, 302, "text/html", b"", "Location: /accounts/login/?next=/x\r\n")

    async def _huge(self, writer: asyncio.StreamWriter) -> bool:
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE}\r\n\r\n".encode())
        chunk = b"[" * 65536
        while self.bytes_sent < HUGE:
            writer.write(chunk)
            await writer.drain()
            self.bytes_sent += len(chunk)
        return False


@contextlib.contextmanager
def refusing_port() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    yield url


ENTRIES = (
    "chat-list",
    "room-1-recent_messages",
    "room-2-recent_messages",
    "room-3-recent_messages",
    "room-1-purchases_list",
    "room-2-purchases_list",
)


def corpus() -> list[CorpusEntry]:
    return [entry for entry in load_corpus() if entry.id in ENTRIES]


def targets(server: EmbeddedServer, new_url: str, timeout: float = 0.3) -> list[Target]:
    old = next(t for t in targets_from_config(Config.embedded(server)) if t.side == "old")
    return [old, Target(side="new", base_url=new_url, auth=BearerAuth("static-test-token"), timeout=timeout)]


FAST = {"concurrency": 1, "retries": 1, "backoff": 0.01, "failure_threshold": 3}


def options(**changes: object) -> ReplayOptions:
    return ReplayOptions(**{**FAST, **changes})  # type: ignore[arg-type]


def groups(out: Path) -> list[list[Exchange]]:
    return list(group_exchanges(read_exchanges(out / EXCHANGES_FILE)))


@pytest.mark.parametrize("fault", ["refuse", "hang", "reset", "garbage"])
def test_a_broken_target_stops_the_run_with_one_line_and_resume_completes_it(
    server: EmbeddedServer, tmp_path: Path, fault: str
) -> None:
    with FaultServer(fault, healthy=4) as broken, pytest.raises(TransportError) as caught:
        run_replay(corpus(), targets(server, broken.url), tmp_path, options())
    message = str(caught.value)
    assert caught.value.exit_code == 3 and "\n" not in message
    assert "target new" in message and "--resume" in message
    assert [g[0].entry_id for g in groups(tmp_path)] == list(ENTRIES[:2])
    with FaultServer("healthy") as fixed:
        summary = run_replay(corpus(), targets(server, fixed.url), tmp_path, options(resume=True))
    assert (summary.resumed, summary.completed) == (2, len(ENTRIES) - 2)
    assert sorted(g[0].entry_id for g in groups(tmp_path)) == sorted(ENTRIES)


def test_a_target_that_refuses_from_the_start_keeps_an_empty_file(server: EmbeddedServer, tmp_path: Path) -> None:
    with refusing_port() as url, pytest.raises(TransportError, match="ConnectError"):
        run_replay(corpus(), targets(server, url), tmp_path, options())
    assert (tmp_path / EXCHANGES_FILE).read_text() == ""


def test_a_single_transport_failure_is_recorded_and_the_run_goes_on(server: EmbeddedServer, tmp_path: Path) -> None:
    with FaultServer("reset-once", healthy=2) as flaky:
        summary = run_replay(corpus(), targets(server, flaky.url), tmp_path, options(retries=0))
    failed = [e for g in groups(tmp_path) for e in g if e.error]
    assert summary.completed == len(ENTRIES)
    assert [(e.side, e.status, (e.error or "").split(":")[0]) for e in failed] == [("new", None, "transport")]


def test_a_retry_that_succeeds_keeps_no_trace_of_the_failed_attempt(server: EmbeddedServer, tmp_path: Path) -> None:
    with FaultServer("reset-once", healthy=2) as flaky:
        summary = run_replay(corpus(), targets(server, flaky.url), tmp_path, options(retries=1))
    new = [e for g in groups(tmp_path) for e in g if e.side == "new"]
    assert flaky.requests == len(new) + 1
    assert summary.errors == 0 and all(e.status == 200 and e.error is None for e in new)


def test_opaque_credentials_in_an_answer_are_not_recorded(server: EmbeddedServer, tmp_path: Path) -> None:
    with FaultServer("credentials") as leaky:
        run_replay(corpus()[:1], targets(server, leaky.url), tmp_path, options())
    recorded = (tmp_path / EXCHANGES_FILE).read_text()
    assert '"status":"success"' in recorded
    assert not any(value in recorded for value in OPAQUE.values())


def test_json_nested_too_deeply_to_parse_is_recorded_as_text_with_a_note(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    with FaultServer("deep-json") as deep:
        summary = run_replay(corpus()[:1], targets(server, deep.url), tmp_path, options())
    new = [e for g in groups(tmp_path) for e in g if e.side == "new"]
    assert summary.completed == 1
    assert all(not e.is_json and "content-type says JSON but the body is not" in (e.error or "") for e in new)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("html", {"status": 200, "is_json": False, "text": "<html><body>Sign in</body></html>", "error": None}),
        ("server-error", {"status": 503, "is_json": True, "error": None}),
        ("redirect", {"status": 302, "is_json": False, "error": None}),
        ("bad-json", {"status": 200, "is_json": False, "text": '{"messages": [1, 2'}),
    ],
)
def test_a_misbehaving_answer_is_data_recorded_once_without_retry(
    server: EmbeddedServer, tmp_path: Path, fault: str, expected: dict[str, object]
) -> None:
    with FaultServer(fault) as odd:
        summary = run_replay(corpus(), targets(server, odd.url), tmp_path, options(concurrency=4))
    new = [e for g in groups(tmp_path) for e in g if e.side == "new"]
    assert summary.completed == len(ENTRIES) and odd.requests == len(new) == 2 * len(ENTRIES)
    assert all({key: getattr(e, key) for key in expected} == expected for e in new)


def test_a_body_that_claims_json_but_is_not_says_so(server: EmbeddedServer, tmp_path: Path) -> None:
    with FaultServer("bad-json") as odd:
        run_replay(corpus()[:1], targets(server, odd.url), tmp_path, options())
    new = [e for g in groups(tmp_path) for e in g if e.side == "new"]
    assert all("content-type says JSON but the body is not" in (e.error or "") for e in new)


def test_a_redirect_is_recorded_not_followed(server: EmbeddedServer, tmp_path: Path) -> None:
    with FaultServer("redirect") as odd:
        run_replay(corpus()[:1], targets(server, odd.url), tmp_path, options())
    new = [e for g in groups(tmp_path) for e in g if e.side == "new"]
    assert [e.headers.get("location") for e in new] == ["/accounts/login/?next=/x"] * 2
    assert odd.requests == 2


def test_a_50_mb_body_is_recorded_as_too_large_without_reading_it(server: EmbeddedServer, tmp_path: Path) -> None:
    with FaultServer("huge") as huge:
        summary = run_replay(
            corpus()[:1], targets(server, huge.url, timeout=10), tmp_path, options(max_body_bytes=1024 * 1024)
        )
    new = [e for g in groups(tmp_path) for e in g if e.side == "new"]
    assert summary.completed == 1
    assert all(e.status == 200 and e.body is None and (e.error or "").startswith("too-large: ") for e in new)
    assert all(len(e.text or "") <= TEXT_CAP for e in new)
    assert huge.bytes_sent < HUGE / 2


def test_an_interrupted_run_keeps_every_finished_entry_and_resume_completes_it(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    async def interrupt_on_the_fifth_request(slow: FaultServer) -> None:
        task = asyncio.create_task(replay(corpus(), targets(server, slow.url, timeout=30), tmp_path, options()))
        while slow.requests < 5:
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    with FaultServer("hang", healthy=4) as slow:
        asyncio.run(interrupt_on_the_fifth_request(slow))
    assert [g[0].entry_id for g in groups(tmp_path)] == list(ENTRIES[:2])
    with FaultServer("healthy") as fixed:
        summary = run_replay(corpus(), targets(server, fixed.url), tmp_path, options(resume=True))
    assert (summary.resumed, summary.completed) == (2, len(ENTRIES) - 2)


def test_the_replay_command_exits_3_with_one_line_and_keeps_the_results(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CM_TEST_PASSWORD", server.config.password)
    monkeypatch.setenv("CM_TEST_TOKEN", "static-test-token")
    corpus_file = tmp_path / "corpus.jsonl"
    corpus_file.write_text("".join(json.dumps({"id": e.id, "query": e.query}) + "\n" for e in corpus()))
    with refusing_port() as url:
        config = tmp_path / "chatmigrate.toml"
        config.write_text(
            f'[targets.old]\nbase_url = "{server.base_url}"\n'
            'auth = { kind = "session", username = "admin", password_env = "CM_TEST_PASSWORD" }\n'
            f'[targets.new]\nbase_url = "{url}"\nauth = {{ kind = "bearer", token_env = "CM_TEST_TOKEN" }}\n'
            '[run]\ntimeout = "300ms"\nretries = 0\n'
        )
        with pytest.raises(SystemExit) as exited:
            main(["replay", "--config", str(config), "--corpus", str(corpus_file), "--results", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert exited.value.code == 3
    assert err.count("\n") == 1 and "target new" in err and "--resume" in err
    assert (tmp_path / "out" / EXCHANGES_FILE).exists()
    assert json.loads((tmp_path / "out" / "run.json").read_text())["verdict"]["exit_code"] == 3
