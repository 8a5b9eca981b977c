"""GoReplay captures of real legacy answers, as ``gor --input-raw-track-response --output-file`` writes them."""

from __future__ import annotations

import gzip
from contextlib import closing
from pathlib import Path

import httpx
from server_wire import LEGACY_CHAT, logged_in

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.recorded import SEPARATOR

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
