"""Each flaw makes the reference server wrong in exactly its one documented way, and in no other.

Every flawed server is compared with a clean server of the same seed: it must show its flaw while the valid
token still gets the clean answer and unrelated bad tokens are still refused. The servers are this module's
own, so that no other test's writes can make two of them differ. Drifts are tests/server/test_drifts.py's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from jwt_flaw_effects import EFFECTS as WAVE3_EFFECTS
from legacy_flaw_effects import EFFECTS as LEGACY_EFFECTS
from server_wire import (
    JWT_CHAT,
    LEGACY_CHAT,
    PASSWORD,
    ServerFactory,
    access_token,
    bearer,
    forge,
    fresh_claims,
    logged_in,
    login_form,
    stateless,
    token_pair,
)
from switch_wire import ROOM, ask, bad_tokens, failure, observe, requests, status_of
from token_wire import FORMER_ID, former_pair, login, logout, refresh
from ws_flaw_effects import EFFECTS as WS_EFFECTS

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.switches import DRIFTS, FLAWS, Switches
from chatmigrate.server.throttle import LoginThrottle
from chatmigrate.vocab import Drift, Flaw

# flaws --------------------------------------------------------------------------


# The refusals a flaw is about; every other refusal must be unchanged.
RELATED_REFUSALS = {
    "accept-expired": {"expired"},
    "alg-none": {"alg-none"},
    "skip-signature": {"bad-signature"},
    "role-bypass": {"viewer"},
    "refresh-as-access": {"refresh-as-access"},
    "non-staff-any-room": {"viewer"},
}
STORED_DATA_FLAWS = {"stored-active-html"}
"""Flaws that change what is stored, not how auth is done: the valid token and the legacy tier see the change too."""
EXPOSING_FLAWS = {"user-secrets-exposed"}
"""Flaws whose whole point is what the valid token's own answer carries (a password hash)."""


@pytest.fixture(scope="module")
def clean_pair(own_server_with: ServerFactory) -> EmbeddedServer:
    return own_server_with(ws_auth="jwt")


def flawed(pool: ServerFactory, flaw: str) -> EmbeddedServer:
    return pool(flaws=(flaw,), ws_auth="jwt")


@pytest.mark.parametrize("flaw", [flaw for flaw in FLAWS if flaw not in STORED_DATA_FLAWS | EXPOSING_FLAWS])
def test_flaw_leaves_the_valid_token_alone(
    clean_pair: EmbeddedServer, own_server_with: ServerFactory, flaw: str
) -> None:
    switched = flawed(own_server_with, flaw)
    for params in requests(clean_pair).values():
        assert ask(switched, access_token(switched), params) == ask(clean_pair, access_token(clean_pair), params)


@pytest.mark.parametrize("flaw", list(FLAWS))
def test_flaw_leaves_unrelated_refusals_alone(
    clean_pair: EmbeddedServer, own_server_with: ServerFactory, flaw: str
) -> None:
    switched = flawed(own_server_with, flaw)
    clean_tokens, switched_tokens = bad_tokens(clean_pair), bad_tokens(switched)
    for case in set(clean_tokens) - RELATED_REFUSALS.get(flaw, set()):
        expected = status_of(clean_pair, f"Bearer {clean_tokens[case]}")
        assert expected in (401, 403)
        assert status_of(switched, f"Bearer {switched_tokens[case]}") == expected, case


def accepted(server: EmbeddedServer, case: str) -> bool:
    return status_of(server, f"Bearer {bad_tokens(server)[case]}") == 200


def check_accepts_expired(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert not accepted(clean, "expired") and accepted(switched, "expired")


def check_alg_none(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert not accepted(clean, "alg-none") and accepted(switched, "alg-none")


def check_skip_signature(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert not accepted(clean, "bad-signature") and accepted(switched, "bad-signature")


def check_role_bypass(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert status_of(clean, f"Bearer {access_token(clean, 'viewer')}") == 403
    assert status_of(switched, f"Bearer {access_token(switched, 'viewer')}") == 200


def check_html_401(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert failure(clean).headers["content-type"] == "application/json"
    response = failure(switched)
    assert (response.status_code, response.headers["content-type"].split(";")[0]) == (401, "text/html")


def check_stack_trace(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert "Traceback" not in failure(clean).text
    response = failure(switched)
    assert response.status_code == 401 and "Traceback (most recent call last)" in response.json()["traceback"]


def check_echo_token(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    token = "echo.this.token"
    assert token not in failure(clean, token).text
    response = failure(switched, token)
    assert response.status_code == 401 and token in response.json()["detail"]


def check_lowercase_bearer(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert status_of(clean, f"bearer {bad_tokens(clean)['bad-signature']}") == 401
    forged = bad_tokens(switched)["bad-signature"]
    assert status_of(switched, f"bearer {forged}") == 200
    assert status_of(switched, f"Bearer {forged}") == 401


def check_refresh_as_access(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert not accepted(clean, "refresh-as-access") and accepted(switched, "refresh-as-access")


def refreshed_twice(server: EmbeddedServer) -> int:
    """The status of a second refresh with the same (rotated) refresh token."""
    token = token_pair(server)["refresh"]
    assert refresh(server, token).status_code == 200
    return refresh(server, token).status_code


def check_no_rotation_blacklist(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert (refreshed_twice(clean), refreshed_twice(switched)) == (401, 200)


def refreshed_after_logout(server: EmbeddedServer) -> int:
    token = token_pair(server)["refresh"]
    assert logout(server, token).status_code == 200
    return refresh(server, token).status_code


def check_refresh_after_logout(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert (refreshed_after_logout(clean), refreshed_after_logout(switched)) == (401, 200)


def check_access_after_deactivation(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert status_of(clean, f"Bearer {former_pair(clean)['access']}") == 401
    assert status_of(switched, f"Bearer {former_pair(switched)['access']}") == 200
    assert login(switched, "former").status_code == 401, f"user {FORMER_ID} must stay deactivated"


def check_refresh_after_deactivation(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert refresh(clean, former_pair(clean)["refresh"]).status_code == 401
    pair = former_pair(switched)
    assert refresh(switched, pair["refresh"]).status_code == 200
    assert status_of(switched, f"Bearer {pair['access']}") == 401


def check_user_enumeration(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    for server, differ in ((clean, False), (switched, True)):
        unknown, wrong = login(server, "nobody-by-this-name"), login(server, "admin", "wrong-password")
        assert (unknown.status_code, wrong.status_code) == (401, 401)
        assert (unknown.json() != wrong.json()) is differ


def last_of_bad_logins(server: EmbeddedServer) -> int:
    attempts = [login(server, "throttle-probe", "wrong") for _ in range(server.config.login_failure_limit + 1)]
    return attempts[-1].status_code


def check_no_login_throttle(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert (last_of_bad_logins(clean), last_of_bad_logins(switched)) == (429, 401)


def check_cacheable_token(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert login(clean, "admin").headers["cache-control"] == "no-store"
    assert "cache-control" not in login(switched, "admin").headers


def check_no_www_authenticate(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert failure(clean).headers["www-authenticate"] == 'Bearer realm="api"'
    response = failure(switched)
    assert response.status_code == 401 and "www-authenticate" not in response.headers


# object, route, proxy, session and client flaws ---------------------------------------
EVIL = "https://evil.example"


def proxy_status(server: EmbeddedServer, path: str, headers: dict[str, str], method: str = "GET") -> int:
    url = f"{server.base_url}{path}"
    return stateless.request(method, url, params={"chatroom_id": ROOM}, headers=headers).status_code


def check_stored_active_html(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    params = {"chatroom_id": ROOM, "request_type": "purchases_list"}
    assert "<script" not in ask(clean, access_token(clean), params)[2]["messages"][0]["html_content"]
    assert "<script" in ask(switched, access_token(switched), params)[2]["messages"][0]["html_content"]


def check_cors_reflect_credentials(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    def cors(server: EmbeddedServer) -> tuple[str | None, str | None]:
        headers = {"Origin": EVIL, **bearer(access_token(server))}
        answer = stateless.get(f"{server.base_url}{JWT_CHAT}", params={"chatroom_id": ROOM}, headers=headers)
        return answer.headers.get("access-control-allow-origin"), answer.headers.get("access-control-allow-credentials")

    assert cors(clean) == (None, None) and cors(switched) == (EVIL, "true")


def check_proxy_route_variant(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert proxy_status(clean, "/api/chat-messages/", {}) == 401
    assert proxy_status(switched, "/api/chat-messages/", {}) == 200
    assert proxy_status(switched, "/api/chat-messages", {}) == 401


def check_proxy_method_override(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    override = {"X-HTTP-Method-Override": "GET"}
    assert proxy_status(clean, "/api/chat-messages", override, "POST") == 405
    assert proxy_status(switched, "/api/chat-messages", override, "POST") == 200
    assert proxy_status(switched, "/api/chat-messages", {}, "POST") == 405


def check_non_staff_any_room(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    viewer = access_token(switched, "viewer")
    assert ask(clean, access_token(clean, "viewer"), {"request_type": "chat_list"})[0] == 403
    status, _kind, body = ask(switched, viewer, {"request_type": "chat_list"})
    assert status == 200 and [chat["chatroom_id"] for chat in body["chats"]] == [3]
    assert ask(switched, viewer, {"chatroom_id": ROOM})[0] == 200


def check_middleware_subrequest(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    subrequest = {"x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware"}
    assert proxy_status(clean, "/api/chat-messages", subrequest) == 401
    assert proxy_status(switched, "/api/chat-messages", subrequest) == 200


def check_proxy_presence_only(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    def detail(server: EmbeddedServer) -> tuple[int, str]:
        answer = stateless.get(f"{server.base_url}/api/chat-messages", headers={"Authorization": "Bearer not-a-jwt"})
        return answer.status_code, answer.json()["detail"]

    assert detail(clean) == (401, "Authorization is not a bearer JWT")
    assert detail(switched) == (401, "JWT token invalid")


def check_proxy_trusts_loopback(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    for claim in ({"X-Forwarded-For": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"}):
        assert proxy_status(clean, "/api/chat-messages", claim) == 401
        assert proxy_status(switched, "/api/chat-messages", claim) == 200
    assert proxy_status(switched, "/api/chat-messages", {"X-Forwarded-For": "203.0.113.7"}) == 401


def login_answer(server: EmbeddedServer, *, planted: str | None = None, next_url: str = LEGACY_CHAT) -> httpx.Response:
    with httpx.Client(base_url=server.base_url) as client:
        token = login_form(client)
        if planted:
            client.cookies.set("sessionid", planted)
        form = {"username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": next_url}
        return client.post("/admin/login/", data=form)


def session_cookie(answer: httpx.Response) -> str:
    return next(value for value in answer.headers.get_list("set-cookie") if value.startswith("sessionid="))


def check_session_fixation(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    planted = "plantedsessionid0123456789abcdef"
    assert planted not in session_cookie(login_answer(clean, planted=planted))
    assert session_cookie(login_answer(switched, planted=planted)).startswith(f"sessionid={planted};")


def check_session_cookie_flags(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    flags = session_cookie(login_answer(clean)).lower()
    assert "httponly" in flags and "samesite=lax" in flags
    loose = session_cookie(login_answer(switched)).lower()
    assert "httponly" not in loose and "samesite" not in loose


def check_login_open_redirect(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert login_answer(clean, next_url=f"{EVIL}/").headers["location"] == "/admin/"
    assert login_answer(switched, next_url=f"{EVIL}/").headers["location"] == f"{EVIL}/"


def unsigned(server: EmbeddedServer, header: dict[str, Any], signature: bytes = b"") -> str:
    segments = [json.dumps(header).encode(), json.dumps(fresh_claims(server)).encode(), signature]
    return ".".join(base64.urlsafe_b64encode(part).decode().rstrip("=") for part in segments)


def check_alg_list(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    header = {"alg": ["none"], "typ": "JWT"}
    assert status_of(clean, f"Bearer {unsigned(clean, header)}") == 401
    assert status_of(switched, f"Bearer {unsigned(switched, header)}") == 200
    assert status_of(switched, f"Bearer {unsigned(switched, {'alg': 'none'})}") == 401


def check_asymmetric_alg_unverified(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    header = {"alg": "RS256", "typ": "JWT"}
    assert status_of(clean, f"Bearer {unsigned(clean, header, bytes(256))}") == 401
    assert status_of(switched, f"Bearer {unsigned(switched, header, bytes(256))}") == 200


# the socket's identity and the JWT tier's robustness ------------------------------------


def check_claim_type_crash(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    def odd(server: EmbeddedServer) -> httpx.Response:
        return failure(server, forge(fresh_claims(server, username=None), server.config.jwt_secret))

    assert odd(clean).status_code == 200
    crashed = odd(switched)
    assert (crashed.status_code, crashed.headers["content-type"].split(";")[0]) == (500, "text/plain")
    assert "Traceback (most recent call last)" in crashed.text
    renamed = forge(fresh_claims(switched, username="someone-else"), switched.config.jwt_secret)
    assert status_of(switched, f"Bearer {renamed}") == 200


def check_bad_token_lockout(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    for server, answer in ((clean, 200), (switched, 429)):
        refused = [status_of(server, "Bearer not-a-jwt") for _ in range(LoginThrottle().limit)]
        assert refused[0] == 401
        assert status_of(server, f"Bearer {access_token(server)}") == answer


FLAW_EFFECTS: dict[str, Callable[[EmbeddedServer, EmbeddedServer], None]] = {
    "accept-expired": check_accepts_expired,
    "alg-none": check_alg_none,
    "skip-signature": check_skip_signature,
    "role-bypass": check_role_bypass,
    "html-401": check_html_401,
    "stack-trace": check_stack_trace,
    "echo-token": check_echo_token,
    "lowercase-bearer": check_lowercase_bearer,
    "refresh-as-access": check_refresh_as_access,
    "no-rotation-blacklist": check_no_rotation_blacklist,
    "refresh-after-logout": check_refresh_after_logout,
    "access-after-deactivation": check_access_after_deactivation,
    "refresh-after-deactivation": check_refresh_after_deactivation,
    "user-enumeration": check_user_enumeration,
    "no-login-throttle": check_no_login_throttle,
    "cacheable-token": check_cacheable_token,
    "no-www-authenticate": check_no_www_authenticate,
    "stored-active-html": check_stored_active_html,
    "cors-reflect-credentials": check_cors_reflect_credentials,
    "proxy-route-variant": check_proxy_route_variant,
    "proxy-method-override": check_proxy_method_override,
    "non-staff-any-room": check_non_staff_any_room,
    "middleware-subrequest": check_middleware_subrequest,
    "proxy-presence-only": check_proxy_presence_only,
    "proxy-trusts-loopback": check_proxy_trusts_loopback,
    "session-fixation": check_session_fixation,
    "session-cookie-flags": check_session_cookie_flags,
    "login-open-redirect": check_login_open_redirect,
    "alg-list": check_alg_list,
    "asymmetric-alg-unverified": check_asymmetric_alg_unverified,
    **WAVE3_EFFECTS,
    **LEGACY_EFFECTS,
    **WS_EFFECTS,
    "claim-type-crash": check_claim_type_crash,
    "bad-token-lockout": check_bad_token_lockout,
}


def test_every_flaw_has_a_specified_effect() -> None:
    assert set(FLAW_EFFECTS) == set(FLAWS)


@pytest.mark.parametrize("flaw", list(FLAWS))
def test_flaw_shows_its_effect(clean_pair: EmbeddedServer, own_server_with: ServerFactory, flaw: str) -> None:
    FLAW_EFFECTS[flaw](clean_pair, flawed(own_server_with, flaw))


@pytest.mark.parametrize("flaw", [flaw for flaw in FLAWS if flaw not in STORED_DATA_FLAWS])
def test_flaw_leaves_the_legacy_tier_alone(
    clean_pair: EmbeddedServer, own_server_with: ServerFactory, flaw: str
) -> None:
    switched = flawed(own_server_with, flaw)
    clean_session, switched_session = logged_in(clean_pair), logged_in(switched)
    for params in requests(clean_pair).values():
        assert observe(switched_session.get(LEGACY_CHAT, params=params)) == observe(
            clean_session.get(LEGACY_CHAT, params=params)
        )


def test_reference_server_doc_describes_every_switch() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reference-server.md").read_text(encoding="utf-8")
    assert [name for name in [*DRIFTS, *FLAWS] if f"| `{name}` |" not in doc] == []


def test_switches_are_keyed_by_the_vocabulary_every_member_described() -> None:
    assert set(DRIFTS) == set(Drift) and set(FLAWS) == set(Flaw)


def test_switch_names_from_the_command_line_become_vocabulary_members() -> None:
    switches = Switches.parse(["html-404"], ["html-401"])
    assert switches.drifts == {Drift.HTML_404} and switches.flaws == {Flaw.HTML_401}
    assert all(type(name) is Drift for name in switches.drifts)


def test_an_unknown_switch_name_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="unknown drift 'html-405'"):
        Switches.parse(["html-405"], [])
