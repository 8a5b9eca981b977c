"""Client-side helpers for the token lifecycle of the reference server: refresh, logout, (de)activation, logins.

Everything goes over loopback HTTP, as a client of a simplejwt deployment would do it.
"""

from __future__ import annotations

import httpx
from server_wire import PASSWORD, access_token, bearer, stateless

from chatmigrate.embedded import EmbeddedServer

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
BLACKLIST = "/api/v1/auth/token/blacklist/"
FORMER_ID = 4
"""The seed's deactivated staff user, ``former``."""


def post(server: EmbeddedServer, path: str, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return stateless.post(f"{server.base_url}{path}", json=body, headers=headers)


def refresh(server: EmbeddedServer, token: str) -> httpx.Response:
    return post(server, REFRESH, {"refresh": token})


def logout(server: EmbeddedServer, token: str) -> httpx.Response:
    return post(server, BLACKLIST, {"refresh": token})


def login(server: EmbeddedServer, username: str, password: str = PASSWORD) -> httpx.Response:
    return post(server, TOKEN, {"username": username, "password": password})


def set_active(server: EmbeddedServer, user_id: int, active: bool, as_user: str = "admin") -> httpx.Response:
    return stateless.patch(
        f"{server.base_url}/api/v1/admin/users/{user_id}/",
        json={"is_active": active},
        headers=bearer(access_token(server, as_user)),
    )


def former_pair(server: EmbeddedServer) -> dict[str, str]:
    """A token pair of ``former``, who is deactivated again once it has it (as the seed left it)."""
    assert set_active(server, FORMER_ID, True).status_code == 200
    try:
        response = login(server, "former")
    finally:
        assert set_active(server, FORMER_ID, False).status_code == 200
    assert response.status_code == 200, response.text
    pair: dict[str, str] = response.json()
    return pair
