"""Recording an answer: what a body is written as in exchanges.jsonl, whichever JSON encoder wrote the line."""

from __future__ import annotations

import json

import httpx
import pytest

from chatmigrate.records import Exchange
from chatmigrate.responses import exchange_lines, record_response


def recorded(body: bytes, content_type: str = "application/json") -> dict[str, object]:
    record = Exchange("e1", "old", 0, "GET", "http://old/admin/chat/", "GET /admin/chat/")
    record_response(record, httpx.Response(200, headers={"content-type": content_type}, content=body), body)
    (line,) = exchange_lines([record]).splitlines()
    written: dict[str, object] = json.loads(line)
    return written


def test_a_plain_json_body_is_written_as_parsed() -> None:
    assert recorded('{"messages": [{"id": 1, "text": "café"}], "n": 1.5}'.encode())["body"] == {
        "messages": [{"id": 1, "text": "café"}],
        "n": 1.5,
    }


@pytest.mark.parametrize("body", [b'{"count": NaN}', b"[Infinity, 1]", b"-Infinity"], ids=["dict", "list", "scalar"])
def test_a_non_finite_number_is_written_as_the_server_sent_it_not_as_null(body: bytes) -> None:
    assert json.dumps(recorded(body)["body"]) == json.dumps(json.loads(body))


def test_an_integer_past_64_bits_is_written_whole() -> None:
    assert recorded(b'{"id": 123456789012345678901234567890}')["body"] == {"id": 123456789012345678901234567890}


def test_a_body_in_another_charset_is_read_in_it() -> None:
    assert recorded('{"text": "café"}'.encode("latin-1"), "application/json; charset=latin-1")["body"] == {
        "text": "café"
    }
