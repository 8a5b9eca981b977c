"""The JWT tier: the chat admin API and the send endpoint; JSON always (token endpoints: ``token_api``).

Auth flaws change how failures are *rendered* here (HTML page, traceback, echoed
token); flaws in verification itself live in ``tokens``.
"""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from chatmigrate.server import pages
from chatmigrate.server.chatdata import (
    ChatroomNotFound,
    QueryError,
    build_response,
    message_json,
    parse_query,
)
from chatmigrate.server.context import ServerContext, context_of
from chatmigrate.server.payloads import MAX_MESSAGE_LENGTH, is_text, json_object, message_text
from chatmigrate.server.responses import error, error_body
from chatmigrate.server.seed import STAFF_ROLES
from chatmigrate.server.tokens import (
    AuthFailure,
    Principal,
    authenticate,
    require_staff,
    token_from_headers,
)
from chatmigrate.vocab import Drift, Flaw

SLOW_DRIFT_SECONDS = 0.4
PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}
"""The public-cache-data flaw: one user's chat answer made storable by shared caches (RFC 9111 §3.5)."""
_FAKE_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/chat/api/authentication.py", line 48, in authenticate\n'
    "    payload = jwt.decode(raw_token, settings.SECRET_KEY, algorithms=['HS256'])\n"
    "jwt.exceptions.InvalidTokenError: {detail}"
)


PROFILE_CLAIMS = ("username", "email", "role")
_MESSAGES = {401: "Authentication failed", 429: "Too many requests"}


def auth_error(ctx: ServerContext, failure: AuthFailure) -> Response:
    flaws = ctx.config.switches
    if failure.status == 500:  # claim-type-crash: what Django's DEBUG answers an API client that crashed it
        return PlainTextResponse(failure.detail, status_code=500)
    if flaws.flaw(Flaw.HTML_401):
        return HTMLResponse(pages.unauthorized_page(), status_code=failure.status)
    message = _MESSAGES.get(failure.status, "Permission denied")
    body = error_body(message, failure.detail)
    if flaws.flaw(Flaw.ECHO_TOKEN) and failure.token:
        body["detail"] = f"{failure.detail}: {failure.token}"
    if flaws.flaw(Flaw.STACK_TRACE):
        body["traceback"] = _FAKE_TRACEBACK.format(detail=failure.detail)
    challenge = failure.status == 401 and not flaws.flaw(Flaw.NO_WWW_AUTHENTICATE)
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if challenge else None
    return JSONResponse(body, status_code=failure.status, headers=headers)


def bearer_principal(request: Request, ctx: ServerContext) -> Principal:
    flaw = ctx.config.switches.flaw
    if not flaw(Flaw.BAD_TOKEN_LOCKOUT):
        return _principal(request, ctx)
    caller = request.client.host if request.client else ""
    if ctx.lockout.retry_after(caller) is not None:
        raise AuthFailure("Too many refused tokens from this address; try again later", status=429)
    try:
        return _principal(request, ctx)
    except AuthFailure as failure:
        if failure.status == 401:
            ctx.lockout.failed(caller)
        raise


def _principal(request: Request, ctx: ServerContext) -> Principal:
    values = [value.decode("latin-1") for name, value in request.headers.raw if name == b"authorization"]
    token, skip_signature = token_from_headers(values, ctx.config)
    principal = authenticate(token, ctx.store, ctx.config, skip_signature=skip_signature)
    if ctx.config.switches.flaw(Flaw.CLAIM_TYPE_CRASH):
        _read_profile(principal.claims)
    if not ctx.config.switches.flaw(Flaw.NON_STAFF_ANY_ROOM):
        require_staff(principal, ctx.config)
    return principal


def _read_profile(claims: dict[str, Any]) -> None:
    """The claim-type-crash flaw: the profile claims are read as text without a type check, so a signed token
    whose ``username``, ``email`` or ``role`` is not a string crashes the request, traceback and all."""
    try:
        for name in PROFILE_CLAIMS:
            claims.get(name, "").lower()
    except AttributeError:
        raise AuthFailure(traceback.format_exc(), status=500) from None


async def _json_body(request: Request) -> dict[str, Any] | None:
    return json_object(await request.body())


async def chat(request: Request) -> Response:
    ctx = context_of(request)
    try:
        principal = bearer_principal(request, ctx)
    except AuthFailure as failure:
        return auth_error(ctx, failure)
    drift = ctx.config.switches.drift
    try:
        query = parse_query(request.query_params)
        if drift(Drift.SLOW_MESSAGES) and query.request_type == "recent_messages":
            await asyncio.sleep(SLOW_DRIFT_SECONDS)
        body = build_response(ctx.store, query, ctx.config.switches)
    except QueryError as bad:
        return error(400, "Invalid request", bad.detail)
    except ChatroomNotFound as missing:
        if drift(Drift.HTML_404):
            return HTMLResponse(pages.not_found_page(request.url.path), status_code=404)
        return error(400 if drift(Drift.STATUS_CHANGE) else 404, "Not found", str(missing))
    if principal.user.role not in STAFF_ROLES and "chats" in body:  # non-staff-any-room: lists its own room only
        body["chats"] = [chat for chat in body["chats"] if chat.get("chatroom_id") == principal.user.id]
    flaw = ctx.config.switches.flaw
    if flaw(Flaw.USER_SECRETS_EXPOSED):
        user = principal.user
        body["user"] = {"id": user.id, "username": user.username, "password": user.password_hash}
    return JSONResponse(body, headers=PUBLIC_CACHE if flaw(Flaw.PUBLIC_CACHE_DATA) else None)


async def send(request: Request) -> Response:
    ctx = context_of(request)
    try:
        principal = bearer_principal(request, ctx)
    except AuthFailure as failure:
        return auth_error(ctx, failure)
    body = await _json_body(request)
    if body is None:
        return error(400, "Invalid request", "JSON object body required")
    chatroom_id, text = _whole_number(body.get("chatroom_id")), message_text(body.get("message"))
    if chatroom_id is None or chatroom_id < 1:
        return error(400, "Invalid request", "chatroom_id must be a positive integer")
    if text is None:
        return error(400, "Invalid request", f"message must be 1..{MAX_MESSAGE_LENGTH} characters")
    if "client_id" in body and not is_text(body["client_id"]):
        return error(400, "Invalid request", "client_id must be a string")
    room = ctx.store.chatroom(chatroom_id) if chatroom_id < 2**62 else None
    if room is None:
        return error(404, "Not found", f"Chatroom {chatroom_id} not found")
    stored = await store_and_broadcast(ctx, room.name, room.id, principal.user.id, text)
    return JSONResponse({"status": "success", "message": stored}, status_code=201)


def _whole_number(value: object) -> int | None:
    """A JSON integer as JSON Schema (and DRF's IntegerField) reads one: ``7`` and ``7.0``, never ``true``."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None


async def store_and_broadcast(
    ctx: ServerContext, room_name: str, chatroom_id: int, user_id: int, text: str
) -> dict[str, Any]:
    """Commit first, then fan out: an acknowledged message is never lost."""
    message_id = ctx.store.add_message(chatroom_id, "admin", user_id, text)
    row = ctx.store.message(message_id)
    assert row is not None
    stored = message_json(row)
    await ctx.rooms.broadcast(room_name, {"type": "message", "message": stored})
    return stored


routes = [
    Route("/api/v1/admin/chat/", chat, methods=["GET"]),
    Route("/api/v1/chat/send/", send, methods=["POST"]),
]
