"""GoReplay captures with response tracking: old's answers come from the capture, only new is called."""

from __future__ import annotations

import gzip
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from conftest import ServerFactory
from server_wire import LEGACY_CHAT, logged_in, without_noise

from chatmigrate.config import Config
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError
from chatmigrate.parity import run_parity
from chatmigrate.recorded import SEPARATOR, load_gor

PAGES = [
    {"chatroom_id": "1", "request_type": "recent_messages"},
    {"chatroom_id": "1", "request_type": "purchases_list"},
    {"chatroom_id": "2", "request_type": "recent_messages"},
]
SESSION = "s3cr3t-session-id"


def request_bytes(path: str, query: str) -> bytes:
    return (
        f"GET {path}?{query} HTTP/1.1\r\nHost: admin.example\r\nCookie: sessionid={SESSION}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()


def response_bytes(response: httpx.Response, *, encoding: str = "identity") -> bytes:
    """The answer as it went over the wire: plain, gzip-encoded, or chunked."""
    body = response.content
    headers = [f"Content-Type: {response.headers['content-type']}"]
    if encoding == "gzip":
        body = gzip.compress(body)
        headers.append("Content-Encoding: gzip")
    if encoding == "chunked":
        half = len(body) // 2
        chunks = [body[:half], body[half:]]
        body = b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks) + b"0\r\n\r\n"
        headers.append("Transfer-Encoding: chunked")
    else:
        headers.append(f"Content-Length: {len(body)}")
    head = f"HTTP/1.1 {response.status_code} OK\r\n" + "\r\n".join(headers) + "\r\n\r\n"
    return head.encode() + body


def capture(
    server: EmbeddedServer,
    path: Path,
    pages: list[dict[str, str]] = PAGES,
    encodings: tuple[str, ...] = ("identity", "gzip", "chunked"),
) -> Path:
    """A capture of real legacy answers, as ``gor --input-raw-track-response --output-file`` writes one."""
    payloads: list[bytes] = []
    with closing(logged_in(server)) as client:
        for number, (page, encoding) in enumerate(zip(pages, encodings, strict=True), 1):
            response = client.get(LEGACY_CHAT, params=page)
            query = str(httpx.QueryParams(page))
            uid = f"{number:040x}"
            payloads.append(f"1 {uid} 1700000000{number:09d}\n".encode() + request_bytes(LEGACY_CHAT, query))
            payloads.append(
                f"2 {uid} 1700000001{number:09d} 2500000\n".encode() + response_bytes(response, encoding=encoding)
            )
    path.write_bytes(SEPARATOR.join(payloads) + SEPARATOR)
    return path


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
