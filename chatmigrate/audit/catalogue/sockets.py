"""WebSocket probes of the chat socket: what a legitimate client sends first, and when a case can run."""

from __future__ import annotations

import json
from typing import Any

from chatmigrate.audit.catalogue.common import NO_TOKEN
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Expect, NotApplicable, WsProbe
from chatmigrate.vocab import Severity, WsAuth


def auth_message(token: str) -> str:
    """jwt mode's first message."""
    return json.dumps({"type": "auth", "token": token})


def ws_ready(ctx: AuditContext) -> NotApplicable | None:
    if ctx.player_id is None:
        return NotApplicable("no chatroom discovered for the WebSocket")
    if ctx.ws_auth is WsAuth.JWT and ctx.token is None:
        return NO_TOKEN
    if ctx.user_id is None:
        return NotApplicable("needs the principal's user id (from its token)")
    return None


def jwt_mode(ctx: AuditContext) -> NotApplicable | None:
    """The cases about the socket's token: a url-mode socket takes none."""
    if ctx.ws_auth is not WsAuth.JWT:
        return NotApplicable("url mode: the socket takes no token (see ws-impersonate-url)")
    return ws_ready(ctx)


def valid_first(ctx: AuditContext) -> str | None:
    """What a legitimate client sends first: the token in jwt mode, nothing in url mode."""
    return auth_message(ctx.token) if ctx.ws_auth is WsAuth.JWT and ctx.token else None


def ws_timeout(ctx: AuditContext) -> float:
    """Long enough for the server's own auth timeout to close a silent socket."""
    return ctx.target.ws_auth_timeout + 2.0


def ws_probe(
    label: str,
    url: str,
    expect: Expect = Expect.WS_REFUSED,
    *,
    origin: str | None = None,
    first: str | None = None,
    token: str | None = None,
    note: Any = None,
    breach: Severity = Severity.CRITICAL,
    wait: float = 1.5,
) -> WsProbe:
    return WsProbe(
        label=label,
        url=url,
        expect=expect,
        origin=origin,
        first_message=first,
        token=token,
        note=note,
        breach=breach,
        wait=wait,
    )
