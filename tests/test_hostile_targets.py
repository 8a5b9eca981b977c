"""Hostile targets: a target that fights back costs a bounded run, a defined exit code and one line.

Each case starts a ``HostileServer`` with one fault at one place: the login page, or both chat
routes at once (the old side's and the new side's). Bodies that could take the memory (a gzip
bomb, an endless chunked body, 1 GB, a drip) are run as a user runs them, ``python -m chatmigrate
replay`` in a child process whose RSS is sampled; the runs go four at a time in one module fixture
(start-up is most of their cost) and each test asserts one thing about them. A child that never
ends is killed by a generous harness timeout and fails the test: there is no timed assertion.
Answers that are merely broken (a 5xx, no csrftoken, bad UTF-8...) run the same command in-process.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from cli_helpers import cli
from hostile_server import LOGIN_PATH, HostileServer, gzip_bomb

from chatmigrate.replay import EXCHANGES_FILE

ROOT = Path(__file__).resolve().parents[1]
RSS_LIMIT = 250 * 1024 * 1024
HARNESS_TIMEOUT = 90.0
CREDENTIALS = {"CM_HOSTILE_PASSWORD": "hostile-Passw0rd", "CM_HOSTILE_TOKEN": "hostile-static-token"}
BODY_FAULTS = ("gzip-bomb", "endless", "1gb", "drip")
LOGIN_ONLY_FAULTS = ("500", "502", "503", "no-csrftoken", "truncated", "bad-utf8", "redirect-loop")
SIDE_ONLY_FAULTS = ("truncated", "bad-utf8")
CHILD_CASES = [(fault, where) for fault in BODY_FAULTS for where in ("login", "sides")]
SIDES = ("old", "new")
LOGIN_CAUSE = {
    "gzip-bomb": "status 200, too-large",
    "endless": "status 200, too-large",
    "1gb": "status 200, too-large",
    "drip": "status 200, no complete answer within 3s",
    "500": "status 500",
    "502": "status 502",
    "503": "status 503",
    "no-csrftoken": "status 200, no csrftoken cookie",
    "truncated": "status 200, RemoteProtocolError",
    "bad-utf8": "status 200, the body is not valid utf-8 text",
    "redirect-loop": "status 302, more than 5 redirects",
}
SIDE_ERROR = {
    "gzip-bomb": "too-large: ",
    "endless": "too-large: ",
    "1gb": "too-large: ",
    "drip": "transport: timeout",
    "truncated": "transport: RemoteProtocolError",
    "bad-utf8": "content-type says JSON but the body is not",
}


@dataclass(frozen=True, slots=True)
class ChildRun:
    exit_code: int | None
    """None: the child was still running at the harness timeout and was killed."""
    stderr: str
    peak_rss: int
    results: Path


def run_child(args: list[str], env: dict[str, str], work: Path) -> ChildRun:
    """Run a child to its end (or the harness timeout), sampling its resident memory every 10 ms."""
    with (work / "stdout").open("wb") as out, (work / "stderr").open("wb") as err:
        child = psutil.Popen(args, stdout=out, stderr=err, env=env, cwd=ROOT)
        peak, deadline = 0, time.monotonic() + HARNESS_TIMEOUT
        while child.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, child.memory_info().rss)
            time.sleep(0.01)
        if child.poll() is None:
            child.kill()
            child.wait()
            return ChildRun(None, "", peak, work / "results")
    return ChildRun(child.returncode, (work / "stderr").read_text(), peak, work / "results")


def configure(target: HostileServer, work: Path, retries: int = 0) -> list[str]:
    """The replay command line against ``target``: one chat_list entry, one call per side, 3 s per exchange."""
    corpus = work / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "chat-list", "query": {"request_type": "chat_list"}}) + "\n")
    config = work / "chatmigrate.toml"
    config.write_text(
        f'[targets.old]\nbase_url = "{target.url}"\n'
        'auth = { kind = "session", username = "admin", password_env = "CM_HOSTILE_PASSWORD" }\n'
        f'[targets.new]\nbase_url = "{target.url}"\n'
        'auth = { kind = "bearer", token_env = "CM_HOSTILE_TOKEN" }\n'
        '[run]\ntimeout = "3s"\nrepeats = 1\nbackoff = 0.01\n'
        f"retries = {retries}\n"
    )
    return [
        "replay",
        "--config",
        str(config),
        "--corpus",
        str(corpus),
        "--results",
        str(work / "results"),
        "--no-progress",
    ]


def replay_in_child(fault: str, where: str, work: Path) -> ChildRun:
    with HostileServer(fault, where) as target:
        args = [sys.executable, "-m", "chatmigrate", *configure(target, work)]
        return run_child(args, {**os.environ, **CREDENTIALS}, work)


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


def replay_in_process(
    target: HostileServer, work: Path, capsys: pytest.CaptureFixture[str], retries: int = 0
) -> tuple[int, str]:
    with target:
        code, _, err = cli(configure(target, work, retries), capsys)
    return code, err


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], ChildRun]]:
    def one(case: tuple[str, str]) -> ChildRun:
        return replay_in_child(*case, tmp_path_factory.mktemp(f"{case[0]}-at-{case[1]}"))

    gzip_bomb()  # built once, before the threads that serve it
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield dict(zip(CHILD_CASES, pool.map(one, CHILD_CASES), strict=True))


def exchanges(results: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (results / EXCHANGES_FILE).read_text().splitlines()]


def side_error(results: Path, side: str) -> str:
    return next(str(record["error"]) for record in exchanges(results) if record["side"] == side)


@pytest.mark.parametrize("case", CHILD_CASES, ids=[f"{fault}-at-{where}" for fault, where in CHILD_CASES])
def test_no_hostile_body_takes_the_run_past_250_mb_or_keeps_it_running(
    runs: dict[tuple[str, str], ChildRun], case: tuple[str, str]
) -> None:
    run = runs[case]
    assert run.exit_code is not None, f"still running after {HARNESS_TIMEOUT:g}s"
    assert run.peak_rss < RSS_LIMIT, f"peak RSS {run.peak_rss / 2**20:.0f} MB"


@pytest.mark.parametrize("fault", BODY_FAULTS)
def test_a_hostile_body_at_login_exits_3_with_one_line_naming_the_side_the_url_and_the_status(
    runs: dict[tuple[str, str], ChildRun], fault: str
) -> None:
    run = runs[fault, "login"]
    assert run.exit_code == 3
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert "target old" in run.stderr and f"{LOGIN_PATH}: {LOGIN_CAUSE[fault]}" in run.stderr


@pytest.mark.parametrize("fault", BODY_FAULTS)
@pytest.mark.parametrize("side", SIDES)
def test_a_hostile_body_on_a_side_is_recorded_on_its_exchange_and_fails_the_run(
    runs: dict[tuple[str, str], ChildRun], fault: str, side: str
) -> None:
    run = runs[fault, "sides"]
    assert (run.exit_code, "Traceback" in run.stderr) == (1, False)
    assert side_error(run.results, side).startswith(SIDE_ERROR[fault])


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("fault", LOGIN_ONLY_FAULTS)
def test_a_broken_login_page_exits_3_with_one_line_naming_the_side_the_url_and_the_status(
    fault: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = replay_in_process(HostileServer(fault, "login"), tmp_path, capsys)
    assert (code, err.count("\n")) == (3, 1)
    assert "target old" in err and f"{LOGIN_PATH}: {LOGIN_CAUSE[fault]}" in err


@pytest.mark.usefixtures("credentials")
def test_an_explicit_refusal_of_the_credentials_at_login_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = replay_in_process(HostileServer("refuse", "login"), tmp_path, capsys)
    assert (code, err.count("\n")) == (2, 1)
    assert "refused: the login form came back" in err


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("fault", SIDE_ONLY_FAULTS)
def test_a_broken_answer_on_both_sides_is_recorded_on_each_exchange_and_fails_the_run(
    fault: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = replay_in_process(HostileServer(fault, "sides"), tmp_path, capsys)
    assert code == 1
    assert [side_error(tmp_path / "results", side)[: len(SIDE_ERROR[fault])] for side in SIDES] == [
        SIDE_ERROR[fault]
    ] * 2


@pytest.mark.usefixtures("credentials")
def test_a_login_fault_is_retried_like_any_transport_error_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = replay_in_process(HostileServer("503", "login", times=1), tmp_path, capsys, retries=1)
    assert (code, err) == (0, "")
    assert [record["status"] for record in exchanges(tmp_path / "results")] == [200, 200]


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "gzip-twice"])
def test_a_compressed_answer_is_still_decoded_and_read_as_json(
    encoding: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = replay_in_process(HostileServer(encoding, "sides"), tmp_path, capsys)
    assert code == 0
    assert [(record["error"], record["is_json"]) for record in exchanges(tmp_path / "results")] == [(None, True)] * 2
