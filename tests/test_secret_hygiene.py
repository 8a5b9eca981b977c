"""No secret reaches any file the gate writes or anything it prints: password, signing key, tokens, sessions."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chatmigrate.cli import main
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.records import Exchange
from chatmigrate.responses import record_response
from chatmigrate.server.config import ServerConfig

PASSWORD = "Known-Pa55word-hygiene"
SIGNING_KEY = "known-signing-key-hygiene-0123456789abcdef"
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
OPAQUE = {"access": "opaque-0123456789abcdef", "password": "hunter2hunter2", "sessionid": "q8w7e6r5t4y3u2i1"}


@pytest.fixture(scope="module")
def hygiene_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(ServerConfig(password=PASSWORD, jwt_secret=SIGNING_KEY)) as server:
        yield server


@pytest.fixture(scope="module")
def gate_output(
    hygiene_server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, list[str]]:
    """One gate run (drifted output would be richer, but the clean pair already exercises every writer)."""
    folder = tmp_path_factory.mktemp("hygiene")
    base = hygiene_server.base_url
    config = folder / "chatmigrate.toml"
    config.write_text(
        f'[targets.old]\nbase_url = "{base}"\n'
        'auth = { kind = "session", username = "admin", password_env = "HYGIENE_PASSWORD" }\n'
        f'[targets.new]\nbase_url = "{base}"\n'
        'auth = { kind = "token-endpoint", username = "admin", password_env = "HYGIENE_PASSWORD" }\n'
        f'[targets.proxy]\nbase_url = "{base}"\n'
        'auth = { kind = "mint", username = "admin", user_id = 1, secret_env = "HYGIENE_KEY" }\n'
    )
    args = [
        "gate",
        "--config",
        str(config),
        "--results",
        str(folder / "results"),
        "--out",
        str(folder / "reports"),
        "--no-progress",
        "--budget",
        "20",
        "--set",
        "compare.latency_floor_ms=60000",
    ]
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        patch.setenv("HYGIENE_PASSWORD", PASSWORD)
        patch.setenv("HYGIENE_KEY", SIGNING_KEY)
        with pytest.raises(SystemExit):
            main(args)
    with contextlib.closing(sqlite3.connect(hygiene_server.app.state.ctx.store.path)) as db:
        sessions = [key for (key,) in db.execute("SELECT session_key FROM sessions")]
    return folder, out.getvalue() + err.getvalue(), sessions


def written_text(folder: Path) -> Iterator[tuple[Path, str]]:
    for path in folder.rglob("*"):
        if path.is_file():
            yield path, path.read_text(encoding="utf-8", errors="replace")


def test_gate_wrote_results_and_reports(gate_output: tuple[Path, str, list[str]]) -> None:
    folder, _, sessions = gate_output
    names = {path.name for path, _ in written_text(folder)}
    assert {"run.json", "exchanges.jsonl", "report.html", "junit.xml", "summary.md", "report.json"} <= names
    assert sessions, "the session adapter logged in, so the server holds at least one session"


@pytest.mark.parametrize("secret", [PASSWORD, SIGNING_KEY], ids=["password", "signing-key"])
def test_known_secret_appears_nowhere(gate_output: tuple[Path, str, list[str]], secret: str) -> None:
    folder, printed, _ = gate_output
    assert secret not in printed
    for path, text in written_text(folder):
        if path.name != "chatmigrate.toml":
            assert secret not in text, path


def test_no_session_id_appears_anywhere(gate_output: tuple[Path, str, list[str]]) -> None:
    folder, printed, sessions = gate_output
    for session in sessions:
        assert session not in printed
        for path, text in written_text(folder):
            assert session not in text, path


def test_no_token_appears_anywhere(gate_output: tuple[Path, str, list[str]]) -> None:
    folder, printed, _ = gate_output
    assert not JWT_SHAPE.search(printed)
    for path, text in written_text(folder):
        assert not JWT_SHAPE.search(text), path


def test_the_runner_records_no_opaque_value_under_a_sensitive_key() -> None:
    """A target may answer with credentials that have no recognisable shape; the clean server never does."""
    body = json.dumps({**OPAQUE, "status": "success"}).encode()
    headers = {"Content-Type": "application/json", "X-Session-Token": OPAQUE["sessionid"]}
    record = Exchange(entry_id="e", side="new", attempt=0, method="GET", url="http://x/", endpoint="GET /")
    record_response(record, httpx.Response(200, headers=headers, content=body), body)
    line = json.dumps(record.body) + json.dumps(record.headers)
    assert record.body["status"] == "success"
    assert not any(value in line for value in OPAQUE.values())
