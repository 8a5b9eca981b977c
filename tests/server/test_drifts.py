"""Each drift makes the JWT tier wrong in exactly its one documented way, and in no other: a drifted answer
equals the clean answer with exactly that drift's transformation applied. The servers are this module's own,
so that no other test's writes can make two of them differ."""

from __future__ import annotations

from calendar import timegm
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from server_wire import JWT_CHAT, LEGACY_CHAT, ServerFactory, access_token, logged_in, stateless
from switch_wire import LIMIT, Observed, ask, observe, requests

from chatmigrate.server.jwt_api import SLOW_DRIFT_SECONDS
from chatmigrate.server.switches import DRIFTS

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
