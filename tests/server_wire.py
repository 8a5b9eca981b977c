"""Client-side helpers for the reference-server tests: log in, mint tokens, talk WebSocket, drop noise.

Everything goes over loopback HTTP or WebSocket; nothing here reaches into the server's memory.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import jwt
from websockets.asyncio.client import ClientConnection, connect

from chatmigrate.embedded import EmbeddedServer

ServerFactory = Callable[..., EmbeddedServer]
PASSWORD = "seed-Passw0rd"
NOISE_FIELDS = ("generated_at", "request_id")
LEGACY_CHAT = "/admin/chat/"
JWT_CHAT = "/api/v1/admin/chat/"
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# One pool for the stateless helpers (JWT endpoints set no cookies): a new httpx.Client costs tens of ms.
stateless = httpx.Client(timeout=30)


def seeded_before(server: EmbeddedServer) -> int:
    """A ``before`` value that keeps answers to seeded messages, whatever other tests have sent since."""
    return server.config.players * server.config.messages_per_room + 1


def token_pair(server: EmbeddedServer, username: str = "admin", password: str = PASSWORD) -> dict[str, str]:
    response = stateless.post(
        f"{server.base_url}/api/v1/auth/token/", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    pair: dict[str, str] = response.json()
    return pair


def access_token(server: EmbeddedServer, username: str = "admin") -> str:
    return token_pair(server, username)["access"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def forge(claims: Mapping[str, Any], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(dict(claims), key, algorithm=algorithm)


def fresh_claims(server: EmbeddedServer, /, **changes: Any) -> dict[str, Any]:
    """The claims of a valid admin access token issued now, with ``changes`` applied."""
    claims = claims_of(access_token(server))
    now = int(time.time())
    claims.update(iat=now, exp=now + 600)
    claims.update(changes)
    return claims


def jwt_get(server: EmbeddedServer, token: str | None, /, **params: Any) -> httpx.Response:
    headers = bearer(token) if token is not None else {}
    return stateless.get(f"{server.base_url}{JWT_CHAT}", params=params, headers=headers)


def login_form(client: httpx.Client, path: str = "/admin/login/") -> str:
    """GET the login page; returns the masked CSRF token of its hidden field (the cookie lands in ``client``)."""
    page = client.get(path)
    match = _CSRF_FIELD.search(page.text)
    assert match is not None, page.text
    return match.group(1)


def logged_in(
    server: EmbeddedServer, username: str = "admin", path: str = "/admin/login/", password: str = PASSWORD
) -> httpx.Client:
    """A client holding a session cookie for ``username``, logged in through the real form with CSRF."""
    client = httpx.Client(base_url=server.base_url)
    token = login_form(client, path)
    response = client.post(
        path, data={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": LEGACY_CHAT}
    )
    assert response.status_code == 302, response.text
    return client


def csrf_post(client: httpx.Client, path: str, data: Mapping[str, str]) -> httpx.Response:
    """POST a form with the CSRF token Django's templates would put in it."""
    return client.post(path, data={**data, "csrfmiddlewaretoken": login_form(client)})


def without_noise(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in NOISE_FIELDS}


def ws_path(player_id: int = 1001, user_id: int | None = 1) -> str:
    query = f"?user_id={user_id}" if user_id is not None else ""
    return f"/ws/cschat/P{player_id}Chat/{query}"


def ws_connect(server: EmbeddedServer, path: str, origin: str | None = None) -> Any:
    """``async with ws_connect(...) as socket``; ``origin`` None sends no Origin header, like a non-browser."""
    return connect(
        f"{server.ws_url}{path}",
        origin=origin,  # type: ignore[arg-type]
        proxy=None,
        open_timeout=10,
        close_timeout=2,
        max_queue=None,
    )


async def receive(socket: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    """Next JSON event; the timeout only guards against a hang, it is not what the test asserts."""
    frame = await asyncio.wait_for(socket.recv(), timeout)
    event: dict[str, Any] = json.loads(frame)
    return event


async def joined(socket: ClientConnection) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two events every member gets first: ``connected`` and ``live_status``."""
    return await receive(socket), await receive(socket)
