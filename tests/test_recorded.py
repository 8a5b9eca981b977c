"""GoReplay captures with response tracking: old's answers come from the capture, only new is called."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from capture_samples import PAGES, SESSION, capture, request_bytes
from conftest import ServerFactory
from server_wire import LEGACY_CHAT, without_noise

from chatmigrate.config import Config
from chatmigrate.errors import ConfigError
from chatmigrate.parity import run_parity
from chatmigrate.recorded import SEPARATOR, load_gor


def test_each_request_and_its_response_become_an_entry_and_old_s_recorded_answer(
    server_with: ServerFactory, tmp_path: Path
) -> None:
    recorded = load_gor(capture(server_with(), tmp_path / "capture.gor"))
    assert [pair.entry.query["request_type"] for pair in recorded] == [page["request_type"] for page in PAGES]
    assert all(pair.old.status == 200 and pair.old.is_json for pair in recorded)
    assert [pair.old.elapsed_ms for pair in recorded] == [2.5, 2.5, 2.5]


def test_gzip_and_chunked_answers_decode_to_the_plain_answer(server_with: ServerFactory, tmp_path: Path) -> None:
    recorded = load_gor(capture(server_with(), tmp_path / "capture.gor", pages=[PAGES[0]] * 3))
    plain, gzipped, chunked = (without_noise(pair.old.body) for pair in recorded)
    assert plain["messages"] and plain == gzipped == chunked


def test_the_captured_session_cookie_is_never_kept(server_with: ServerFactory, tmp_path: Path) -> None:
    recorded = load_gor(capture(server_with(), tmp_path / "capture.gor"))
    assert SESSION not in repr(recorded)


def test_a_request_without_its_response_is_skipped(server_with: ServerFactory, tmp_path: Path) -> None:
    path = capture(server_with(), tmp_path / "capture.gor")
    payloads = path.read_bytes().split(SEPARATOR)
    path.write_bytes(SEPARATOR.join(payloads[1:]))  # the first request is gone, its response stays
    assert len(load_gor(path)) == len(PAGES) - 1


def test_a_file_that_is_not_a_capture_is_a_config_error_naming_the_payload(tmp_path: Path) -> None:
    path = tmp_path / "capture.gor"
    path.write_bytes(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises(ConfigError, match=r"capture.gor.*payload 0.*GoReplay payload header"):
        load_gor(path)


def test_a_bounded_body_stops_a_compression_bomb(server_with: ServerFactory, tmp_path: Path) -> None:
    bomb = gzip.compress(b"[" + b"0," * 2_000_000 + b"0]")
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {len(bomb)}"
    path = tmp_path / "bomb.gor"
    query = "chatroom_id=1&request_type=recent_messages"
    path.write_bytes(
        SEPARATOR.join(
            [b"1 aa 1\n" + request_bytes(LEGACY_CHAT, query), b"2 aa 2 0\n" + head.encode() + b"\r\n\r\n" + bomb]
        )
    )
    (pair,) = load_gor(path, max_body_bytes=64 * 1024)
    assert pair.old.error is not None and pair.old.error.startswith("too-large")
    assert pair.old.body is None


def test_replaying_a_capture_calls_only_new_and_catches_its_drift(
    server_with: ServerFactory, own_server_with: ServerFactory, tmp_path: Path
) -> None:
    recorded = load_gor(capture(server_with(), tmp_path / "capture.gor"))
    drifted = own_server_with(drifts=("rename-field",))
    outcome = run_parity(Config.embedded(drifted, proxy=False), out_dir=tmp_path / "results", recorded=recorded)
    lines = (tmp_path / "results" / "exchanges.jsonl").read_text().splitlines()
    assert sum('"side":"old"' in line for line in lines) == len(PAGES)
    assert any(f.check == "body" and f.path == "$.messages[*].message" for f in outcome.result.findings)


def test_replaying_a_capture_against_a_clean_new_finds_no_parity_failure(
    server_with: ServerFactory, tmp_path: Path
) -> None:
    server = server_with()
    recorded = load_gor(capture(server, tmp_path / "capture.gor"))
    outcome = run_parity(Config.embedded(server, proxy=False), out_dir=tmp_path / "results", recorded=recorded)
    assert [f.title for f in outcome.result.findings if f.severity.rank >= 2] == []
