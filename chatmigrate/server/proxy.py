"""The Next.js-style proxy routes (``app/api/chat-*/route.ts``): check a header exists, forward, relay.

They forward over real HTTP to the JWT tier of the same server, as the
production proxies do to Django, so proxy-tier audits see the real chain.
"""

from __future__ import annotations

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatmigrate.server.address import authority
from chatmigrate.server.context import context_of
from chatmigrate.server.responses import error

BACKEND_PATH = "/api/v1/admin/chat/"
FORWARDED_PARAMS = ("chatroom_id", "limit", "before")


def _backend_url(request: Request) -> str:
    """The JWT tier on the socket this request came in on: never the client's ``Host``, which would let
    a client send the Authorization header it forwards to a host of its choosing."""
    host, port = request.scope["server"]
    return f"http://{authority(host, port)}{BACKEND_PATH}"


async def _forward(request: Request, request_type: str) -> Response:
    ctx = context_of(request)
    values = [value for name, value in request.headers.raw if name == b"authorization"]
    if not values:
        return error(401, "Authentication failed", "No authorization header")
    if len(values) > 1:
        return error(401, "Authentication failed", "Multiple Authorization headers")
    params = {name: request.query_params[name] for name in FORWARDED_PARAMS if name in request.query_params}
    params["request_type"] = request_type
    assert ctx.http is not None
    try:
        upstream = await ctx.http.get(_backend_url(request), params=params, headers={b"Authorization": values[0]})
    except httpx.HTTPError:
        return error(502, "Bad gateway", "Backend unreachable")
    if upstream.status_code == 401:
        return error(401, "Authentication failed", "JWT token invalid")
    try:
        payload = upstream.json()
    except ValueError:
        return error(502, "Bad gateway", "Backend returned non-JSON")
    return JSONResponse(payload, status_code=upstream.status_code)


async def chat_messages(request: Request) -> Response:
    return await _forward(request, "recent_messages")


async def chat_purchases(request: Request) -> Response:
    return await _forward(request, "purchases_list")


async def chat_users(request: Request) -> Response:
    return await _forward(request, "chat_list")


routes = [
    Route("/api/chat-messages", chat_messages, methods=["GET"]),
    Route("/api/chat-purchases", chat_purchases, methods=["GET"]),
    Route("/api/chat-users", chat_users, methods=["GET"]),
]
