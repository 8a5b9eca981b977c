"""How an HTTP answer becomes an ``Exchange`` record: the one place bodies are decoded, capped and redacted.

Replay, the shadow and recorded captures all record through here, so an exchange means the same whatever
produced it, and compare never needs to know.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

import httpx
import orjson

from chatmigrate.bounded import BodyTooLarge, decode_bounded
from chatmigrate.compare import is_json_type
from chatmigrate.exactjson import may_lose_digits
from chatmigrate.records import Exchange
from chatmigrate.redact import redact, redact_headers, redact_parsed

TEXT_CAP = 16 * 1024
_EXCHANGE_FIELDS = tuple(f.name for f in dataclasses.fields(Exchange))
_ORJSON_LINE = orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_SUBCLASS
_UTF8 = frozenset({"utf-8", "utf8", "ascii", "us-ascii"})


class _LaxDict(dict[str, Any]):
    """A body only Python's parser accepts (NaN, the infinities): orjson would write them as null, so a line holding
    one is written by the standard encoder instead. Lines orjson cannot write at all (integers past 64 bits, lone
    surrogates) fall back the same way; these marker types catch the one case it would write silently wrong."""


class _LaxList(list[Any]):
    __doc__ = _LaxDict.__doc__


class _LaxFloat(float):
    __doc__ = _LaxDict.__doc__


def exchange_lines(exchanges: Iterable[Exchange]) -> bytes:
    """The JSONL of an entry's exchanges, as compare reads them back."""
    return b"".join(_line(exchange) for exchange in exchanges)


def _line(exchange: Exchange) -> bytes:
    """orjson writes a recorded exchange about 20x faster than the standard encoder, which stays for what it
    refuses; the two agree on every value orjson accepts."""
    fields = {name: getattr(exchange, name) for name in _EXCHANGE_FIELDS}
    try:
        return orjson.dumps(fields, option=_ORJSON_LINE)
    except orjson.JSONEncodeError:
        return (json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _lax(value: Any) -> Any:
    if isinstance(value, dict):
        return _LaxDict(value)
    if isinstance(value, list):
        return _LaxList(value)
    return _LaxFloat(value) if isinstance(value, float) else value


def _parse_json(data: bytes | bytearray, encoding: str) -> tuple[Any, bool]:
    """The body's JSON and whether orjson read it (else Python's parser did, and the value may hold NaN).

    A body orjson would read inexactly (see ``exactjson``) goes to Python's parser."""
    if encoding.lower() in _UTF8 and not may_lose_digits(data):
        try:
            return orjson.loads(data), True
        except orjson.JSONDecodeError:
            pass
    return json.loads(data.decode(encoding)), False


def record_response(record: Exchange, response: httpx.Response, data: bytes | bytearray) -> None:
    """Status, headers and the body as JSON or text; a record already in error (a body over the limit) keeps
    what was read as text only. JSON must be valid in its charset: mojibake is not silently replaced."""
    record.status = response.status_code
    record.content_type = response.headers.get("content-type", "")
    record.headers = redact_headers(response.headers.multi_items())
    encoding = response.encoding or "utf-8"
    text = data.decode(encoding, errors="replace")
    if record.error:
        record.text = redact(text[:TEXT_CAP]) if text else None
        return
    if is_json_type(record.content_type):
        try:
            parsed, strict = _parse_json(data, encoding)
        except (ValueError, RecursionError, LookupError) as error:
            # RecursionError: a body nested thousands deep; it must not kill the run's task group.
            record.error = f"content-type says JSON but the body is not: {error}"
            record.text = redact(text[:TEXT_CAP])
            return
        record.is_json = True
        body = redact_parsed(text, parsed)
        record.body = body if strict else _lax(body)
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
