"""WebSocket traffic passes through to old untouched and is only counted: mirroring frames would mean a second
socket per user, and a chat socket's sends are writes."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

PASSED_HEADERS = frozenset({b"cookie", b"origin", b"user-agent", b"authorization"})
MAX_FRAME_BYTES = 16 * 1024 * 1024


async def relay_websocket(
    scope: Scope, receive: Receive, send: Send, old_base_url: str, counts: dict[str, int]
) -> None:
    await receive()  # websocket.connect
    path = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
    query = scope["query_string"].decode("latin-1")
    url = "ws" + old_base_url.removeprefix("http") + path + (f"?{query}" if query else "")
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k.lower() in PASSED_HEADERS]
    try:
        upstream = await connect(
            url,
            additional_headers=headers,
            subprotocols=scope.get("subprotocols") or None,
            max_size=MAX_FRAME_BYTES,
            open_timeout=10,
        )
    except InvalidStatus as refused:
        await send({"type": "websocket.close", "code": 1008, "reason": f"old answered {refused.response.status_code}"})
        return
    except (OSError, InvalidHandshake, TimeoutError):
        await send({"type": "websocket.close", "code": 1011})
        return
    counts["opened"] += 1
    await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})
    async with upstream:
        inbound = asyncio.create_task(_to_old(receive, upstream, counts))
        outbound = asyncio.create_task(_to_user(upstream, send, counts))
        _, pending = await asyncio.wait({inbound, outbound}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await task


async def _to_old(receive: Receive, upstream: ClientConnection, counts: dict[str, int]) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            await upstream.close()
            return
        payload = message.get("text") if message.get("text") is not None else message.get("bytes")
        if payload is not None:
            counts["frames"] += 1
            await upstream.send(payload)


async def _to_user(upstream: ClientConnection, send: Send, counts: dict[str, int]) -> None:
    try:
        async for frame in upstream:
            counts["frames"] += 1
            key = "text" if isinstance(frame, str) else "bytes"
            await send({"type": "websocket.send", key: frame})
    except ConnectionClosed:
        pass
    await send({"type": "websocket.close", "code": upstream.close_code or 1000})
