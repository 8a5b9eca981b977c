"""No header and no token, however malformed, gets anything but a clean JSON answer from the JWT tier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_wire import JWT_CHAT, access_token, bearer, fresh_claims, stateless

from chatmigrate.embedded import EmbeddedServer

PROXY_MESSAGES = "/api/chat-messages"
ROOM = {"chatroom_id": "2", "limit": "2"}
# What h11 lets a client put in a header value: no control characters, no surrounding whitespace.
_HEADER_ALPHABET = bytes([9, *range(0x20, 0x7F), *range(0x80, 0x100)])
_TOKEN_ALPHABET = b"ABCxyz019-_.=+/ %\t\x80\xff"


def b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def signed(header: bytes, payload: bytes, key: str) -> str:
    """A token whose segments are exactly the given JSON texts, correctly signed: reaches every claim check."""
    head = b64(header) + b"." + b64(payload)
    signature = hmac.new(key.encode(), head, hashlib.sha256).digest()
    return (head + b"." + b64(signature)).decode()


def assert_clean_answer(response: httpx.Response, sent: bytes = b"") -> None:
    """Success, or the documented JSON refusal; never a 5xx, HTML, a traceback or the credential echoed."""
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json", response.text
    body = response.json()
    if response.status_code == 200:
        assert body["status"] == "success"
        return
    assert response.status_code in (401, 403), response.text
    assert set(body) == {"status", "message", "detail"}
    token = sent.partition(b" ")[2].strip()
    assert len(token) < 12 or token.decode("latin-1") not in body["detail"]


def get_with_header(server: EmbeddedServer, path: str, value: bytes) -> httpx.Response:
    return stateless.get(f"{server.base_url}{path}", params=ROOM, headers=[(b"Authorization", value)])


def header_values(valid_token: str) -> st.SearchStrategy[bytes]:
    raw = st.binary(max_size=300).map(lambda data: bytes(_HEADER_ALPHABET[b % len(_HEADER_ALPHABET)] for b in data))
    token_like = st.lists(st.sampled_from(list(_TOKEN_ALPHABET)), max_size=400).map(bytes)
    mutated = st.tuples(st.integers(0, len(valid_token) - 1), st.sampled_from(list(_TOKEN_ALPHABET)), st.booleans())
    return st.one_of(
        raw,
        token_like.map(lambda token: b"Bearer " + token),
        mutated.map(lambda change: b"Bearer " + _mutate(valid_token.encode(), *change)),
        st.tuples(st.sampled_from([b"Bearer", b"bearer", b"Basic", b"Token", b""]), raw).map(b" ".join),
    )


def _mutate(token: bytes, index: int, replacement: int, delete: bool) -> bytes:
    return token[:index] + (b"" if delete else bytes([replacement])) + token[index + 1 :]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
_CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "user_id": st.one_of(st.integers(-5, 10**20), _JSON),
        "exp": st.one_of(st.integers(), st.floats(allow_nan=False), _JSON),
        "iat": st.one_of(st.integers(), st.floats(allow_nan=False), _JSON),
        "nbf": _JSON,
        "token_type": _JSON,
        "role": _JSON,
    },
)


def strip_whitespace(value: bytes) -> bytes:
    return value.strip(b" \t")


@pytest.fixture(scope="module")
def valid_token(server: EmbeddedServer) -> str:
    return access_token(server)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_authorization_headers_get_clean_answers(
    server: EmbeddedServer, valid_token: str, data: st.DataObject
) -> None:
    value = strip_whitespace(data.draw(header_values(valid_token), label="authorization"))
    path = data.draw(st.sampled_from([JWT_CHAT, PROXY_MESSAGES]), label="path")
    assert_clean_answer(get_with_header(server, path, value), value)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.one_of(
        _JSON,
        st.fixed_dictionaries(
            {"alg": st.sampled_from(["HS256", "none", "HS512"])}, optional={"typ": _JSON, "crit": _JSON}
        ),
    ),
    claims=_CLAIMS,
)
def test_correctly_signed_random_claims_get_clean_answers(
    server: EmbeddedServer, header: Any, claims: dict[str, Any]
) -> None:
    token = signed(json.dumps(header).encode(), json.dumps(claims).encode(), server.config.jwt_secret)
    assert_clean_answer(get_with_header(server, JWT_CHAT, b"Bearer " + token.encode()))


# fixed nasty cases ---------------------------------------------------------------
def raw_status(server: EmbeddedServer, header_line: bytes) -> int:
    """Send bytes httpx refuses to send (NUL, bare CR or LF) and return the status the server answers."""
    request = (
        b"GET /api/v1/admin/chat/?chatroom_id=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header_line + b"\r\n"
        b"Connection: close\r\n\r\n"
    )
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_100kb_token_is_a_401(server: EmbeddedServer) -> None:
    response = get_with_header(server, JWT_CHAT, b"Bearer " + b"a" * 100_000)
    assert response.status_code == 401
    assert response.json()["detail"] == "Token too long"


@pytest.mark.parametrize(
    "header_line",
    [b"Authorization: Bearer abc\x00def", b"Authorization: Bearer abc\rdef", b"Authorization: Bearer\r\n abc"],
    ids=["nul", "bare-cr", "folded-line"],
)
def test_control_characters_in_the_header_are_not_a_5xx(server: EmbeddedServer, header_line: bytes) -> None:
    assert raw_status(server, header_line) in (400, 401)


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        (b'{"alg":"HS256"}', b'{"user_id":1,"exp":1e999,"iat":1}'),
        (b'{"alg":"HS256"}', b'{"user_id":1,"exp":9999999999,"iat":1e999}'),
        (b'{"alg":"HS256"}', b'{"user_id":1,"exp":9999999999,"iat":-1e999}'),
        (b'{"alg":"HS256"}', b'{"user_id":1,"exp":NaN,"iat":1}'),
        (b'{"alg":"HS256"}', b'{"user_id":1e999,"exp":9999999999,"iat":1}'),
        (b'{"alg":"HS256"}', b'{"user_id":100000000000000000000000,"exp":9999999999,"iat":1}'),
        (b'{"alg":"HS256"}', b'{"user_id":true,"exp":9999999999,"iat":1}'),
        (b'{"alg":"HS256"}', b"[]"),
        (b'{"alg":"HS256"}', b"null"),
        (b'{"alg":"HS256"}', b'"claims"'),
        (b'{"alg":"HS256"}', b"\xff\xfe not utf-8"),
        (b'{"alg":"HS256"}', b"[" * 5_000),
        (b"[]", b'{"user_id":1}'),
        (b"null", b'{"user_id":1}'),
        (b'"HS256"', b'{"user_id":1}'),
        (b'{"alg":["HS256"]}', b'{"user_id":1}'),
        (b'{"alg":"HS256","crit":["exp"]}', b'{"user_id":1,"exp":9999999999,"iat":1}'),
        (b"[" * 3_000, b'{"user_id":1}'),
    ],
    ids=[
        "exp-1e999",
        "iat-1e999",
        "iat-minus-1e999",
        "exp-nan",
        "user-id-1e999",
        "user-id-huge-int",
        "user-id-true",
        "payload-list",
        "payload-null",
        "payload-string",
        "payload-not-utf8",
        "payload-deep-nesting",
        "header-list",
        "header-null",
        "header-string",
        "alg-list",
        "crit-header",
        "header-deep-nesting",
    ],
)
def test_hostile_but_signed_tokens_are_a_401(server: EmbeddedServer, header: bytes, payload: bytes) -> None:
    response = get_with_header(
        server, JWT_CHAT, b"Bearer " + signed(header, payload, server.config.jwt_secret).encode()
    )
    assert response.status_code == 401
    assert set(response.json()) == {"status", "message", "detail"}


def test_expired_claims_as_float_are_a_401(server: EmbeddedServer) -> None:
    claims = fresh_claims(server, exp=1.5, iat=1.0)
    token = signed(b'{"alg":"HS256"}', json.dumps(claims).encode(), server.config.jwt_secret)
    assert get_with_header(server, JWT_CHAT, b"Bearer " + token.encode()).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "\\ud800", "password": "x"}',
        b'{"username": "admin", "password": "\\udfff"}',
        b'{"username": "adm\\u0000in", "password": "x"}',
        b"[" * 100_000,
        b'{"username": "admin", "password": "' + b"x" * 1_000_000 + b'"}',
    ],
    ids=["surrogate-username", "surrogate-password", "nul-username", "deep-nesting", "megabyte-password"],
)
def test_hostile_token_request_bodies_are_not_a_5xx(server: EmbeddedServer, body: bytes) -> None:
    response = httpx.post(f"{server.base_url}/api/v1/auth/token/", content=body)
    assert response.status_code in (400, 401)
    assert response.json()["status"] == "error"


@pytest.mark.parametrize("body", [b'{"refresh": "\\ud800"}', b"{" * 100_000], ids=["surrogate", "deep-nesting"])
def test_hostile_refresh_bodies_are_not_a_5xx(server: EmbeddedServer, body: bytes) -> None:
    response = httpx.post(f"{server.base_url}/api/v1/auth/token/refresh/", content=body)
    assert response.status_code in (400, 401)


@pytest.mark.parametrize(
    "body",
    [b'{"chatroom_id": 2, "message": "\\ud800"}', b'{"chatroom_id": 1e999, "message": "x"}', b"[" * 100_000],
    ids=["surrogate-message", "infinite-chatroom", "deep-nesting"],
)
def test_hostile_send_bodies_are_a_400(server: EmbeddedServer, body: bytes) -> None:
    response = httpx.post(f"{server.base_url}/api/v1/chat/send/", content=body, headers=bearer(access_token(server)))
    assert response.status_code == 400
