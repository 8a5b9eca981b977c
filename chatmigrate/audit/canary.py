"""A loopback listener that ``jku``/``x5u`` headers point at: a server that fetches it trusts token headers.

It answers with the attacker's own key, so a server that fetches *and* trusts the
key is caught twice: once for the fetch, once for accepting the forged token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from types import TracebackType

from cryptography.hazmat.primitives.asymmetric import rsa

from chatmigrate.audit.forge import public_jwk, public_pem


class Canary:
    def __init__(self, key: rsa.RSAPrivateKey, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.fetched: set[str] = set()
        self._jwks = json.dumps({"keys": [public_jwk(key)]}).encode()
        self._pem = public_pem(key)
        self._server: asyncio.Server | None = None

    def url(self, name: str) -> str:
        return f"http://{self.host}:{self.port}/{name}"

    async def __aenter__(self) -> Canary:
        self._server = await asyncio.start_server(self._answer, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), timeout=5)
            parts = request_line.decode("latin-1").split()
            if len(parts) >= 2:
                self.fetched.add(self.url(parts[1].lstrip("/")))
            body, kind = (
                (self._pem, "application/x-pem-file")
                if parts[1:2] and parts[1].endswith(".pem")
                else (self._jwks, "application/json")
            )
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (OSError, TimeoutError, UnicodeDecodeError):
            return
        finally:
            writer.close()
