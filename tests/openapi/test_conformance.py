"""The reference server's real answers, over the wire, conform to the contracts (while its drifts do not)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import schemathesis
from contract_samples import (
    DOCUMENTS,
    PROXY_ROUTES,
    REQUEST_TYPES,
    chat_query,
    documented_operations,
    operation_labels,
)
from server_wire import (
    JWT_CHAT,
    LEGACY_CHAT,
    access_token,
    bearer,
    joined,
    logged_in,
    receive,
    token_pair,
    ws_connect,
    ws_path,
)

from chatmigrate.contracts import (
    load_contract,
    schema_validator,
    validate_response,
)
from chatmigrate.embedded import EmbeddedServer


# Real answers over the wire -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def admin_token(server: EmbeddedServer) -> str:
    return access_token(server)


@pytest.fixture(scope="module")
def legacy_client(server: EmbeddedServer) -> httpx.Client:
    return logged_in(server)


def assert_conforms(tier: str, response: httpx.Response, expected_status: int) -> None:
    assert response.status_code == expected_status, response.text
    violations = validate_response(
        tier, response.request.method, str(response.request.url), response.status_code, response.json()
    )
    assert violations == []


@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_jwt_tier_success_bodies_conform(server: EmbeddedServer, admin_token: str, request_type: str) -> None:
    response = httpx.get(f"{server.base_url}{JWT_CHAT}", params=chat_query(request_type), headers=bearer(admin_token))
    assert_conforms("jwt", response, 200)


@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_legacy_tier_success_bodies_conform(legacy_client: httpx.Client, request_type: str) -> None:
    assert_conforms("legacy", legacy_client.get(LEGACY_CHAT, params=chat_query(request_type)), 200)


@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_proxy_tier_success_bodies_conform(server: EmbeddedServer, admin_token: str, request_type: str) -> None:
    response = httpx.get(
        f"{server.base_url}{PROXY_ROUTES[request_type]}",
        params={"chatroom_id": 1, "limit": 5},
        headers=bearer(admin_token),
    )
    assert_conforms("proxy", response, 200)


@pytest.mark.parametrize(
    ("params", "who", "status"),
    [
        ({"chatroom_id": 1}, None, 401),
        ({"chatroom_id": 1}, "garbage", 401),
        ({"chatroom_id": 1}, "viewer", 403),
        ({"chatroom_id": "x"}, "admin", 400),
        ({"request_type": "everything", "chatroom_id": 1}, "admin", 400),
        ({"chatroom_id": 999_999}, "admin", 404),
    ],
)
def test_jwt_tier_error_bodies_conform(
    server: EmbeddedServer, params: dict[str, Any], who: str | None, status: int
) -> None:
    token = who if who in (None, "garbage") else access_token(server, who)
    headers = bearer(token) if token else {}
    assert_conforms("jwt", httpx.get(f"{server.base_url}{JWT_CHAT}", params=params, headers=headers), status)


def test_legacy_tier_bad_parameters_conform(legacy_client: httpx.Client) -> None:
    assert_conforms("legacy", legacy_client.get(LEGACY_CHAT, params={"limit": "0", "chatroom_id": 1}), 400)


@pytest.mark.parametrize(
    ("route", "params", "who", "status"),
    [
        ("/api/chat-messages", {"chatroom_id": 1}, None, 401),
        ("/api/chat-messages", {"chatroom_id": 1}, "garbage", 401),
        ("/api/chat-purchases", {"chatroom_id": 1}, "viewer", 403),
        ("/api/chat-messages", {}, "admin", 400),
        ("/api/chat-purchases", {"chatroom_id": 999_999}, "admin", 404),
    ],
)
def test_proxy_tier_error_bodies_conform(
    server: EmbeddedServer, route: str, params: dict[str, Any], who: str | None, status: int
) -> None:
    token = who if who in (None, "garbage") else access_token(server, who)
    headers = bearer(token) if token else {}
    assert_conforms("proxy", httpx.get(f"{server.base_url}{route}", params=params, headers=headers), status)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "admin", "password": "seed-Passw0rd"}, 200),
        ({"username": "admin", "password": "wrong"}, 401),
        ({"username": "admin"}, 400),
    ],
)
def test_token_endpoint_bodies_conform(server: EmbeddedServer, body: dict[str, str], status: int) -> None:
    assert_conforms("jwt", httpx.post(f"{server.base_url}/api/v1/auth/token/", json=body), status)


def test_refresh_endpoint_bodies_conform(server: EmbeddedServer) -> None:
    url = f"{server.base_url}/api/v1/auth/token/refresh/"
    assert_conforms("jwt", httpx.post(url, json={"refresh": token_pair(server)["refresh"]}), 200)
    assert_conforms("jwt", httpx.post(url, json={"refresh": "not-a-token"}), 401)
    assert_conforms("jwt", httpx.post(url, content=b"[]"), 400)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"chatroom_id": 2, "message": "contract check", "client_id": "c1"}, 201),
        ({"chatroom_id": 2, "message": "   "}, 400),
        ({"chatroom_id": 999_999, "message": "hello?"}, 404),
    ],
)
def test_send_endpoint_bodies_conform(
    server: EmbeddedServer, admin_token: str, body: dict[str, Any], status: int
) -> None:
    response = httpx.post(f"{server.base_url}/api/v1/chat/send/", json=body, headers=bearer(admin_token))
    assert_conforms("jwt", response, status)


@pytest.mark.parametrize(
    ("drift", "request_type", "expected"),
    [
        ("rename-field", "recent_messages", "$.messages[0]: 'message' is a required property"),
        ("timestamp-format", "recent_messages", "$.messages[0].timestamp: "),
        ("string-ids", "purchases_list", "$.messages[0].id: "),
        ("purchases-key", "purchases_list", "$: 'messages' is a required property"),
    ],
)
def test_each_shape_drift_of_the_reference_server_breaks_the_jwt_contract(
    server_with: Any, drift: str, request_type: str, expected: str
) -> None:
    drifted = server_with(drifts=(drift,))
    response = httpx.get(
        f"{drifted.base_url}{JWT_CHAT}", params=chat_query(request_type), headers=bearer(access_token(drifted))
    )
    violations = validate_response("jwt", "GET", JWT_CHAT, response.status_code, response.json())
    assert any(violation.startswith(expected) for violation in violations), violations


def test_the_status_change_drift_breaks_the_jwt_contract(server_with: Any) -> None:
    drifted = server_with(drifts=("status-change",))
    response = httpx.get(
        f"{drifted.base_url}{JWT_CHAT}", params={"chatroom_id": 999_999}, headers=bearer(access_token(drifted))
    )
    assert validate_response("jwt", "GET", JWT_CHAT, response.status_code, response.json()) == [
        "$.message: 'Invalid request' was expected"
    ]


def test_real_websocket_frames_conform_to_the_event_schema(server: EmbeddedServer) -> None:
    async def conversation() -> list[dict[str, Any]]:
        async with ws_connect(server, ws_path(1003, 1)) as admin, ws_connect(server, ws_path(1003, 2)) as support:
            events = [*await joined(admin), *await joined(support)]
            await support.send(json.dumps({"type": "typing", "is_typing": True}))
            events.append(await receive(admin))
            await admin.send(json.dumps({"type": "message", "message": "schema check", "client_id": "c9"}))
            events += [await receive(admin), await receive(admin), await receive(support)]
            stored = next(event["message"]["id"] for event in events if event["type"] == "ack")
            await support.send(json.dumps({"type": "read", "message_id": stored}))
            events.append(await receive(support))
            await support.send(json.dumps({"type": "dance"}))
            events.append(await receive(support))
            return events

    events = asyncio.run(conversation())
    validator = schema_validator("ws-events.json#/$defs/server_event")
    assert {event["type"] for event in events} == {
        "connected",
        "live_status",
        "typing",
        "ack",
        "message",
        "read",
        "error",
    }
    assert [list(validator.iter_errors(event)) for event in events] == [[] for _ in events]


@pytest.mark.parametrize("name", [*DOCUMENTS, "schemas/message.json", "schemas/results.json"])
def test_the_server_serves_each_contract_file_under_openapi(server: EmbeddedServer, name: str) -> None:
    response = httpx.get(f"{server.base_url}/openapi/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == load_contract(name)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_schemathesis_loads_every_document_from_the_server(server: EmbeddedServer, name: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi/{name}")
    assert operation_labels(schema) == documented_operations(name)
