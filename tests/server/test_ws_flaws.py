"""The url-mode side of two socket flaws: which user ids they let in, and which they still refuse."""

from __future__ import annotations

import asyncio

import pytest
from server_wire import ServerFactory
from switch_wire import ws_first_event
from token_wire import FORMER_ID
from ws_flaw_effects import socket_event

from chatmigrate.vocab import Flaw


@pytest.mark.parametrize(
    ("user_id", "answer"), [(3, "connected"), (FORMER_ID, "handshake 403"), (424242, "handshake 403")]
)
def test_in_url_mode_the_non_staff_socket_lets_in_active_users_only(
    own_server_with: ServerFactory, user_id: int, answer: str
) -> None:
    switched = own_server_with(flaws=(Flaw.WS_NON_STAFF,))
    assert asyncio.run(ws_first_event(switched, "{}", user_id=user_id)) == answer


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ("", "connected"),
        ("?user_id=1%20OR%201%3D1", "connected"),
        ("?user_id=-1", "connected"),
        ("?user_id=3&user_id=1", "handshake 403"),
        ("?user_id=3", "handshake 403"),
    ],
)
def test_in_url_mode_the_default_user_flaw_admits_a_missing_or_non_numeric_user_id_only(
    own_server_with: ServerFactory, query: str, answer: str
) -> None:
    switched = own_server_with(flaws=(Flaw.WS_DEFAULT_USER,))
    assert socket_event(switched, None, f"/ws/cschat/P1001Chat/{query}") == answer
