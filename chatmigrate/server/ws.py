"""The chat WebSocket ``/ws/cschat/P{playerId}Chat/?user_id={adminId}``.

Two auth modes: ``url`` trusts the ``user_id`` parameter (today's system, so any
client naming a staff id *is* that user) and ``jwt`` wants ``{"type": "auth",
"token": …}`` as the first frame (the planned system) from the user the URL names.
Refusals before accept become an HTTP 403 handshake answer; after accept, a 44xx
close code. Every frame after the handshake is checked again, as every HTTP request
is: a socket stops serving once its token expires, its login ends (logout) or its
user is deactivated or loses the staff role. A message carries its text only: the
sender is the socket's user and the room the one it joined.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass
from typing import Any

from starlette.responses import PlainTextResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected, WebSocketState

from chatmigrate.server.context import ServerContext, context_of
from chatmigrate.server.db import Chatroom, User
from chatmigrate.server.jwt_api import store_and_broadcast
from chatmigrate.server.payloads import json_object, message_text
from chatmigrate.server.seed import STAFF_ROLES
from chatmigrate.server.tokens import LEEWAY_SECONDS, AuthFailure, authenticate
from chatmigrate.vocab import Flaw, WsAuth

CLOSE_MALFORMED, CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_TIMEOUT = (
    4400,
    4401,
    4403,
    4404,
    4408,
)
_ROOM = re.compile(r"P([1-9][0-9]{0,11})Chat")
_UNCAPPED_ROOM = re.compile(r"P([1-9][0-9]*)Chat")
"""The ws-room-id-overflow flaw: a player id of any length, as Django's ``<int:…>`` converter takes it; past
2**63 SQLite cannot bind it and the socket crashes."""
DEFAULT_USER_ID = 1
"""The ws-default-user flaw: the user a socket URL without a usable user_id joins as (a development default)."""


@dataclass(frozen=True, slots=True)
class Member:
    """Who a socket serves, in which room, and the claims of the token it authenticated with (url mode: none)."""

    room: Chatroom
    user: User
    claims: dict[str, Any] | None = None


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _origin_allowed(socket: WebSocket, ctx: ServerContext) -> bool:
    origin = socket.headers.get("origin")
    if origin is None or ctx.config.switches.flaw(Flaw.WS_NO_ORIGIN_CHECK):
        return True
    host = socket.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}") or origin in ctx.config.allowed_origins


def _room_and_user_id(socket: WebSocket, ctx: ServerContext) -> tuple[Chatroom, int | None]:
    flaw = ctx.config.switches.flaw
    match = (_UNCAPPED_ROOM if flaw(Flaw.WS_ROOM_ID_OVERFLOW) else _ROOM).fullmatch(socket.path_params["room"])
    room = ctx.store.chatroom_by_player(int(match.group(1))) if match else None
    if room is None:
        raise Refused(CLOSE_NOT_FOUND, "unknown chatroom")
    values = socket.query_params.getlist("user_id")
    if len(values) > 1:
        raise Refused(CLOSE_MALFORMED, "malformed user_id")
    if values and not (values[0].isascii() and values[0].isdigit() and len(values[0]) < 13):
        if flaw(Flaw.WS_DEFAULT_USER):
            return room, DEFAULT_USER_ID
        raise Refused(CLOSE_MALFORMED, "malformed user_id")
    return room, int(values[0]) if values else None


def _required(ctx: ServerContext, user_id: int | None) -> int:
    """Both modes want the URL to name the user: url mode trusts it, jwt mode checks the token against it."""
    if user_id is None:
        if ctx.config.switches.flaw(Flaw.WS_DEFAULT_USER):
            return DEFAULT_USER_ID
        raise Refused(CLOSE_MALFORMED, "user_id is required")
    return user_id


def _staff(ctx: ServerContext, user: User | None) -> User:
    """Active staff only; the non-staff flaw drops the role check alone, never the user's existence or activity."""
    any_role = ctx.config.switches.flaw(Flaw.WS_NON_STAFF)
    if user is None or not user.is_active or not (any_role or user.role in STAFF_ROLES):
        raise Refused(CLOSE_FORBIDDEN, "not allowed")
    return user


async def _authenticate_first_frame(socket: WebSocket, ctx: ServerContext, room: Chatroom, user_id: int) -> Member:
    try:
        frame = await asyncio.wait_for(socket.receive(), timeout=ctx.config.ws_auth_timeout)
    except TimeoutError:
        raise Refused(CLOSE_TIMEOUT, "no auth message in time") from None
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    message = json_object(frame.get("text"))
    if message is None or message.get("type") != "auth":
        raise Refused(CLOSE_MALFORMED, "first message must be an auth message")
    token = message.get("token")
    if token is None and ctx.config.switches.flaw(Flaw.WS_MISSING_TOKEN):
        return Member(room, _staff(ctx, ctx.store.user_by_id(user_id)))
    if not isinstance(token, str):
        raise Refused(CLOSE_MALFORMED, "auth message needs a token")
    flaw = ctx.config.switches.flaw
    try:
        principal = authenticate(token, ctx.store, ctx.config, unverified=flaw(Flaw.WS_TOKEN_UNVERIFIED))
    except AuthFailure as failure:
        raise Refused(CLOSE_UNAUTHENTICATED, failure.detail) from None
    if principal.user.id == user_id:
        return Member(room, _staff(ctx, principal.user), principal.claims)
    if flaw(Flaw.WS_TOKEN_USER_MISMATCH):  # any valid token admits the socket as the user its URL names
        return Member(room, _staff(ctx, ctx.store.user_by_id(user_id)), principal.claims)
    raise Refused(CLOSE_FORBIDDEN, "token does not match user_id")


def _revalidate(ctx: ServerContext, member: Member) -> User:
    """What every HTTP request checks, checked again for each frame of an open socket."""
    flaws, claims = ctx.config.switches, member.claims
    if claims is not None:
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            exp = 0.0
        expired = time.time() > float(exp) + LEEWAY_SECONDS
        if expired and not (flaws.flaw(Flaw.WS_EXPIRED_TOKEN_KEPT) or flaws.flaw(Flaw.ACCEPT_EXPIRED)):
            raise Refused(CLOSE_UNAUTHENTICATED, "token has expired")
        ended = ctx.rooms.login_ended(str(claims.get("jti")))
        if ended and not flaws.flaw(Flaw.WS_LOGOUT_KEPT):
            raise Refused(CLOSE_UNAUTHENTICATED, "logged out")
    if flaws.flaw(Flaw.WS_DEACTIVATED_USER_KEPT):
        return member.user
    return _staff(ctx, ctx.store.user_by_id(member.user.id))


async def chat_socket(socket: WebSocket) -> None:
    ctx = context_of(socket)
    try:
        if not _origin_allowed(socket, ctx):
            raise Refused(CLOSE_FORBIDDEN, "origin not allowed")
        room, user_id = _room_and_user_id(socket, ctx)
        if ctx.config.ws_auth is WsAuth.URL:
            member = Member(room, _staff(ctx, ctx.store.user_by_id(_required(ctx, user_id))))
            await socket.accept()
        else:
            await socket.accept()
            member = await _authenticate_first_frame(socket, ctx, room, _required(ctx, user_id))
    except Refused as refused:
        await socket.close(code=refused.code, reason=refused.reason)
        return
    except WebSocketDisconnect:
        return
    except OverflowError:  # ws-room-id-overflow: the id SQLite cannot bind fails the handshake as a crash does
        await socket.send_denial_response(PlainTextResponse("Internal Server Error", status_code=500))
        return
    await _serve_member(socket, ctx, member)


async def _serve_member(socket: WebSocket, ctx: ServerContext, member: Member) -> None:
    room, user = member.room, member.user
    await ctx.rooms.join(room.name, socket)
    try:
        await socket.send_json({"type": "connected", "chatroom": room.name, "user_id": user.id})
        player = ctx.store.player(room.player_id)
        await socket.send_json(
            {
                "type": "live_status",
                "player_id": room.player_id,
                "is_online": bool(player and player["is_online"]),
            }
        )
        while True:
            frame = await socket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            await _handle(socket, ctx, room, _revalidate(ctx, member), json_object(frame.get("text")))
    except Refused as refused:
        await socket.close(code=refused.code, reason=refused.reason)
    except (WebSocketDisconnect, WebSocketDisconnected):  # the peer left, or a broadcast dropped it as too slow
        return
    finally:
        await ctx.rooms.leave(room.name, socket)
        if socket.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await socket.close()


async def _handle(
    socket: WebSocket, ctx: ServerContext, room: Chatroom, user: User, event: dict[str, Any] | None
) -> None:
    kind = event.get("type") if event else None
    if event is None or kind not in ("message", "typing", "read"):
        await socket.send_json({"type": "error", "detail": "unknown or malformed event"})
    elif kind == "message":
        text = message_text(event.get("message"))
        if text is None:
            await socket.send_json({"type": "error", "detail": "message must be a non-empty string"})
            return
        into = _claimed_room(ctx, event, room)
        stored = await store_and_broadcast(ctx, into.name, into.id, _claimed_sender(ctx, event, user), text)
        await socket.send_json({"type": "ack", "client_id": event.get("client_id"), "message": stored})
    elif kind == "typing":
        await ctx.rooms.broadcast(
            room.name,
            {"type": "typing", "user_id": user.id, "is_typing": bool(event.get("is_typing"))},
            exclude=socket,
        )
    else:
        message_id = event.get("message_id")
        if type(message_id) is not int or not 0 < message_id < 2**62 or not ctx.store.mark_read(room.id, message_id):
            await socket.send_json({"type": "error", "detail": "unknown message_id"})
            return
        await ctx.rooms.broadcast(room.name, {"type": "read", "message_id": message_id, "user_id": user.id})


def _claimed_sender(ctx: ServerContext, event: dict[str, Any], user: User) -> int:
    """The socket's own user; only the sender flaw believes a ``user_id`` the message names."""
    named = event.get("user_id")
    if ctx.config.switches.flaw(Flaw.WS_SENDER_FROM_MESSAGE) and type(named) is int and 0 < named < 2**62:
        return named if ctx.store.user_by_id(named) is not None else user.id
    return user.id


def _claimed_room(ctx: ServerContext, event: dict[str, Any], room: Chatroom) -> Chatroom:
    """The room the socket joined; only the room flaw believes a ``chatroom_id`` the message names."""
    named = event.get("chatroom_id")
    if ctx.config.switches.flaw(Flaw.WS_ROOM_FROM_MESSAGE) and type(named) is int and 0 < named < 2**62:
        return ctx.store.chatroom(named) or room
    return room


routes = [WebSocketRoute("/ws/cschat/{room}/", chat_socket)]
