"""WebSocket rooms: who is connected to which chat, and fan-out of events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from typing import Any

from starlette.websockets import WebSocket


class Rooms:
    def __init__(self) -> None:
        self._members: dict[str, set[WebSocket]] = defaultdict(set)
        self._lock = asyncio.Lock()

    async def join(self, room: str, socket: WebSocket) -> None:
        async with self._lock:
            self._members[room].add(socket)

    async def leave(self, room: str, socket: WebSocket) -> None:
        async with self._lock:
            self._members[room].discard(socket)
            if not self._members[room]:
                del self._members[room]

    def count(self, room: str) -> int:
        return len(self._members.get(room, ()))

    async def broadcast(self, room: str, event: dict[str, Any], exclude: WebSocket | None = None) -> None:
        """Send to each member once; a member that fails to receive is dropped, not retried."""
        text = json.dumps(event)
        async with self._lock:
            members = [socket for socket in self._members.get(room, ()) if socket is not exclude]
        results = await asyncio.gather(*(socket.send_text(text) for socket in members), return_exceptions=True)
        for socket, result in zip(members, results, strict=True):
            if isinstance(result, BaseException):
                with contextlib.suppress(Exception):
                    await self.leave(room, socket)
