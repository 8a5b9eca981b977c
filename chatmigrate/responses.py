"""How an HTTP answer becomes an ``Exchange`` record: the one place bodies are decoded, capped and redacted.

Replay, the shadow and recorded captures all record through here, so an exchange means the same whatever
produced it, and compare never needs to know.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable

import httpx

from chatmigrate.bounded import BodyTooLarge, decode_bounded
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


def record_response(record: Exchange, response: httpx.Response, data: bytes | bytearray) -> None:
    """Status, headers and the body as JSON or text; a record already in error (a body over the limit) keeps
    what was read as text only. JSON must be valid in its charset: mojibake is not silently replaced."""
    record.status = response.status_code
    record.content_type = response.headers.get("content-type", "")
    record.headers = redact_headers(response.headers.multi_items())
    text = data.decode(response.encoding or "utf-8", errors="replace")
    if record.error:
        record.text = redact(text[:TEXT_CAP]) if text else None
        return
    if is_json_type(record.content_type):
        try:
            parsed = json.loads(data.decode(response.encoding or "utf-8"))
        except (ValueError, RecursionError, LookupError) as error:
            # RecursionError: a body nested thousands deep; it must not kill the run's task group.
            record.error = f"content-type says JSON but the body is not: {error}"
            record.text = redact(text[:TEXT_CAP])
            return
        record.is_json = True
        record.body = redact_parsed(text, parsed)
        return
    record.text = redact(text[:TEXT_CAP]) if text else None


def record_raw(record: Exchange, response: httpx.Response, raw: bytes, cap: int) -> None:
    """A body as it came off the wire (still content-encoded), decoded here under the same bound: a compression
    bomb stops at ``cap`` decoded bytes, and a body that does not decode is an error on the record."""
    try:
        data = decode_bounded(raw, response.headers.get("content-encoding", ""), cap)
    except BodyTooLarge as error:
        record.error, data = str(error), b""
    except httpx.DecodingError as error:
        record.status = response.status_code
        record.error = f"undecodable body: {error}"
        return
    record_response(record, response, data)
