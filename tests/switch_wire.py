"""What the switch tests ask a reference server: the judged requests, the bad tokens, and the socket's first
answer. Shared by the drift and flaw tests and the flaw-effect tables."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import jwt
from server_wire import (
    JWT_CHAT,
    access_token,
    forge,
    fresh_claims,
    seeded_before,
    stateless,
    token_pair,
    without_noise,
    ws_connect,
    ws_path,
)
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chatmigrate.embedded import EmbeddedServer

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


def status_of(server: EmbeddedServer, header: str) -> int:
    response = stateless.get(
        f"{server.base_url}{JWT_CHAT}", params={"chatroom_id": ROOM}, headers={"Authorization": header}
    )
    return response.status_code


def failure(server: EmbeddedServer, token: str = "not-a-jwt") -> httpx.Response:
    return stateless.get(
        f"{server.base_url}{JWT_CHAT}", params={"chatroom_id": ROOM}, headers={"Authorization": f"Bearer {token}"}
    )


async def ws_first_event(
    server: EmbeddedServer, first_frame: str, origin: str | None = None, user_id: int = 1, path: str | None = None
) -> str:
    """'connected', 'close <code>' or 'handshake <status>'; ``path`` replaces the usual room and ``user_id``."""
    try:
        async with ws_connect(server, ws_path(1001, user_id) if path is None else path, origin) as socket:
            try:
                await socket.send(first_frame)
                return str(json.loads(await socket.recv())["type"])
            except ConnectionClosed as closed:
                return f"close {closed.rcvd.code if closed.rcvd else None}"
    except InvalidStatus as refused:
        return f"handshake {refused.response.status_code}"
