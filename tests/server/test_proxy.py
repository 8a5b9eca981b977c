"""The Next.js-style proxy routes: refuse without a header, otherwise forward to the JWT tier and relay."""

from __future__ import annotations

import httpx
import pytest
from server_wire import access_token, bearer, jwt_get, seeded_before, without_noise

from chatmigrate.embedded import EmbeddedServer

ROUTES = {
    "/api/chat-messages": "recent_messages",
    "/api/chat-purchases": "purchases_list",
    "/api/chat-users": "chat_list",
}


def proxy_get(
    server: EmbeddedServer, route: str, headers: dict[str, str] | None = None, **params: str | int
) -> httpx.Response:
    return httpx.get(f"{server.base_url}{route}", params=params, headers=headers or {})


@pytest.mark.parametrize("route", list(ROUTES))
def test_missing_authorization_is_a_json_401(server: EmbeddedServer, route: str) -> None:
    response = proxy_get(server, route, chatroom_id=1)
    assert response.status_code == 401
    assert response.json() == {
        "status": "error",
        "message": "Authentication failed",
        "detail": "No authorization header",
    }


@pytest.mark.parametrize(("route", "request_type"), list(ROUTES.items()))
def test_proxy_relays_the_jwt_tier_answer(server: EmbeddedServer, route: str, request_type: str) -> None:
    token = access_token(server)
    page = {"chatroom_id": 3, "limit": 4, "before": seeded_before(server)}
    relayed = proxy_get(server, route, bearer(token), **page)
    direct = jwt_get(server, token, request_type=request_type, **page)
    assert relayed.status_code == 200
    assert without_noise(relayed.json()) == without_noise(direct.json())


def test_route_decides_the_request_type(server: EmbeddedServer) -> None:
    response = proxy_get(
        server, "/api/chat-purchases", bearer(access_token(server)), chatroom_id=1, request_type="chat_list"
    )
    assert response.json()["request_type"] == "purchases_list"


def test_backend_401_is_mapped_to_the_seed_envelope(server: EmbeddedServer) -> None:
    response = proxy_get(server, "/api/chat-messages", {"Authorization": "Bearer not.a.jwt"}, chatroom_id=1)
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Authentication failed", "detail": "JWT token invalid"}


def test_a_value_that_is_not_a_bearer_jwt_is_refused_by_the_proxy_itself(server: EmbeddedServer) -> None:
    response = proxy_get(server, "/api/chat-messages", {"Authorization": "Bearer not-a-jwt"}, chatroom_id=1)
    assert response.status_code == 401
    assert response.json()["detail"] == "Authorization is not a bearer JWT"


def test_backend_403_is_relayed(server: EmbeddedServer) -> None:
    response = proxy_get(server, "/api/chat-messages", bearer(access_token(server, "viewer")), chatroom_id=1)
    assert response.status_code == 403
    assert response.json()["message"] == "Permission denied"


def test_backend_404_is_relayed(server: EmbeddedServer) -> None:
    response = proxy_get(server, "/api/chat-messages", bearer(access_token(server)), chatroom_id=9999)
    assert response.status_code == 404
    assert response.json()["detail"] == "Chatroom 9999 not found"


def test_backend_400_is_relayed(server: EmbeddedServer) -> None:
    response = proxy_get(server, "/api/chat-messages", bearer(access_token(server)), chatroom_id="x")
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request"


def test_several_authorization_headers_are_refused(server: EmbeddedServer) -> None:
    value = f"Bearer {access_token(server)}".encode()
    response = httpx.get(
        f"{server.base_url}/api/chat-messages",
        params={"chatroom_id": 1},
        headers=[(b"Authorization", value), (b"Authorization", value)],
    )
    assert response.status_code == 401


def test_proxy_forwards_to_its_own_socket_whatever_the_host_header(server: EmbeddedServer) -> None:
    """Forwarding to the client's Host would hand the Authorization header to a host the client picks."""
    headers = {**bearer(access_token(server)), "Host": "attacker.example:9"}
    assert proxy_get(server, "/api/chat-messages", headers, chatroom_id=1).status_code == 200
