"""A chat socket over time, on the wire: authenticate, change the world, send one message, say what became of it.

Shared by the socket's own tests and the flaw-effect table of tests/server/test_switches.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Iterator

from server_wire import access_token, fresh_claims, receive, token_pair, ws_connect, ws_path
from server_wire import forge as sign
from token_wire import FORMER_ID, login, logout, set_active
from websockets.exceptions import ConnectionClosed

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.tokens import LEEWAY_SECONDS

LIFETIME = 3
"""Whole seconds a short-lived token stays valid at least, leeway included: time enough to open and authenticate
its socket on a loaded machine before it expires."""


def auth(token: str) -> str:
    return json.dumps({"type": "auth", "token": token})


async def _outcome(
    server: EmbeddedServer, path: str, first: str, change: Callable[[], None], message: dict[str, object]
) -> str:
    async with ws_connect(server, path) as socket:
        await socket.send(first)
        assert (await receive(socket))["type"] == "connected"
        change()
        await socket.send(json.dumps({"type": "message", "message": "over time", **message}))
        try:
            while True:
                event = await receive(socket)
                if event["type"] == "ack":
                    return f"ack sender {event['message']['sender_id']} room {event['message']['chatroom_id']}"
                if event["type"] == "error":
                    return "error"
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return f"close {closed.rcvd.code}"


def message_after(
    server: EmbeddedServer,
    change: Callable[[], None] = lambda: None,
    *,
    token: str | None = None,
    as_user: int = 1,
    named: dict[str, object] | None = None,
) -> str:
    """'ack sender S room R', 'error' or 'close CODE': what answered a message (with the ``named`` fields) sent
    after ``change`` on the socket of ``as_user`` in the first room."""
    first = auth(token or access_token(server))
    return asyncio.run(_outcome(server, ws_path(1001, as_user), first, change, named or {}))


def short_lived_token(server: EmbeddedServer) -> tuple[str, float]:
    """The admin's genuine token, signed with the server's key, and the moment it expires (leeway included):
    ``LIFETIME`` to ``LIFETIME + 1`` seconds from now."""
    exp = int(time.time()) + 1 + LIFETIME - LEEWAY_SECONDS
    return sign(fresh_claims(server, exp=exp, iat=exp - 300), server.config.jwt_secret), exp + LEEWAY_SECONDS


def after_expiry(server: EmbeddedServer) -> str:
    """The message goes half a second after the token expired, however long the socket took to open."""
    token, expires = short_lived_token(server)
    return message_after(server, lambda: time.sleep(max(0.0, expires - time.time()) + 0.5), token=token)


def after_logout(server: EmbeddedServer) -> str:
    pair = token_pair(server)
    return message_after(server, lambda: logout(server, pair["refresh"]).raise_for_status(), token=pair["access"])


def after_deactivation(server: EmbeddedServer) -> str:
    """``former`` reactivated to open its socket, then deactivated again (as the seed left it) before it speaks."""
    assert set_active(server, FORMER_ID, True).status_code == 200
    try:
        answer = login(server, "former")
        answer.raise_for_status()
        return message_after(
            server,
            lambda: set_active(server, FORMER_ID, False).raise_for_status(),
            token=answer.json()["access"],
            as_user=FORMER_ID,
        )
    finally:
        assert set_active(server, FORMER_ID, False).status_code == 200


@contextlib.contextmanager
def twins(clean: EmbeddedServer, switched: EmbeddedServer) -> Iterator[tuple[EmbeddedServer, EmbeddedServer]]:
    """Fresh servers with the settings of ``clean`` and ``switched``: a message that goes out is stored, and the
    servers the other flaw checks compare must keep their seeded data."""
    with (
        EmbeddedServer(dataclasses.replace(clean.config, db_path=None)) as clean_twin,
        EmbeddedServer(dataclasses.replace(switched.config, db_path=None)) as switched_twin,
    ):
        yield clean_twin, switched_twin


def contrast(
    clean: EmbeddedServer, switched: EmbeddedServer, attempt: Callable[[EmbeddedServer], str]
) -> tuple[str, str]:
    """What ``attempt`` gives on twins of the clean and of the switched server."""
    with twins(clean, switched) as (clean_twin, switched_twin):
        return attempt(clean_twin), attempt(switched_twin)


def check_ws_expired_token_kept(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert contrast(clean, switched, after_expiry) == ("close 4401", "ack sender 1 room 1")


def check_ws_logout_kept(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert contrast(clean, switched, after_logout) == ("close 4401", "ack sender 1 room 1")


def check_ws_deactivated_user_kept(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert contrast(clean, switched, after_deactivation) == ("close 4403", f"ack sender {FORMER_ID} room 1")


def check_ws_sender_from_message(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    def as_user_2(server: EmbeddedServer) -> str:
        return message_after(server, named={"user_id": 2, "sender_id": 2})

    assert contrast(clean, switched, as_user_2) == ("ack sender 1 room 1", "ack sender 2 room 1")


def check_ws_room_from_message(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    def into_room_2(server: EmbeddedServer) -> str:
        return message_after(server, named={"chatroom_id": 2})

    assert contrast(clean, switched, into_room_2) == ("ack sender 1 room 1", "ack sender 1 room 2")
