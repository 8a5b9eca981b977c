"""How an HTTP answer becomes an ``Exchange`` record: the one place bodies are decoded, capped and redacted.

Replay, the shadow and recorded captures all record through here, so an exchange means the same whatever
produced it, and compare never needs to know.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable

import httpx

from chatmigrate.compare import is_json_type
from chatmigrate.records import Exchange
from chatmigrate.redact import redact, redact_headers, redact_parsed

TEXT_CAP = 16 * 1024
_EXCHANGE_FIELDS = tuple(f.name for f in dataclasses.fields(Exchange))


def exchange_lines(exchanges: Iterable[Exchange]) -> str:
    """The JSONL of an entry's exchanges, as compare reads them back."""
    return "".join(
        json.dumps({name: getattr(e, name) for name in _EXCHANGE_FIELDS}, ensure_ascii=False, separators=(",", ":"))
        + "\n"
        for e in exchanges
    )


def record_response(record: Exchange, response: httpx.Response, data: bytes, truncated: bool, cap: int) -> None:
    record.status = response.status_code
    record.content_type = response.headers.get("content-type", "")
    record.headers = redact_headers(response.headers.multi_items())
    text = data.decode(response.encoding or "utf-8", errors="replace")
    if truncated:
        record.error = f"body larger than {cap} bytes: cut off at the cap"
        record.text = redact(text[:TEXT_CAP])
        return
    if is_json_type(record.content_type):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError) as error:
            # RecursionError: a body nested thousands deep; it must not kill the run's task group.
            record.error = record.error or f"content-type says JSON but the body is not: {error}"
            record.text = redact(text[:TEXT_CAP])
            return
        record.is_json = True
        record.body = redact_parsed(text, parsed)
        return
    record.text = redact(text[:TEXT_CAP]) if text else None


def record_raw(record: Exchange, response: httpx.Response, raw: bytes, cap: int) -> None:
    """A body as it came off the wire (still content-encoded), decoded here under the same bound: a compression
    bomb stops at ``cap`` decoded bytes, and a body that does not decode is an error on the record."""
    decoded = httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(raw))
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in decoded.iter_bytes():
            size += len(chunk)
            if size > cap:
                record_response(record, response, b"", True, cap)
                return
            chunks.append(chunk)
    except httpx.DecodingError as error:
        record.status = response.status_code
        record.error = f"undecodable body: {error}"
        return
    record_response(record, response, b"".join(chunks), False, cap)
