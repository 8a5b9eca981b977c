"""WebSocket rooms: who is connected to which chat, fan-out of events, and which logins have ended."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from typing import Any

from starlette.websockets import WebSocket

SEND_TIMEOUT_SECONDS = 2.0
CLOSE_TOO_SLOW = 1008
TOO_SLOW_REASON = "too slow to receive"


class Rooms:
    def __init__(self) -> None:
        self._members: dict[str, set[WebSocket]] = defaultdict(set)
        self._lock = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()
        self._access_of: dict[str, str] = {}
        self._ended: set[str] = set()

    def pair(self, refresh_jti: str, access_jti: str) -> None:
        """An issued pair: the access token a logout of this refresh token ends on the sockets."""
        self._access_of[refresh_jti] = access_jti

    def end_login(self, refresh_jti: str) -> None:
        """A logout: the sockets opened with the access token of the same pair must stop."""
        access = self._access_of.pop(refresh_jti, None)
        if access is not None:
            self._ended.add(access)

    def login_ended(self, access_jti: str) -> bool:
        return access_jti in self._ended

    async def join(self, room: str, socket: WebSocket) -> None:
        async with self._lock:
            self._members[room].add(socket)

    async def leave(self, room: str, socket: WebSocket) -> None:
        async with self._lock:
            self._members[room].discard(socket)
            if not self._members[room]:
                del self._members[room]

    async def broadcast(self, room: str, event: dict[str, Any], exclude: WebSocket | None = None) -> None:
        """Send to each member once, waiting at most ``SEND_TIMEOUT_SECONDS`` for any one of them: a socket
        that does not read must not hold up the sender's answer (the message is already committed).
        A member that fails or times out is dropped and closed, not retried."""
        text = json.dumps(event)
        async with self._lock:
            members = [socket for socket in self._members.get(room, ()) if socket is not exclude]
        results = await asyncio.gather(
            *(asyncio.wait_for(socket.send_text(text), SEND_TIMEOUT_SECONDS) for socket in members),
            return_exceptions=True,
        )
        for socket, result in zip(members, results, strict=True):
            if isinstance(result, BaseException):
                await self.leave(room, socket)
                self._close_in_background(socket)

    def _close_in_background(self, socket: WebSocket) -> None:
        """The close frame queues behind everything the peer has not read yet, so waiting for it here
        would hold up the sender again; once it goes out, the member's own task sees the disconnect and ends."""
        task = asyncio.create_task(_close_too_slow(socket))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


async def _close_too_slow(socket: WebSocket) -> None:
    with contextlib.suppress(Exception):  # already closed by the peer, by the member's task or by another send
        await socket.close(code=CLOSE_TOO_SLOW, reason=TOO_SLOW_REASON)
