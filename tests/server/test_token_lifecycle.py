"""The token lifecycle of the JWT tier: rotation, logout, deactivation, login throttling and the headers
a token answer owes its client (RFC 6749 §5.1, RFC 6750 §3)."""

from __future__ import annotations

import httpx
from server_wire import JWT_CHAT, PASSWORD, ServerFactory, access_token, bearer, jwt_get, stateless, token_pair
from token_wire import BLACKLIST, FORMER_ID, REFRESH, TOKEN, former_pair, login, logout, post, refresh, set_active

from chatmigrate.embedded import EmbeddedServer

ROOM = {"chatroom_id": 1, "limit": 1}


def detail(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    text: str = response.json()["detail"]
    return text


# rotation and logout -------------------------------------------------------------------
def test_a_refresh_rotates_the_refresh_token_and_the_new_pair_works(server: EmbeddedServer) -> None:
    old = token_pair(server)["refresh"]
    answer = refresh(server, old)
    assert answer.status_code == 200 and answer.json()["refresh"] != old
    assert jwt_get(server, answer.json()["access"], **ROOM).status_code == 200
    assert refresh(server, answer.json()["refresh"]).status_code == 200


def test_a_refresh_token_rotated_away_is_refused_as_blacklisted(server: EmbeddedServer) -> None:
    old = token_pair(server)["refresh"]
    refresh(server, old)
    assert detail(refresh(server, old)) == "Token is blacklisted"


def test_logout_blacklists_the_refresh_token(server: EmbeddedServer) -> None:
    token = token_pair(server)["refresh"]
    answer = logout(server, token)
    assert (answer.status_code, answer.json()) == (200, {})
    assert detail(refresh(server, token)) == "Token is blacklisted"
    assert detail(logout(server, token)) == "Token is blacklisted"


def test_an_access_token_outlives_logout_until_its_exp_as_with_simplejwt(server: EmbeddedServer) -> None:
    pair = token_pair(server)
    logout(server, pair["refresh"])
    assert jwt_get(server, pair["access"], **ROOM).status_code == 200


def test_logout_and_refresh_refuse_an_access_token(server: EmbeddedServer) -> None:
    access = access_token(server)
    assert detail(logout(server, access)) == "Access token used as refresh token"
    assert detail(refresh(server, access)) == "Access token used as refresh token"


def test_a_refresh_token_is_refused_on_the_chat_api(server: EmbeddedServer) -> None:
    assert detail(jwt_get(server, token_pair(server)["refresh"], **ROOM)) == "Refresh token used as access token"


# deactivation ---------------------------------------------------------------------------
def test_deactivating_a_user_refuses_its_access_and_refresh_tokens(scratch_server: EmbeddedServer) -> None:
    pair = former_pair(scratch_server)
    assert detail(jwt_get(scratch_server, pair["access"], **ROOM)) == "User is inactive"
    assert detail(refresh(scratch_server, pair["refresh"])) == "User is inactive"


def test_reactivating_a_user_lets_it_log_in_again(scratch_server: EmbeddedServer) -> None:
    answer = set_active(scratch_server, FORMER_ID, True)
    try:
        assert answer.json() == {"id": FORMER_ID, "username": "former", "is_active": True}
        assert login(scratch_server, "former").status_code == 200
    finally:
        set_active(scratch_server, FORMER_ID, False)
    assert login(scratch_server, "former").status_code == 401


def test_only_the_admin_role_may_change_users(server: EmbeddedServer) -> None:
    assert set_active(server, FORMER_ID, True, as_user="support").status_code == 403
    assert set_active(server, FORMER_ID, True, as_user="viewer").status_code == 403
    assert stateless.patch(f"{server.base_url}/api/v1/admin/users/4/", json={"is_active": True}).status_code == 401
    assert login(server, "former").status_code == 401


def test_a_user_change_takes_exactly_a_boolean_is_active(server: EmbeddedServer) -> None:
    url, headers = f"{server.base_url}/api/v1/admin/users/{FORMER_ID}/", bearer(access_token(server))
    for body in ({"is_active": "yes"}, {"is_active": True, "is_staff": True}, {}, []):
        assert stateless.patch(url, json=body, headers=headers).status_code == 400


def test_changing_an_unknown_user_is_a_404(server: EmbeddedServer) -> None:
    answer = stateless.patch(
        f"{server.base_url}/api/v1/admin/users/424242/", json={"is_active": False}, headers=bearer(access_token(server))
    )
    assert answer.status_code == 404


# the token endpoint ---------------------------------------------------------------------
def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(server: EmbeddedServer) -> None:
    unknown, wrong = login(server, "nobody-by-this-name", "x"), login(server, "admin", "x")
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())


def test_failed_logins_for_one_username_are_throttled_with_retry_after(own_server_with: ServerFactory) -> None:
    server = own_server_with(login_failure_limit=3)
    statuses = [login(server, "support", "wrong").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    throttled = login(server, "support")
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    assert throttled.json()["message"] == "Too many requests"
    assert login(server, "admin").status_code == 200


def test_a_success_below_the_limit_clears_the_failures(own_server_with: ServerFactory) -> None:
    server = own_server_with(login_failure_limit=3)
    for _ in range(2):
        assert login(server, "viewer", "wrong").status_code == 401
    assert login(server, "viewer", PASSWORD).status_code == 200
    assert [login(server, "viewer", "wrong").status_code for _ in range(3)] == [401, 401, 401]


def test_every_token_endpoint_answer_is_not_cacheable(server: EmbeddedServer) -> None:
    pair = token_pair(server)
    answers = [
        login(server, "admin"),
        login(server, "admin", "wrong"),
        post(server, TOKEN, []),
        refresh(server, pair["refresh"]),
        post(server, REFRESH, {"refresh": "x"}),
        post(server, BLACKLIST, {"refresh": token_pair(server)["refresh"]}),
    ]
    assert [answer.headers.get("cache-control") for answer in answers] == ["no-store"] * len(answers)


def test_a_401_carries_the_bearer_challenge(server: EmbeddedServer) -> None:
    for answer in (stateless.get(f"{server.base_url}{JWT_CHAT}", params=ROOM), login(server, "admin", "wrong")):
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == 'Bearer realm="api"'
