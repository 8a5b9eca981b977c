"""The JWT tier's token endpoints, as djangorestframework-simplejwt serves them.

Obtain a pair (``TokenObtainPairView``), refresh with rotation and blacklisting
(``ROTATE_REFRESH_TOKENS`` and ``BLACKLIST_AFTER_ROTATION`` on), and logout by
blacklisting a refresh token (``TokenBlacklistView``). Every answer carries
``Cache-Control: no-store`` (RFC 6749 §5.1): a token must not sit in a cache.
"""

from __future__ import annotations

from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatmigrate.server.context import ServerContext, context_of
from chatmigrate.server.db import User, check_password_in_thread, hash_password
from chatmigrate.server.jwt_api import auth_error
from chatmigrate.server.payloads import is_text, json_object
from chatmigrate.server.responses import error
from chatmigrate.server.tokens import AuthFailure, Principal, authenticate, issue_access, issue_refresh
from chatmigrate.vocab import Flaw

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
NO_ACCOUNT = "No active account found with the given credentials"
_UNKNOWN_USER_HASH = hash_password("no user has this password", salt="unknown-user")
"""Checked against for an unknown username, as Django's ModelBackend does, so time tells as little as the answer."""


def _token_answer(ctx: ServerContext, response: Response) -> Response:
    if not ctx.config.switches.flaw(Flaw.CACHEABLE_TOKEN):
        response.headers.update(NO_STORE)
    return response


async def _fields(request: Request, *names: str) -> dict[str, Any] | None:
    body = json_object(await request.body())
    if body is None or not all(is_text(body.get(name)) for name in names):
        return None
    return body


def _bad_request(ctx: ServerContext, *names: str) -> Response:
    wanted = " and ".join(f"'{name}'" for name in names)
    return _token_answer(ctx, error(400, "Invalid request", f"JSON body with string {wanted} required"))


def _pair(ctx: ServerContext, user: User) -> Response:
    pair = {"access": issue_access(user, ctx.config), "refresh": issue_refresh(user, ctx.config)}
    refresh_jti, access_jti = (_jti(pair[kind]) for kind in ("refresh", "access"))
    ctx.rooms.pair(refresh_jti, access_jti)
    return _token_answer(ctx, JSONResponse(pair))


def _jti(token: str) -> str:
    """The id of a token this server has just signed."""
    jti: str = jwt.decode(token, options={"verify_signature": False})["jti"]
    return jti


async def obtain_token(request: Request) -> Response:
    ctx = context_of(request)
    body = await _fields(request, "username", "password")
    if body is None:
        return _bad_request(ctx, "username", "password")
    username, flaws = body["username"], ctx.config.switches
    wait = None if flaws.flaw(Flaw.NO_LOGIN_THROTTLE) else ctx.throttle.retry_after(username)
    if wait is not None:
        detail = f"Too many failed logins for this username; try again in {wait} s"
        return _token_answer(ctx, error(429, "Too many requests", detail, {"Retry-After": str(wait)}))
    user = ctx.store.user_by_username(username)
    if user is None and flaws.flaw(Flaw.USER_ENUMERATION):
        ctx.throttle.failed(username)
        return _token_answer(ctx, auth_error(ctx, AuthFailure("No user with this username")))
    valid = await check_password_in_thread(body["password"], user.password_hash if user else _UNKNOWN_USER_HASH)
    if user is None or not valid or not user.is_active:
        ctx.throttle.failed(username)
        return _token_answer(ctx, auth_error(ctx, AuthFailure(NO_ACCOUNT)))
    ctx.throttle.succeeded(username)
    return _pair(ctx, user)


async def refresh_token(request: Request) -> Response:
    ctx, spent = await _spend(request, Flaw.NO_ROTATION_BLACKLIST)
    return _pair(ctx, spent.user) if isinstance(spent, Principal) else spent


async def blacklist_token(request: Request) -> Response:
    """Logout: the refresh token can no longer be refreshed. Access tokens already issued stay valid until
    their ``exp``, exactly as with simplejwt: that gap is what the audit's lifecycle cases report. The chat
    sockets opened with the pair's access token end, though."""
    ctx, spent = await _spend(request, Flaw.REFRESH_AFTER_LOGOUT)
    if not isinstance(spent, Principal):
        return spent
    ctx.rooms.end_login(spent.claims["jti"])
    return _token_answer(ctx, JSONResponse({}))


async def _spend(request: Request, keep: Flaw) -> tuple[ServerContext, Principal | Response]:
    """Verify the presented refresh token and blacklist it (unless the ``keep`` flaw is on): refresh (rotation)
    and logout both use it up, in one step, so two concurrent requests with one token cannot both pass."""
    ctx = context_of(request)
    body = await _fields(request, "refresh")
    if body is None:
        return ctx, _bad_request(ctx, "refresh")
    try:
        principal = authenticate(body["refresh"], ctx.store, ctx.config, refresh=True)
        if not ctx.config.switches.flaw(keep) and not _blacklist(ctx, principal):
            raise AuthFailure("Token is blacklisted", token=body["refresh"])
    except AuthFailure as failure:
        return ctx, _token_answer(ctx, auth_error(ctx, failure))
    return ctx, principal


def _blacklist(ctx: ServerContext, principal: Principal) -> bool:
    """True when this call blacklisted the token, False when it already was."""
    return ctx.store.blacklist(principal.claims["jti"], float(principal.claims["exp"]))


routes = [
    Route("/api/v1/auth/token/", obtain_token, methods=["POST"]),
    Route("/api/v1/auth/token/refresh/", refresh_token, methods=["POST"]),
    Route("/api/v1/auth/token/blacklist/", blacklist_token, methods=["POST"]),
]
