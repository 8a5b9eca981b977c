"""The JWT tier: token endpoints, the claims it signs, the header policy and its JSON error envelopes."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from server_wire import JWT_CHAT, access_token, bearer, claims_of, forge, fresh_claims, jwt_get, token_pair

from chatmigrate.embedded import EmbeddedServer

ROOM = {"chatroom_id": 2, "limit": 3}


def auth_failure(response: httpx.Response) -> str:
    """The detail of a 401 envelope, after checking that it is exactly the documented envelope."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "message", "detail"}
    assert (body["status"], body["message"]) == ("error", "Authentication failed")
    detail: str = body["detail"]
    return detail


def chat_with_header(server: EmbeddedServer, value: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{JWT_CHAT}", params=ROOM, headers={"Authorization": value})


# token endpoints -------------------------------------------------------------
def test_token_endpoint_returns_access_and_refresh(server: EmbeddedServer) -> None:
    assert set(token_pair(server)) == {"access", "refresh"}


def test_access_token_has_exactly_the_documented_claims(server: EmbeddedServer) -> None:
    claims = claims_of(access_token(server))
    assert set(claims) == {"token_type", "jti", "user_id", "username", "email", "role", "exp", "iat"}
    assert claims["token_type"] == "access"
    assert (claims["user_id"], claims["username"], claims["email"], claims["role"]) == (
        1,
        "admin",
        "admin@example.com",
        "admin",
    )
    assert claims["exp"] - claims["iat"] == server.config.access_ttl


def test_access_token_is_hs256_signed_with_the_server_secret(server: EmbeddedServer) -> None:
    token = access_token(server)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert jwt.decode(token, server.config.jwt_secret, algorithms=["HS256"])["username"] == "admin"


def test_refresh_token_adds_type_and_jti(server: EmbeddedServer) -> None:
    claims = claims_of(token_pair(server)["refresh"])
    assert claims["token_type"] == "refresh"
    assert len(claims["jti"]) == 32


def test_refresh_endpoint_issues_a_working_access_token(server: EmbeddedServer) -> None:
    response = httpx.post(
        f"{server.base_url}/api/v1/auth/token/refresh/", json={"refresh": token_pair(server)["refresh"]}
    )
    assert set(response.json()) == {"access", "refresh"}
    assert jwt_get(server, response.json()["access"], **ROOM).status_code == 200


def test_refresh_endpoint_refuses_an_access_token(server: EmbeddedServer) -> None:
    response = httpx.post(f"{server.base_url}/api/v1/auth/token/refresh/", json={"refresh": access_token(server)})
    assert auth_failure(response) == "Access token used as refresh token"


def test_wrong_password_gets_no_token(server: EmbeddedServer) -> None:
    response = httpx.post(f"{server.base_url}/api/v1/auth/token/", json={"username": "admin", "password": "nope"})
    assert auth_failure(response) == "No active account found with the given credentials"


def test_inactive_user_gets_no_token(server: EmbeddedServer) -> None:
    response = httpx.post(
        f"{server.base_url}/api/v1/auth/token/", json={"username": "former", "password": "seed-Passw0rd"}
    )
    assert auth_failure(response) == "No active account found with the given credentials"


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b'{"username": "admin"}', b'{"username": 1, "password": "x"}']
)
def test_token_endpoint_bad_body_is_a_json_400(server: EmbeddedServer, body: bytes) -> None:
    response = httpx.post(f"{server.base_url}/api/v1/auth/token/", content=body)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request"


# the chat API's auth failures -------------------------------------------------
def test_valid_token_reads_chat(server: EmbeddedServer) -> None:
    response = jwt_get(server, access_token(server), **ROOM)
    assert response.status_code == 200
    assert response.json()["status"] == "success"


def test_missing_authorization_is_a_401(server: EmbeddedServer) -> None:
    assert auth_failure(jwt_get(server, None, **ROOM)) == "Authentication credentials were not provided"


def test_401_names_the_bearer_challenge(server: EmbeddedServer) -> None:
    assert jwt_get(server, None, **ROOM).headers["www-authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("value", ["Bearer", "Bearer a b", "Bearer\u00a0abc", "Bearer,abc", ""])
def test_malformed_header_is_a_401(server: EmbeddedServer, value: str) -> None:
    response = httpx.get(
        f"{server.base_url}{JWT_CHAT}", params=ROOM, headers=[(b"Authorization", value.encode("latin-1"))]
    )
    assert auth_failure(response) == "Malformed Authorization header"


@pytest.mark.parametrize("scheme", ["Token", "Basic", "JWT"])
def test_other_schemes_are_refused(server: EmbeddedServer, scheme: str) -> None:
    assert (
        auth_failure(chat_with_header(server, f"{scheme} {access_token(server)}")) == "Unsupported authorization scheme"
    )


def test_malformed_token_is_a_401(server: EmbeddedServer) -> None:
    assert auth_failure(chat_with_header(server, "Bearer not-a-jwt")) == "Malformed token"


def test_expired_token_is_a_401(server: EmbeddedServer) -> None:
    past = int(time.time()) - 3600
    token = forge(fresh_claims(server, iat=past - 900, exp=past), server.config.jwt_secret)
    assert auth_failure(jwt_get(server, token, **ROOM)) == "Token has expired"


def test_bad_signature_is_a_401(server: EmbeddedServer) -> None:
    token = forge(fresh_claims(server), "some-other-key-of-sufficient-length")
    assert auth_failure(jwt_get(server, token, **ROOM)) == "Invalid token signature"


def test_unknown_user_is_a_401(server: EmbeddedServer) -> None:
    token = forge(fresh_claims(server, user_id=424242), server.config.jwt_secret)
    assert auth_failure(jwt_get(server, token, **ROOM)) == "User not found"


def test_inactive_user_is_a_401(server: EmbeddedServer) -> None:
    token = forge(fresh_claims(server, user_id=4, username="former"), server.config.jwt_secret)
    assert auth_failure(jwt_get(server, token, **ROOM)) == "User is inactive"


def test_refresh_token_used_as_access_is_a_401(server: EmbeddedServer) -> None:
    assert auth_failure(jwt_get(server, token_pair(server)["refresh"], **ROOM)) == "Refresh token used as access token"


def test_token_issued_in_the_future_is_a_401(server: EmbeddedServer) -> None:
    soon = int(time.time()) + 3600
    token = forge(fresh_claims(server, iat=soon, exp=soon + 600), server.config.jwt_secret)
    assert auth_failure(jwt_get(server, token, **ROOM)) == "Token is not yet valid"


def test_token_not_before_a_future_time_is_a_401(server: EmbeddedServer) -> None:
    token = forge(fresh_claims(server, nbf=int(time.time()) + 3600), server.config.jwt_secret)
    assert auth_failure(jwt_get(server, token, **ROOM)) == "Token is not yet valid"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_algorithm_is_pinned_to_hs256(server: EmbeddedServer, algorithm: str) -> None:
    token = forge(fresh_claims(server), server.config.jwt_secret, algorithm)
    assert auth_failure(jwt_get(server, token, **ROOM)) == "Unsupported token algorithm"


def test_alg_none_is_refused(server: EmbeddedServer) -> None:
    token = jwt.encode(fresh_claims(server), "", algorithm="none")
    assert auth_failure(jwt_get(server, token, **ROOM)) == "Unsupported token algorithm"


def test_viewer_gets_a_json_403(server: EmbeddedServer) -> None:
    response = jwt_get(server, access_token(server, "viewer"), **ROOM)
    assert response.status_code == 403
    assert response.json() == {
        "status": "error",
        "message": "Permission denied",
        "detail": "Role 'viewer' may not use the chat admin API",
    }


# header policy -------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_scheme_is_matched_case_insensitively(server: EmbeddedServer, scheme: str) -> None:
    assert chat_with_header(server, f"{scheme} {access_token(server)}").status_code == 200


@pytest.mark.parametrize("gap", ["  ", "\t", " \t "])
def test_any_run_of_spaces_and_tabs_separates_scheme_and_token(server: EmbeddedServer, gap: str) -> None:
    assert chat_with_header(server, f"Bearer{gap}{access_token(server)}").status_code == 200


def test_several_authorization_headers_are_refused(server: EmbeddedServer) -> None:
    value = f"Bearer {access_token(server)}".encode()
    response = httpx.get(
        f"{server.base_url}{JWT_CHAT}", params=ROOM, headers=[(b"Authorization", value), (b"Authorization", value)]
    )
    assert auth_failure(response) == "Multiple Authorization headers"


def test_token_in_query_string_is_not_auth(server: EmbeddedServer) -> None:
    response = jwt_get(server, None, **ROOM, token=access_token(server), access_token=access_token(server))
    assert response.status_code == 401


def test_token_in_cookie_is_not_auth(server: EmbeddedServer) -> None:
    token = access_token(server)
    response = httpx.get(
        f"{server.base_url}{JWT_CHAT}", params=ROOM, headers={"Cookie": f"access={token}; jwt={token}; token={token}"}
    )
    assert response.status_code == 401


# parameters and errors ------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [{}, {"chatroom_id": "x"}, {"chatroom_id": "0"}, {"chatroom_id": "1", "limit": "-1"}, {"request_type": "all"}],
)
def test_bad_parameters_are_a_json_400(server: EmbeddedServer, params: dict[str, str]) -> None:
    response = jwt_get(server, access_token(server), **params)
    assert response.status_code == 400
    assert set(response.json()) == {"status", "message", "detail"}
    assert response.json()["message"] == "Invalid request"


def test_unknown_chatroom_is_a_json_404(server: EmbeddedServer) -> None:
    response = jwt_get(server, access_token(server), chatroom_id=9999)
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Not found", "detail": "Chatroom 9999 not found"}


def test_auth_is_checked_before_parameters(server: EmbeddedServer) -> None:
    assert jwt_get(server, None, chatroom_id="x").status_code == 401


def test_unknown_api_path_is_a_json_404(server: EmbeddedServer) -> None:
    response = httpx.get(f"{server.base_url}/api/v1/admin/nothing-here/")
    assert response.status_code == 404
    assert response.json()["message"] == "Not found"


def test_wrong_method_is_a_json_405(server: EmbeddedServer) -> None:
    response = httpx.delete(f"{server.base_url}{JWT_CHAT}", headers=bearer(access_token(server)))
    assert response.status_code == 405
    assert response.json()["message"] == "Method not allowed"


# send ------------------------------------------------------------------------------
def send(server: EmbeddedServer, token: str | None, body: object) -> httpx.Response:
    headers = bearer(token) if token else {}
    return httpx.post(f"{server.base_url}/api/v1/chat/send/", json=body, headers=headers)


def test_send_stores_the_message_and_answers_201(scratch_server: EmbeddedServer) -> None:
    response = send(scratch_server, access_token(scratch_server, "support"), {"chatroom_id": 12, "message": "on it"})
    assert response.status_code == 201
    stored = response.json()["message"]
    assert (stored["chatroom_id"], stored["sender"], stored["sender_id"], stored["sender_name"]) == (
        12,
        "admin",
        2,
        "support",
    )
    assert jwt_get(scratch_server, access_token(scratch_server), chatroom_id=12, limit=1).json()["messages"] == [stored]


def test_send_without_token_is_a_401(server: EmbeddedServer) -> None:
    assert auth_failure(send(server, None, {"chatroom_id": 1, "message": "x"})) == (
        "Authentication credentials were not provided"
    )


def test_send_as_viewer_is_a_403(server: EmbeddedServer) -> None:
    assert send(server, access_token(server, "viewer"), {"chatroom_id": 1, "message": "x"}).status_code == 403


def test_send_to_unknown_chatroom_is_a_404(server: EmbeddedServer) -> None:
    response = send(server, access_token(server), {"chatroom_id": 9999, "message": "x"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Chatroom 9999 not found"


@pytest.mark.parametrize(
    "body",
    [
        {"chatroom_id": "1", "message": "x"},
        {"chatroom_id": True, "message": "x"},
        {"chatroom_id": 1, "message": " "},
        {"chatroom_id": 1, "message": "x" * 5001},
        {"chatroom_id": 1},
        ["not", "an", "object"],
    ],
    ids=["string-id", "bool-id", "blank", "too-long", "no-message", "not-an-object"],
)
def test_send_with_bad_body_is_a_400(server: EmbeddedServer, body: object) -> None:
    response = send(server, access_token(server), body)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request"
