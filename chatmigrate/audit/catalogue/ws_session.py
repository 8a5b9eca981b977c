"""WebSocket over time, and message-level authorisation over an open socket.

An open socket is checked again only if the server does so: its token may expire, its user log out or be
deactivated while it stays open, and a message may name a sender or a room of its own. Each case opens a
socket with genuine credentials, changes the world (or not), then sends one chat message and looks where it went.
Django Channels checks a user at connect only, so a socket that outlives its token's expiry, a logout or a
deactivation is an info gap unless the target declares ``ws_session_revocation``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import Built, Cases, Group
from chatmigrate.audit.catalogue.common import preflight, real_forge
from chatmigrate.audit.catalogue.sockets import auth_message, jwt_mode, ws_ready
from chatmigrate.audit.catalogue.token_steps import (
    NO_DEACTIVATION,
    lifetime_in_words,
    logged_out,
    obtain_pair,
    send,
    set_active,
    token_url,
)
from chatmigrate.audit.context import AuditContext, user_id_of
from chatmigrate.audit.probe import Expect, NotApplicable, WsProbe, WsSession
from chatmigrate.vocab import Severity, Tier, WsAuth

cases = Cases(Group.WEBSOCKET)
LIFETIME = 2
"""Seconds a socket's short-lived token stays valid (leeway included) after it is minted."""
PAST_EXPIRY = 1.0
"""How long past the token's expiry (and leeway) the message goes out."""
NO_WRITES = NotApplicable("sends a chat message: needs writes allowed (--allow-writes)")
MESSAGE_TAGS = (
    std.RFC6455_CLIENT_AUTH,
    std.WSTG_WEBSOCKETS,
    std.WSTG_IDOR,
    std.API_BOLA,
    std.CWE_AUTHORIZATION,
    std.CWE_USER_CONTROLLED_KEY,
)
"""What a message speaking for another user or room breaks: object-level authorisation over the socket."""
UNDECLARED = "Django Channels checks the user at connect only; declare ws_session_revocation to require it"


Change = Callable[[], Awaitable[None]]


def _session(
    change: Change | None = None,
    label: str = "",
    *,
    gap: str | None = None,
    named: dict[str, int] | None = None,
    **options: Any,
) -> WsSession:
    """One chat message, known by a fresh marker text, sent after ``change``; ``named`` are further fields of it."""
    marker = f"chatmigrate audit probe {secrets.token_hex(6)}"
    message = json.dumps({"type": "message", "message": marker, **(named or {})})
    return WsSession(message, marker, change, label, gap=gap, **options)


def _probe(
    ctx: AuditContext,
    label: str,
    session: WsSession,
    *,
    url: str | None = None,
    first: str | None = None,
    token: str | None = None,
    expect: Expect = Expect.WS_SESSION_REFUSED,
    breach: Severity = Severity.HIGH,
) -> WsProbe:
    return WsProbe(
        label=label,
        url=url or ctx.ws_url(),
        expect=expect,
        first_message=first,
        token=token,
        breach=breach,
        session=session,
    )


async def _ok(what: str, answer: Awaitable[httpx.Response]) -> None:
    """A change the case depends on: anything but 200 means the case did not run as built."""
    status = (await answer).status_code
    if status != 200:
        raise RuntimeError(f"{what} answered {status}")


def _gap(ctx: AuditContext, text: str) -> str | None:
    """Undeclared, a socket that outlives the change is an info gap; declared, it fails high."""
    return None if ctx.options.policy.ws_session_revocation else f"{text} ({UNDECLARED})"


@cases.case(
    id="ws-session-token-expiry",
    tiers=(Tier.WS,),
    description="an open socket whose token expires",
    sends=f"auth with a genuine token valid {LIFETIME} s more (leeway included), then a chat message "
    f"{PAST_EXPIRY:.0f} s after it expired",
    expects=Expect.WS_SESSION_REFUSED,
    tags=(
        std.RFC6455_CLIENT_AUTH,
        std.RFC7519_EXP,
        std.WSTG_WEBSOCKETS,
        std.WSTG_SESSION_TIMEOUT,
        std.API_BROKEN_AUTH,
        std.CWE_SESSION_EXPIRATION,
    ),
)
async def _token_expiry(ctx: AuditContext, tier: Tier) -> Built:
    missing = jwt_mode(ctx)
    if missing:
        return missing
    forge = real_forge(ctx)
    if isinstance(forge, NotApplicable):
        return forge
    leeway, expiries = ctx.target.leeway, [0]

    def mint() -> str:
        """A genuine token that stays valid ``LIFETIME`` seconds more at least (``exp`` is whole seconds), leeway
        included, from now."""
        exp = int(time.time()) + 1 + LIFETIME - leeway
        token = forge.real(claims=forge.with_claims(exp=exp, iat=exp - 300)).token
        ctx.remember(token, "SHORT_LIVED_TOKEN")
        expiries.append(exp)
        return token

    async def expire() -> None:
        await asyncio.sleep(max(0.0, expiries[-1] + leeway + PAST_EXPIRY - time.time()))

    def first() -> str:
        return auth_message(mint())

    gap = _gap(ctx, "an open socket outlives its token's expiry: its messages still go out")
    session = _session(expire, "its token expired", gap=gap, first=first)
    token = mint()
    return [_probe(ctx, "message after exp", session, first=auth_message(token), token=token)]


@cases.case(
    id="ws-session-after-logout",
    tiers=(Tier.WS,),
    description="an open socket whose user logs out",
    sends="auth with a fresh pair's access token, its refresh token to the logout (blacklist) endpoint, "
    "then a chat message",
    expects="the message refused where ws_session_revocation is declared; otherwise its passage is an info gap, "
    "with the token's remaining lifetime and what the legacy session does at logout",
    tags=(
        std.RFC6455_CLIENT_AUTH,
        std.WSTG_WEBSOCKETS,
        std.WSTG_LOGOUT,
        std.API_BROKEN_AUTH,
        std.CWE_SESSION_EXPIRATION,
    ),
)
async def _after_logout(ctx: AuditContext, tier: Tier) -> Built:
    missing = jwt_mode(ctx)
    if missing:
        return missing
    done = await ctx.once("lifecycle-logout", lambda: logged_out(ctx))
    if isinstance(done, NotApplicable):
        return done
    pair = await obtain_pair(ctx, ctx.target.principal, "WS_LOGOUT_TOKEN")
    if isinstance(pair, NotApplicable):
        return pair
    url = token_url(ctx, ctx.target.blacklist_path)

    async def log_out() -> None:
        await _ok("the logout", send(ctx, "POST", url, json={"refresh": pair.refresh}))

    gap = _gap(
        ctx,
        f"an open socket outlives logout: it serves its user {lifetime_in_words(pair.access)}, while {done.legacy}",
    )
    session = _session(log_out, "its user logged out", gap=gap)
    first = auth_message(pair.access)
    return [_probe(ctx, "message after logout", session, url=ctx.ws_url(), first=first, token=pair.access)]


@cases.case(
    id="ws-session-after-deactivation",
    tiers=(Tier.WS,),
    description="an open socket whose user is deactivated",
    sends="the deactivated principal, reactivated for a moment, opens the socket; it is deactivated again "
    "(user_admin_path), then sends a chat message",
    expects="the message refused where ws_session_revocation is declared; otherwise its passage is an info gap",
    alone=True,
    tags=(
        std.RFC6455_CLIENT_AUTH,
        std.WSTG_WEBSOCKETS,
        std.WSTG_AUTHZ_BYPASS,
        std.API_BFLA,
        std.CWE_AUTHORIZATION,
        std.CWE_SESSION_EXPIRATION,
    ),
)
async def _after_deactivation(ctx: AuditContext, tier: Tier) -> Built:
    missing = ws_ready(ctx)
    if missing:
        return missing
    target, principal = ctx.target, ctx.target.deactivated_principal
    if principal is None or target.user_admin_path is None or target.inactive_user_id is None or not ctx.token:
        return NO_DEACTIVATION
    ctx.remember(principal.password, "DEACTIVATED_PASSWORD")
    opened = await set_active(ctx, True)
    if opened.status_code != 200:
        return NotApplicable(f"reactivating user {target.inactive_user_id} answered {opened.status_code}")

    async def deactivate() -> None:
        await _ok("the deactivation", set_active(ctx, False))

    token = None
    if ctx.ws_auth is WsAuth.JWT:
        try:
            pair = await obtain_pair(ctx, principal, "WS_DEACTIVATED_TOKEN")
        except BaseException:
            await deactivate()
            raise
        if isinstance(pair, NotApplicable):
            await deactivate()
            return pair
        token = pair.access
    gap = _gap(ctx, "an open socket outlives its user's deactivation: its messages still go out")
    session = _session(deactivate, "its user was deactivated", gap=gap)
    url = ctx.ws_url(f"user_id={target.inactive_user_id}")
    first = auth_message(token) if token else None
    return [_probe(ctx, "message after deactivation", session, url=url, first=first, token=token)]


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who speaks on the socket of a message-level case, and another real user it may name.

    The spare principal speaks where there is one: no other case logs it out, so no logout elsewhere in the run
    (a server may end all of a user's sockets at logout) can close its socket before the message."""

    user_id: int
    token: str | None = field(repr=False)
    other: int | None

    def url(self, ctx: AuditContext, room: str | None = None) -> str:
        return ctx.ws_url(f"user_id={self.user_id}", room)

    def first(self, ctx: AuditContext) -> str | None:
        return auth_message(self.token) if ctx.ws_auth is WsAuth.JWT and self.token else None


async def _speaker(ctx: AuditContext) -> Speaker | NotApplicable:
    missing = ws_ready(ctx) or (None if ctx.target.allow_writes else NO_WRITES)
    if missing:
        return missing
    assert ctx.user_id is not None
    spare = ctx.target.spare_principal
    if spare is not None and ctx.target.token_url is not None and ctx.token is not None:
        token = await ctx.once("spare-token", lambda: ctx.obtain_token(spare, "SPARE_TOKEN"))
        spare_id = user_id_of(token)
        if spare_id is not None and spare_id != ctx.user_id:
            return Speaker(spare_id, token, ctx.user_id)
    return Speaker(ctx.user_id, ctx.token, ctx.forbidden_user_id)


def _authorised(ctx: AuditContext, speaker: Speaker, label: str, session: WsSession) -> WsProbe:
    """A message over the speaker's own socket that must be carried as its own, or refused."""
    return _probe(
        ctx,
        label,
        session,
        url=speaker.url(ctx),
        first=speaker.first(ctx),
        token=speaker.token,
        expect=Expect.WS_OWN_IDENTITY,
        breach=Severity.CRITICAL,
    )


@cases.case(
    id="ws-message-foreign-sender",
    tiers=(Tier.WS,),
    description="a socket message that names another user as its sender",
    sends="a chat message with user_id and sender_id of another real user, over the principal's own socket",
    expects=Expect.WS_OWN_IDENTITY,
    tags=MESSAGE_TAGS,
)
async def _foreign_sender(ctx: AuditContext, tier: Tier) -> Built:
    speaker = await _speaker(ctx)
    if isinstance(speaker, NotApplicable):
        return speaker
    if speaker.other is None:
        return NotApplicable("needs another user's id (spare_principal or forbidden_principal)")
    named = {"user_id": speaker.other, "sender_id": speaker.other}
    session = _session(named=named, foreign=tuple(named.items()))
    return [_authorised(ctx, speaker, "message as another user", session)]


@cases.case(
    id="ws-message-foreign-room",
    tiers=(Tier.WS,),
    description="a socket message that names a room the socket did not join",
    sends="a chat message with another room's chatroom_id, while a second socket listens in that room",
    expects=Expect.WS_OWN_IDENTITY,
    tags=MESSAGE_TAGS,
)
async def _foreign_room(ctx: AuditContext, tier: Tier) -> Built:
    speaker = await _speaker(ctx)
    if isinstance(speaker, NotApplicable):
        return speaker
    if not ctx.token:
        return NotApplicable("needs a token from the JWT API to list the chatrooms")
    status, body = await preflight(ctx, ctx.chat_url(Tier.NEW, "chat_list"), {"Authorization": f"Bearer {ctx.token}"})
    chats = body.get("chats") if status == 200 and isinstance(body, dict) else None
    other = next(
        (
            chat
            for chat in chats or []
            if isinstance(chat, dict)
            and chat.get("chatroom_id") != ctx.chatroom_id
            and isinstance(chat.get("chatroom_id"), int)
            and isinstance(chat.get("player_id"), int)
        ),
        None,
    )
    if other is None:
        return NotApplicable("needs a second chatroom in chat_list")
    room = other["chatroom_id"]
    witness = speaker.url(ctx, room=f"P{other['player_id']}Chat")
    named = {"chatroom_id": room}
    session = _session(named=named, foreign=tuple(named.items()), witness_url=witness, witness_first=speaker.first(ctx))
    return [_authorised(ctx, speaker, "message into another room", session)]
