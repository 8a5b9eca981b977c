"""Recorded traffic in: a GoReplay capture with response tracking, as corpus entries whose old answers are known.

GoReplay (``gor --input-raw :80 --input-raw-track-response --output-file capture.gor``, or Envoy's request
mirroring feeding it) writes payloads separated by ``\\n🐵🙈🙉\\n``, each a header line ``TYPE ID TIMESTAMP
[LATENCY]`` (type 1 a request, 2 its original response, 3 a replayed one) and the raw HTTP message. A request
and the response with the same id become one entry and one recorded exchange on old; the replay then calls
only new, so production traffic is compared without touching old again.

Only chat API calls are kept, canonicalised exactly as a HAR import does, and headers (so cookies and tokens)
are never kept: the recorded answer's headers are reduced to its content type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from chatmigrate.bounded import DEFAULT_MAX_BODY_BYTES, dechunk
from chatmigrate.errors import ConfigError
from chatmigrate.har import to_entry
from chatmigrate.records import CorpusEntry, Exchange
from chatmigrate.replay import endpoint_key
from chatmigrate.responses import record_raw
from chatmigrate.vocab import Tier

SEPARATOR = "\n🐵🙈🙉\n".encode()
REQUEST, RESPONSE = b"1", b"2"


@dataclass(slots=True)
class Recorded:
    entry: CorpusEntry
    old: Exchange


@dataclass(slots=True)
class HttpMessage:
    start: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key.lower() == name), "")


def load_gor(path: Path, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> list[Recorded]:
    """Pairs in capture order; a request without its response (or the reverse) is skipped, not guessed."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read GoReplay capture: {error.strerror}", file=str(path)) from None
    requests: dict[bytes, tuple[int, HttpMessage]] = {}
    recorded: list[Recorded] = []
    for number, (kind, payload_id, latency, message) in enumerate(_payloads(data, path), 1):
        if kind == REQUEST:
            requests[payload_id] = (number, message)
        elif kind == RESPONSE and payload_id in requests:
            order, request = requests.pop(payload_id)
            pair = _pair(order, request, message, latency, max_body_bytes)
            if pair is not None:
                recorded.append(pair)
    if not recorded and data.strip():
        raise ConfigError(
            "no chat API request with its response in this capture (was it taken with --input-raw-track-response?)",
            file=str(path),
        )
    return recorded


def _payloads(data: bytes, path: Path) -> Iterator[tuple[bytes, bytes, float, HttpMessage]]:
    for index, payload in enumerate(data.split(SEPARATOR)):
        if not payload.strip():
            continue
        header, newline, raw = payload.partition(b"\n")
        fields = header.split()
        if not newline or len(fields) < 3 or fields[0] not in (REQUEST, RESPONSE, b"3"):
            raise ConfigError(
                "not a GoReplay payload header (TYPE ID TIMESTAMP)", file=str(path), key=f"payload {index}"
            )
        latency_ns = int(fields[3]) if len(fields) > 3 and fields[3].isdigit() else 0
        yield fields[0], fields[1], latency_ns / 1e6, _parse(raw, path, index)


def _parse(raw: bytes, path: Path, index: int) -> HttpMessage:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or len(lines[0].split(" ")) < 2:
        raise ConfigError("not an HTTP message", file=str(path), key=f"payload {index}")
    headers = [(name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in lines[1:]) if name]
    message = HttpMessage(lines[0], headers, body)
    if "chunked" in message.header("transfer-encoding").lower():
        message.body = dechunk(body)
    return message


def _pair(order: int, request: HttpMessage, response: HttpMessage, latency: float, cap: int) -> Recorded | None:
    method, target = request.start.split(" ")[:2]
    har_like = {
        "method": method,
        "url": f"http://recorded{target}",
        "postData": {"text": request.body.decode("utf-8", "replace")},
    }
    entry = to_entry(har_like, order, source="gor")
    if entry is None:
        return None
    status_text = response.start.split(" ")
    status = int(status_text[1]) if len(status_text) > 1 and status_text[1].isdigit() else 0
    kept = [(name, value) for name, value in response.headers if name.lower() in ("content-type", "content-encoding")]
    reply = httpx.Response(status, headers=kept)
    exchange = Exchange(
        entry_id=entry.id,
        side=Tier.OLD,
        attempt=0,
        method=entry.method,
        url=f"recorded:{entry.path}",
        endpoint=endpoint_key(entry),
        elapsed_ms=round(latency, 3),
    )
    record_raw(exchange, reply, response.body, cap)
    return Recorded(entry, exchange)
