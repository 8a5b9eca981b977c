"""WebSocket parity: a chat message must reach both histories and every socket, whichever way it was sent.

Two checks, both of which write a message, so they only run where writes are
allowed: a message sent over the chat WebSocket shows up in ``recent_messages``
on old and new; a message sent with the REST send endpoint is broadcast on the
socket and shows up in both histories too.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, WebSocketException

from chatmigrate import auth as auth_mod
from chatmigrate.config import WsOptions
from chatmigrate.errors import TransportError
from chatmigrate.records import CorpusEntry, EndpointParity, Finding
from chatmigrate.redact import redact
from chatmigrate.replay import Target, open_client
from chatmigrate.vocab import Check, Credential, FindingKind, Severity, Tier, WsAuth

SOCKET_ENDPOINT = "WS /ws/cschat/"
HISTORY_LIMIT = "50"


@dataclass(slots=True)
class WsParity:
    findings: list[Finding] = field(default_factory=list)
    endpoints: list[EndpointParity] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    transport_error: str | None = None
    """A connection lost mid-check: the pair could not be judged, so the run exits 3 like a broken replay."""
    sockets: dict[str | None, bool] = field(default_factory=dict)
    """Per principal (None: the targets' own user), whether the chat socket let them in with their own credential."""


class _Broken(Exception):
    """A step that cannot go on; its message becomes the finding's title."""


_TRANSPORT_ERRORS = (httpx.HTTPError, WebSocketException, OSError)


def run_ws_parity(options: WsOptions, old: Target, new: Target, principals: Sequence[Target] = ()) -> WsParity:
    return asyncio.run(ws_parity(options, old, new, principals))


async def ws_parity(options: WsOptions, old: Target, new: Target, principals: Sequence[Target] = ()) -> WsParity:
    """The two round trips as the targets' own user, then who the socket lets in: that user and each principal
    (``principals`` are new-side targets, as the replay logged them in)."""
    result = WsParity()
    async with open_client(old, 2) as old_client, open_client(new, 2) as new_client:
        session = _Session(options, {Tier.OLD: (old, old_client), Tier.NEW: (new, new_client)})
        try:
            await old.auth.prepare(old_client)
            await new.auth.prepare(new_client)
            room, player = await session.room()
            user_id = options.user_id or auth_mod.token_claims(new.auth.bearer_token() or "").get("user_id")
        except (_Broken, httpx.HTTPError) as error:
            result.warnings.append(f"WebSocket parity skipped: {_text(error)}")
            return result
        if not isinstance(user_id, int):
            result.warnings.append("WebSocket parity skipped: set ws.user_id (the staff user id for the socket URL)")
            return result
        path = f"/ws/cschat/P{player}Chat/?user_id={user_id}"
        checks: list[tuple[FindingKind, str, Callable[[ClientConnection], Any]]] = [
            (FindingKind.SOCKET_TO_HISTORY, SOCKET_ENDPOINT, lambda socket: session.socket_to_history(socket, room)),
            (
                FindingKind.SEND_TO_SOCKET,
                f"POST {options.send_path}",
                lambda socket: session.send_to_socket(socket, room),
            ),
        ]
        for name, endpoint, check in checks:
            row = EndpointParity(endpoint=endpoint, entries=1)
            try:
                async with session.socket(path) as socket:
                    findings = await check(socket)
            except _Broken as broken:
                findings = [_finding(name, endpoint, str(broken))]
            except _TRANSPORT_ERRORS as error:
                result.transport_error = f"WebSocket parity check {name}: connection lost: {_text(error)}"
                return result
            result.findings.extend(findings)
            row.failed, row.passed = (1, 0) if findings else (0, 1)
            result.endpoints.append(row)
        for target in (new, *principals):
            own_id = user_id if target is new else None
            let_in = await _lets_in(options, player, target, new_client, own_id)
            if let_in is None:
                who = repr(target.principal) if target.principal else "the configured user"
                result.warnings.append(
                    f"principal matrix: no socket check for {who}: its login on new could not be done"
                )
            else:
                result.sockets[target.principal] = let_in
    return result


NO_TOKEN_WAIT = 1.0
"""How long a socket given no credential may take to say ``connected``: one that needs none says it at once."""


async def _lets_in(
    options: WsOptions, player: int, target: Target, client: httpx.AsyncClient, user_id: int | None
) -> bool | None:
    """Whether the chat socket says ``connected`` to this principal's own credential: its user id in the URL,
    and in jwt mode its token first. A principal without one (anonymous, refused at login) sends none. None when
    the principal's login cannot be done now (a transport fault, not a refusal)."""
    token = None
    if target.credential is Credential.OWN:
        try:
            await target.auth.prepare(client)
            token = target.auth.bearer_token()
        except auth_mod.AuthFailed:
            token = None
        except (TransportError, httpx.HTTPError):
            return None
    if user_id is None:
        user_id = auth_mod.token_claims(token or "").get("user_id")
    query = f"?user_id={user_id}" if isinstance(user_id, int) else ""
    url = f"{options.url.rstrip('/')}/ws/cschat/P{player}Chat/{query}"
    wait = options.timeout if token or options.auth == WsAuth.URL else min(options.timeout, NO_TOKEN_WAIT)
    try:
        async with connect(url, open_timeout=options.timeout) as connection:
            if options.auth == WsAuth.JWT and token:
                await connection.send(json.dumps({"type": "auth", "token": token}))
            return await _wait_for(connection, lambda event: event.get("type") == "connected", wait) is not None
    except (InvalidHandshake, OSError, TimeoutError):
        return False


class _Session:
    def __init__(self, options: WsOptions, sides: dict[Tier, tuple[Target, httpx.AsyncClient]]) -> None:
        self.options = options
        self.sides = sides

    async def _get(self, side: Tier, **query: str) -> tuple[int, Any]:
        target, client = self.sides[side]
        routed = target.request_for(CorpusEntry(id="ws-parity", query=query))
        if routed is None:
            raise _Broken(f"target {side} has no route for {query}")
        url, params = routed
        response = await auth_mod.send(client, target.auth, lambda: client.build_request("GET", url, params=params))
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    async def room(self) -> tuple[int, int]:
        """The configured room, else the first one the old side lists."""
        if self.options.chatroom_id and self.options.player_id:
            return self.options.chatroom_id, self.options.player_id
        status, body = await self._get(Tier.OLD, request_type="chat_list")
        chats = body.get("chats") if isinstance(body, dict) else None
        rooms = sorted(
            (int(chat["chatroom_id"]), int(chat["player_id"]))
            for chat in chats or []
            if isinstance(chat, dict)
            and str(chat.get("chatroom_id")).isdigit()
            and str(chat.get("player_id")).isdigit()
        )
        if not rooms:
            raise _Broken(
                f"the old side's chat_list (status {status}) names no chatroom; set ws.chatroom_id and ws.player_id"
            )
        return rooms[0]

    def socket(self, path: str) -> _Socket:
        return _Socket(self.options, path, self.sides[Tier.NEW][0].auth.bearer_token())

    async def socket_to_history(self, socket: ClientConnection, room: int) -> list[Finding]:
        text, client_id = _message_text()
        await socket.send(json.dumps({"type": "message", "message": text, "client_id": client_id}))
        ack = await _wait_for(
            socket,
            lambda event: event.get("type") == "ack" and event.get("client_id") == client_id,
            self.options.timeout,
        )
        if ack is None:
            raise _Broken("a message sent over the WebSocket was not acknowledged")
        return await self._histories(
            FindingKind.SOCKET_TO_HISTORY, SOCKET_ENDPOINT, room, _message_id(ack), "over the WebSocket"
        )

    async def send_to_socket(self, socket: ClientConnection, room: int) -> list[Finding]:
        text, client_id = _message_text()
        target, client = self.sides[Tier.NEW]
        url = target.base_url + self.options.send_path
        body = {"chatroom_id": room, "message": text, "client_id": client_id}
        endpoint = f"POST {self.options.send_path}"
        response = await auth_mod.send(client, target.auth, lambda: client.build_request("POST", url, json=body))
        try:
            stored = response.json()
        except ValueError:
            stored = None
        message_id = _message_id(stored)
        if response.status_code not in (200, 201) or message_id is None:
            raise _Broken(f"POST {self.options.send_path} answered {response.status_code} without a stored message")
        findings = []
        broadcast = await _wait_for(
            socket,
            lambda event: event.get("type") == "message" and _message_id(event) == message_id,
            self.options.timeout,
        )
        if broadcast is None:
            findings.append(
                _finding(
                    FindingKind.SEND_TO_SOCKET,
                    endpoint,
                    "a message sent with the REST endpoint was not broadcast on the room's WebSocket",
                    tier=Tier.NEW,
                )
            )
        return findings + await self._histories(
            FindingKind.SEND_TO_SOCKET, endpoint, room, message_id, "with the REST endpoint"
        )

    async def _histories(
        self, name: FindingKind, endpoint: str, room: int, message_id: str | None, how: str
    ) -> list[Finding]:
        findings = []
        for side in (Tier.OLD, Tier.NEW):
            status, body = await self._get(
                side, request_type="recent_messages", chatroom_id=str(room), limit=HISTORY_LIMIT
            )
            items = body.get("messages") if isinstance(body, dict) else None
            ids = {str(item.get("id")) for item in items or [] if isinstance(item, dict)}
            if message_id not in ids:
                findings.append(
                    _finding(
                        name,
                        endpoint,
                        f"a message sent {how} is missing from recent_messages on {side}",
                        tier=side,
                        evidence=f"message id {message_id}; recent_messages answered {status} with {len(ids)} items",
                    )
                )
        return findings


class _Socket:
    """Connect, authenticate (jwt mode), and wait for ``connected``; failures are findings, not crashes."""

    def __init__(self, options: WsOptions, path: str, token: str | None) -> None:
        self.options, self.url, self.token = options, options.url.rstrip("/") + path, token
        self.connection: ClientConnection | None = None

    async def __aenter__(self) -> ClientConnection:
        try:
            self.connection = await connect(self.url, open_timeout=self.options.timeout)
        except InvalidStatus as refused:
            raise _Broken(f"the WebSocket handshake was refused ({refused.response.status_code})") from None
        except (InvalidHandshake, OSError, TimeoutError) as error:
            raise _Broken(f"cannot open the WebSocket: {_text(error)}") from None
        try:
            await self._greet(self.connection)
        except BaseException:
            # __aexit__ does not run when __aenter__ raises: the open connection is ours to close.
            await self.connection.close()
            raise
        return self.connection

    async def _greet(self, connection: ClientConnection) -> None:
        if self.options.auth == WsAuth.JWT:
            if not self.token:
                raise _Broken("ws.auth is jwt but the new target's auth has no access token")
            await connection.send(json.dumps({"type": "auth", "token": self.token}))
        if await _wait_for(connection, lambda event: event.get("type") == "connected", self.options.timeout) is None:
            raise _Broken("the WebSocket never said 'connected' (closed or silent after the handshake)")

    async def __aexit__(self, *exc: object) -> None:
        if self.connection is not None:
            await self.connection.close()


async def _wait_for(
    socket: ClientConnection, wanted: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any] | None:
    """The first event matching ``wanted`` within ``timeout``; others (typing, live_status) are skipped."""
    try:
        async with asyncio.timeout(timeout):
            async for frame in socket:
                try:
                    event = json.loads(frame)
                except ValueError:
                    continue
                if isinstance(event, dict) and wanted(event):
                    return event
    except (TimeoutError, WebSocketException):
        return None
    return None


def _message_text() -> tuple[str, str]:
    client_id = uuid.uuid4().hex[:12]
    return f"chatmigrate ws parity check {client_id}", client_id


def _message_id(event: Any) -> str | None:
    message = event.get("message") if isinstance(event, dict) else None
    if isinstance(message, dict) and message.get("id") is not None:
        return str(message["id"])
    return None


def _finding(
    name: FindingKind, endpoint: str, title: str, *, tier: Tier | None = None, evidence: str | None = None
) -> Finding:
    return Finding(
        check=Check.WS_PARITY,
        severity=Severity.HIGH,
        title=redact(title),
        subject=f"ws:{name}",
        endpoint=endpoint,
        tier=tier,
        kind=name,
        evidence=evidence,
    )


def _text(error: BaseException) -> str:
    return redact(str(error).splitlines()[0] if str(error) else type(error).__name__)
