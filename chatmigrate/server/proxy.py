"""The Next.js-style proxy routes (``app/api/chat-*/route.ts``): check the token's shape, forward, relay.

They forward over real HTTP to the JWT tier of the same server, as the
production proxies do to Django, so proxy-tier audits see the real chain.
Flaws here model the proxy mistakes seen in the field: a presence-only check,
Next.js middleware skipped by ``x-middleware-subrequest`` (CVE-2025-29927), a
loopback ``X-Forwarded-For`` taken as an internal call, exact-path and
real-verb-only checks, and a public page routed by a path-override header
(``X-Original-URL``). The bypasses forward with the proxy's own service
credential, as proxies that inject one do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from chatmigrate.server.address import authority
from chatmigrate.server.context import ServerContext, context_of
from chatmigrate.server.responses import error
from chatmigrate.server.tokens import issue_access
from chatmigrate.vocab import Flaw

BACKEND_PATH = "/api/v1/admin/chat/"
FORWARDED_PARAMS = ("chatroom_id", "limit", "before")
SERVICE_USER_ID = 1
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_BEARER_SHAPE = re.compile(r"[A-Za-z]+[ \t]+[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_FORWARDED_FOR = re.compile(r'for="?\[?([^;,"\]]+)', re.IGNORECASE)


def _backend_url(request: Request) -> str:
    """The JWT tier on the socket this request came in on: never the client's ``Host``, which would let
    a client send the Authorization header it forwards to a host of its choosing."""
    host, port = request.scope["server"]
    return f"http://{authority(host, port)}{BACKEND_PATH}"


def _service_credential(ctx: ServerContext) -> bytes:
    user = ctx.store.user_by_id(SERVICE_USER_ID)
    assert user is not None
    return f"Bearer {issue_access(user, ctx.config)}".encode()


def _trusted_internal(request: Request, ctx: ServerContext, exact_route: bool) -> bool:
    """The flawed shortcuts by which a request skips the proxy's check; none exists on a clean proxy."""
    flaw = ctx.config.switches.flaw
    headers = request.headers
    if flaw(Flaw.MIDDLEWARE_SUBREQUEST) and "middleware" in headers.get("x-middleware-subrequest", ""):
        return True
    if flaw(Flaw.PROXY_TRUSTS_LOOPBACK):
        claimed = [headers.get("x-forwarded-for", "").split(",")[0].strip()]
        claimed += _FORWARDED_FOR.findall(headers.get("forwarded", ""))
        if any(address in LOOPBACK for address in claimed):
            return True
    if flaw(Flaw.PROXY_ROUTE_VARIANT) and not exact_route:
        return True
    return flaw(Flaw.PROXY_METHOD_OVERRIDE) and request.method not in ("GET", "HEAD")


async def _forward(
    request: Request, request_type: str, exact_route: bool = True, query: Mapping[str, str] | None = None
) -> Response:
    """Forward to the backend; ``query`` replaces the request's own when a path-override header chose the route."""
    ctx = context_of(request)
    values = [value for name, value in request.headers.raw if name == b"authorization"]
    if query is not None or _trusted_internal(request, ctx, exact_route):
        values = [_service_credential(ctx)]
    elif request.method not in ("GET", "HEAD"):
        return _not_allowed(request)
    if not values:
        return error(401, "Authentication failed", "No authorization header")
    if len(values) > 1:
        return error(401, "Authentication failed", "Multiple Authorization headers")
    presence_only = ctx.config.switches.flaw(Flaw.PROXY_PRESENCE_ONLY)
    if not presence_only and not _BEARER_SHAPE.fullmatch(values[0].decode("latin-1")):
        return error(401, "Authentication failed", "Authorization is not a bearer JWT")
    given = request.query_params if query is None else query
    params = {name: given[name] for name in FORWARDED_PARAMS if name in given}
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


def _not_allowed(request: Request) -> Response:
    """A route is GET only; every method is routed here just so that the method-override flaw can exist."""
    detail = f"{request.method} {request.url.path}: Method not allowed"
    return error(405, "Method not allowed", detail, {"Allow": "GET, HEAD"})


def _override(request: Request) -> str:
    return request.headers.get("x-http-method-override", "").upper()


def _handler(request_type: str, exact_route: bool) -> Route:
    async def endpoint(request: Request) -> Response:
        if request.method not in ("GET", "HEAD") and (request.method != "POST" or _override(request) != "GET"):
            return _not_allowed(request)
        return await _forward(request, request_type, exact_route)

    path = PROXY_ROUTES[request_type]
    return Route(path if exact_route else f"{path}/", endpoint, methods=EVERY_METHOD)


OVERRIDE_HEADERS = ("x-original-url", "x-rewrite-url")
HOME_PAGE = "<!doctype html><title>Chat admin</title><div id=root></div>"


async def home(request: Request) -> Response:
    """The app's public page. The proxy-path-override flaw routes it by a path-override header (as IIS and some
    front ends do) after the auth check passed on the public path: the header's route is served."""
    if context_of(request).config.switches.flaw(Flaw.PROXY_PATH_OVERRIDE):
        headers = request.headers
        named = [headers[name] for name in OVERRIDE_HEADERS if name in headers]
        if "x-forwarded-prefix" in headers:
            prefixed = headers["x-forwarded-prefix"].rstrip("/") + request.url.path.rstrip("/")
            named.append(f"{prefixed}?{request.url.query}")
        for value in named:
            try:
                parts = urlsplit(value)
            except ValueError:
                continue
            request_type = next((kind for kind, path in PROXY_ROUTES.items() if path == parts.path), None)
            if request_type is not None:
                return await _forward(request, request_type, query=dict(parse_qsl(parts.query)))
    return HTMLResponse(HOME_PAGE)


EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
PROXY_ROUTES = {
    "recent_messages": "/api/chat-messages",
    "purchases_list": "/api/chat-purchases",
    "chat_list": "/api/chat-users",
}
routes = [
    *(_handler(request_type, exact) for request_type in PROXY_ROUTES for exact in (True, False)),
    Route("/", home, methods=["GET", "HEAD"]),
]
