"""Each drift and flaw makes the JWT tier wrong in exactly its one documented way, and in no other.

Every switched server is compared with a clean server of the same seed: a drifted answer must equal
the clean answer with exactly that drift's transformation applied; a flawed server must show its flaw
while the valid token still gets the clean answer and unrelated bad tokens are still refused. The
servers are this module's own, so that no other test's writes can make two of them differ.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from calendar import timegm
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from server_wire import (
    JWT_CHAT,
    LEGACY_CHAT,
    ServerFactory,
    access_token,
    forge,
    fresh_claims,
    logged_in,
    seeded_before,
    stateless,
    token_pair,
    without_noise,
    ws_connect,
    ws_path,
)
from token_wire import FORMER_ID, former_pair, login, logout, refresh
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.jwt_api import SLOW_DRIFT_SECONDS
from chatmigrate.server.switches import DRIFTS, FLAWS, Switches
from chatmigrate.vocab import Drift, Flaw

Observed = tuple[int, str, Any]
LIMIT = 5
ROOM = 5


def requests(server: EmbeddedServer) -> dict[str, dict[str, Any]]:
    """The requests every switch is judged on: each request type, and an unknown chatroom."""
    before = seeded_before(server)
    return {
        "recent_messages": {"chatroom_id": ROOM, "limit": LIMIT, "before": before},
        "purchases_list": {"chatroom_id": ROOM, "request_type": "purchases_list", "limit": LIMIT},
        "chat_list": {"request_type": "chat_list"},
        "unknown_chatroom": {"chatroom_id": 9999},
    }


def observe(response: httpx.Response) -> Observed:
    """Status, kind and content: JSON without noise, or the title of an HTML page."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.status_code, "json", without_noise(response.json())
    title = re.search(r"<title>(.*?)</title>", response.text)
    return response.status_code, "html", title.group(1) if title else response.text


def ask(server: EmbeddedServer, token: str, params: dict[str, Any]) -> Observed:
    return observe(
        stateless.get(f"{server.base_url}{JWT_CHAT}", params=params, headers={"Authorization": f"Bearer {token}"})
    )


# drifts ------------------------------------------------------------------------
Transform = Callable[[str, Observed], Observed]


def on_items(
    request_types: tuple[str, ...], change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> Transform:
    def transform(name: str, clean: Observed) -> Observed:
        status, kind, body = clean
        if name not in request_types:
            return clean
        return status, kind, {**body, "messages": change(body["messages"])}

    return transform


def epoch(iso: str) -> int:
    return timegm(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").timetuple())


def rename_message_key(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{("text" if key == "message" else key): value for key, value in item.items()} for item in items]


def purchases_key(name: str, clean: Observed) -> Observed:
    status, kind, body = clean
    if name != "purchases_list":
        return clean
    moved = {key: value for key, value in body.items() if key != "messages"}
    return status, kind, {**moved, "purchases": body["messages"]}


def one_fewer(name: str, clean: Observed) -> Observed:
    status, kind, body = clean
    if name not in ("recent_messages", "purchases_list"):
        return clean
    kept = body["messages"][: LIMIT - 1]
    has_more = body["has_more"] or len(body["messages"]) > len(kept)
    return status, kind, {**body, "messages": kept, "count": len(kept), "has_more": has_more}


def html_404(name: str, clean: Observed) -> Observed:
    return (404, "html", "Page not found | Django site admin") if name == "unknown_chatroom" else clean


def status_400(name: str, clean: Observed) -> Observed:
    return (400, *clean[1:]) if name == "unknown_chatroom" else clean


ROOM_QUERIES = ("recent_messages", "purchases_list")
DRIFT_TRANSFORMS: dict[str, Transform] = {
    "rename-field": on_items(("recent_messages",), rename_message_key),
    "timestamp-format": on_items(
        ROOM_QUERIES, lambda items: [{**i, "timestamp": epoch(i["timestamp"])} for i in items]
    ),
    "reverse-order": on_items(ROOM_QUERIES, lambda items: items[::-1]),
    "purchases-key": purchases_key,
    "string-ids": on_items(ROOM_QUERIES, lambda items: [{**i, "id": str(i["id"])} for i in items]),
    "limit-off-by-one": one_fewer,
    "html-404": html_404,
    "status-change": status_400,
    "slow-messages": lambda name, clean: clean,
}
TIMING_DRIFTS = frozenset({"slow-messages"})


def test_every_drift_has_a_specified_transformation() -> None:
    assert set(DRIFT_TRANSFORMS) == set(DRIFTS)


@pytest.mark.parametrize("drift", list(DRIFTS))
def test_drift_changes_exactly_its_one_thing(own_server_with: ServerFactory, drift: str) -> None:
    server = own_server_with()
    drifted = own_server_with(drifts=(drift,))
    clean_token, drifted_token = access_token(server), access_token(drifted)
    changed = []
    for name, params in requests(server).items():
        clean = ask(server, clean_token, params)
        expected = DRIFT_TRANSFORMS[drift](name, clean)
        assert ask(drifted, drifted_token, params) == expected, name
        changed.append(expected != clean)
    assert any(changed) or drift in TIMING_DRIFTS, "the drift shows no effect on any request"


def test_slow_messages_drift_delays_recent_messages_by_its_stated_time(own_server_with: ServerFactory) -> None:
    drifted = own_server_with(drifts=("slow-messages",))
    token = access_token(drifted)
    response = stateless.get(
        f"{drifted.base_url}{JWT_CHAT}",
        params=requests(drifted)["recent_messages"],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= SLOW_DRIFT_SECONDS


@pytest.mark.parametrize("drift", list(DRIFTS))
def test_drift_leaves_the_legacy_tier_alone(own_server_with: ServerFactory, drift: str) -> None:
    server = own_server_with()
    drifted = own_server_with(drifts=(drift,))
    clean_session, drifted_session = logged_in(server), logged_in(drifted)
    for params in requests(server).values():
        assert observe(drifted_session.get(LEGACY_CHAT, params=params)) == observe(
            clean_session.get(LEGACY_CHAT, params=params)
        )


# flaws --------------------------------------------------------------------------
def bad_tokens(server: EmbeddedServer) -> dict[str, str]:
    """One token per way of being refused, each valid for ``server`` in every other respect."""
    secret = server.config.jwt_secret
    past = int(time.time()) - 3600
    return {
        "expired": forge(fresh_claims(server, iat=past - 900, exp=past), secret),
        "bad-signature": forge(fresh_claims(server), "not-the-server-key-but-long-enough-for-hs256"),
        "alg-none": jwt.encode(fresh_claims(server), "", algorithm="none"),
        "malformed": "not-a-jwt",
        "refresh-as-access": token_pair(server)["refresh"],
        "unknown-user": forge(fresh_claims(server, user_id=424242), secret),
        "viewer": access_token(server, "viewer"),
    }


# The refusals a flaw is about; every other refusal must be unchanged.
RELATED_REFUSALS = {
    "accept-expired": {"expired"},
    "alg-none": {"alg-none"},
    "skip-signature": {"bad-signature"},
    "role-bypass": {"viewer"},
    "refresh-as-access": {"refresh-as-access"},
}


@pytest.fixture(scope="module")
def clean_pair(own_server_with: ServerFactory) -> EmbeddedServer:
    return own_server_with(ws_auth="jwt")


def flawed(pool: ServerFactory, flaw: str) -> EmbeddedServer:
    return pool(flaws=(flaw,), ws_auth="jwt")


def status_of(server: EmbeddedServer, header: str) -> int:
    response = stateless.get(
        f"{server.base_url}{JWT_CHAT}", params={"chatroom_id": ROOM}, headers={"Authorization": header}
    )
    return response.status_code


@pytest.mark.parametrize("flaw", list(FLAWS))
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


def failure(server: EmbeddedServer, token: str = "not-a-jwt") -> httpx.Response:
    return stateless.get(
        f"{server.base_url}{JWT_CHAT}", params={"chatroom_id": ROOM}, headers={"Authorization": f"Bearer {token}"}
    )


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


async def ws_first_event(server: EmbeddedServer, first_frame: str, origin: str | None = None) -> str:
    """'connected', 'close <code>' or 'handshake <status>'."""
    try:
        async with ws_connect(server, ws_path(1001, 1), origin) as socket:
            await socket.send(first_frame)
            try:
                return str(json.loads(await socket.recv())["type"])
            except ConnectionClosed as closed:
                return f"close {closed.rcvd.code if closed.rcvd else None}"
    except InvalidStatus as refused:
        return f"handshake {refused.response.status_code}"


def check_ws_missing_token(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    frame = json.dumps({"type": "auth"})
    assert asyncio.run(ws_first_event(clean, frame)) == "close 4400"
    assert asyncio.run(ws_first_event(switched, frame)) == "connected"
    assert asyncio.run(ws_first_event(switched, json.dumps({"type": "auth", "token": "x.y.z"}))) == "close 4401"
    assert (
        asyncio.run(ws_first_event(switched, json.dumps({"type": "auth", "token": access_token(switched)})))
        == "connected"
    )


def check_ws_no_origin_check(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    frame = json.dumps({"type": "auth", "token": access_token(switched)})
    assert asyncio.run(ws_first_event(clean, frame, origin="http://evil.example")) == "handshake 403"
    assert asyncio.run(ws_first_event(switched, frame, origin="http://evil.example")) == "connected"
    assert (
        asyncio.run(ws_first_event(switched, json.dumps({"type": "auth", "token": "x.y.z"}), origin="null"))
        == "close 4401"
    )


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


FLAW_EFFECTS: dict[str, Callable[[EmbeddedServer, EmbeddedServer], None]] = {
    "accept-expired": check_accepts_expired,
    "alg-none": check_alg_none,
    "skip-signature": check_skip_signature,
    "role-bypass": check_role_bypass,
    "html-401": check_html_401,
    "stack-trace": check_stack_trace,
    "echo-token": check_echo_token,
    "lowercase-bearer": check_lowercase_bearer,
    "ws-missing-token": check_ws_missing_token,
    "ws-no-origin-check": check_ws_no_origin_check,
    "refresh-as-access": check_refresh_as_access,
    "no-rotation-blacklist": check_no_rotation_blacklist,
    "refresh-after-logout": check_refresh_after_logout,
    "access-after-deactivation": check_access_after_deactivation,
    "refresh-after-deactivation": check_refresh_after_deactivation,
    "user-enumeration": check_user_enumeration,
    "no-login-throttle": check_no_login_throttle,
    "cacheable-token": check_cacheable_token,
    "no-www-authenticate": check_no_www_authenticate,
}


def test_every_flaw_has_a_specified_effect() -> None:
    assert set(FLAW_EFFECTS) == set(FLAWS)


@pytest.mark.parametrize("flaw", list(FLAWS))
def test_flaw_shows_its_effect(clean_pair: EmbeddedServer, own_server_with: ServerFactory, flaw: str) -> None:
    FLAW_EFFECTS[flaw](clean_pair, flawed(own_server_with, flaw))


@pytest.mark.parametrize("flaw", list(FLAWS))
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
