"""The CORS misconfiguration flaw: any Origin reflected with credentials allowed.

A clean server sends no CORS headers at all (the chat UI is same-origin behind the proxy);
this middleware exists only so that the audit's CORS case can be shown to catch the flaw.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ReflectingCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = Headers(scope=scope).get("origin") if scope["type"] == "http" else None
        if origin is None:
            await self.app(scope, receive, send)
            return

        async def reflect(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = origin
                headers["Access-Control-Allow-Credentials"] = "true"
            await send(message)

        await self.app(scope, receive, reflect)
