"""``chatmigrate shadow`` and ``replay --recorded`` from the command line, as a tester runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from capture_samples import capture
from cli_helpers import cli
from server_wire import LEGACY_CHAT, ServerFactory, logged_in

from chatmigrate.results import load_run

LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
PAGES = [{"chatroom_id": str(room), "request_type": "recent_messages"} for room in (1, 2, 3)]


class Front:
    """The ``base_url`` a test logs in through."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


def shadow_process(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "chatmigrate", "shadow", "--listen", "127.0.0.1:0", "--results", str(tmp_path), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHATMIGRATE_CONFIG": ""},
        cwd=tmp_path,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = LISTENING.search(line)
    assert match is not None, line + (process.stderr.read() if process.stderr else "")
    return process, match.group(1)


def browse_then_stop(process: subprocess.Popen[str], url: str) -> tuple[int, str, str]:
    with closing(logged_in(Front(url))) as client:  # type: ignore[arg-type]
        for _ in range(2):
            for page in PAGES:
                assert client.get(LEGACY_CHAT, params=page).status_code == 200
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def test_the_shadow_in_front_of_a_drifted_server_fails_on_ctrl_c_with_the_drift_reported(tmp_path: Path) -> None:
    process, url = shadow_process(tmp_path, "--drift", "rename-field")
    code, out, _ = browse_then_stop(process, url)
    assert code == 1
    assert "shadow FAILING: 6 requests compared" in out
    run = load_run(tmp_path)
    assert any(f.check == "body" and f.path == "$.messages[*].message" for f in run.findings)
    assert (tmp_path / "report.html").is_file()


def test_the_shadow_in_front_of_a_clean_server_passes(tmp_path: Path) -> None:
    process, url = shadow_process(tmp_path)
    code, out, _ = browse_then_stop(process, url)
    assert (code, "shadow passing: 6 requests compared" in out) == (0, True)
    status = tmp_path / "run.json"
    assert status.is_file()


def test_the_live_page_answers_while_the_shadow_runs(tmp_path: Path) -> None:
    process, url = shadow_process(tmp_path)
    try:
        page = httpx.get(f"{url}/_chatmigrate/")
        assert page.status_code == 200 and "chatmigrate shadow" in page.text
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


def test_a_listen_address_that_is_not_host_and_port_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(["shadow", "--listen", "8480", "--results", str(tmp_path)], capsys)
    assert code == 2 and "host:port" in err and "Traceback" not in err


def test_replay_of_a_recorded_capture_calls_only_new(
    server_with: ServerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = capture(server_with(), tmp_path / "capture.gor")
    code, out, err = cli(["replay", "--recorded", str(path), "--results", str(tmp_path / "results")], capsys)
    assert code == 0, err
    lines = (tmp_path / "results" / "exchanges.jsonl").read_text().splitlines()
    assert sum('"side":"old"' in line for line in lines) == 3
    assert "replay passed: 3 entries" in out
