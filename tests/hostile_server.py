"""A hostile target on loopback: a Django-like login, a legacy chat and a JWT API, one of them misbehaving.

Raw asyncio on purpose: it must be able to send what no framework would (a gzip bomb, a body
that never ends, a Content-Length it does not honour, bytes that are not UTF-8). ``fault`` says
what goes wrong and ``where`` says at which route: the login page, the old chat or the new one.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import functools
import gzip
import json
import threading
import time
import zlib
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

import jwt

LOGIN_PATH = "/admin/login/"
OLD_CHAT, NEW_CHAT = "/admin/chat/", "/api/v1/admin/chat/"
TOKEN_PATH, REFRESH_PATH = "/api/v1/auth/token/", "/api/v1/auth/token/refresh/"
ROUTES = {
    "login": {LOGIN_PATH},
    "old": {OLD_CHAT},
    "new": {NEW_CHAT},
    "sides": {OLD_CHAT, NEW_CHAT},
    "token": {TOKEN_PATH},
    "refresh": {REFRESH_PATH},
}
CHAT_LIST = json.dumps(
    {
        "status": "success",
        "request_type": "chat_list",
        "chats": [],
        "count": 0,
        "generated_at": "2026-01-01T00:00:00Z",
        "request_id": "r1",
    }
).encode()
CSRF = "c" * 32
LOGIN_FORM = f'<form><input type="hidden" name="csrfmiddlewaretoken" value="{CSRF}"></form>'.encode()
ONE_GB = 1 << 30
BOMB_INFLATED = 256 << 20
CHUNK = b"[" * 65536

Writer = asyncio.StreamWriter


@functools.lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """256 MB of zeros in about 256 KB of gzip: one network read of it inflates to tens of megabytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1 << 20)
    return b"".join([packer.compress(zeros) for _ in range(BOMB_INFLATED >> 20)] + [packer.flush()])


def head(status: int, content_type: str, *extra: str, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", *extra]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def answer(writer: Writer, status: int, content_type: str, body: bytes, *extra: str) -> None:
    writer.write(head(status, content_type, *extra, length=len(body)) + body)
    await writer.drain()


async def _gzip_bomb(writer: Writer, path: str) -> None:
    bomb = gzip_bomb()
    await answer(writer, 200, "application/json", bomb, "Content-Encoding: gzip", f"Set-Cookie: csrftoken={CSRF}")


async def _endless(writer: Writer, path: str) -> None:
    writer.write(head(200, "application/json", "Transfer-Encoding: chunked", f"Set-Cookie: csrftoken={CSRF}"))
    while True:
        writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
        await writer.drain()


async def _one_gb(writer: Writer, path: str) -> None:
    writer.write(head(200, "application/json", f"Set-Cookie: csrftoken={CSRF}", length=ONE_GB))
    for _ in range(ONE_GB // len(CHUNK)):
        writer.write(CHUNK)
        await writer.drain()


async def _drip(writer: Writer, path: str) -> None:
    writer.write(head(200, "application/json", f"Set-Cookie: csrftoken={CSRF}", length=1000))
    for _ in range(1000):
        writer.write(b"[")
        await writer.drain()
        await asyncio.sleep(1)


def _status(code: int) -> Callable[[Writer, str], Awaitable[None]]:
    async def fault(writer: Writer, path: str) -> None:
        await answer(writer, code, "text/html", b"<h1>Server Error</h1>")

    return fault


async def _no_csrf(writer: Writer, path: str) -> None:
    await answer(writer, 200, "text/html; charset=utf-8", b"<html><body>Welcome to nginx!</body></html>")


async def _truncated(writer: Writer, path: str) -> None:
    writer.write(head(200, "application/json", f"Set-Cookie: csrftoken={CSRF}", length=5000) + b'{"status": "su')
    await writer.drain()


async def _bad_utf8(writer: Writer, path: str) -> None:
    body = (
        b'{"status": "success", "chats": [], "note": "\xff\xfe\xc3("}'
        if path != LOGIN_PATH
        else LOGIN_FORM + b"\xff\xc3("
    )
    kind = "text/html; charset=utf-8" if path == LOGIN_PATH else "application/json"
    await answer(writer, 200, kind, body, f"Set-Cookie: csrftoken={CSRF}")


async def _redirect_loop(writer: Writer, path: str) -> None:
    await answer(writer, 302, "text/html", b"", f"Location: {path}")


async def _bad_location(writer: Writer, path: str) -> None:
    await answer(writer, 302, "text/html", b"", "Location: https:evil.example")


def _encoded(encoding: str, pack: Callable[[bytes], bytes]) -> Callable[[Writer, str], Awaitable[None]]:
    """Not a fault: a correct compressed answer, to show that bounding bodies did not break decoding."""

    async def fault(writer: Writer, path: str) -> None:
        await answer(writer, 200, "application/json", pack(CHAT_LIST), f"Content-Encoding: {encoding}")

    return fault


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


async def _refuse(writer: Writer, path: str) -> None:
    """What Django does with a wrong password: the form again, 200, and an error on it."""
    await answer(writer, 200, "text/html; charset=utf-8", LOGIN_FORM + b"<p class=errornote>Please enter the correct")


FAULTS: dict[str, Callable[[Writer, str], Awaitable[None]]] = {
    "gzip-bomb": _gzip_bomb,
    "endless": _endless,
    "1gb": _one_gb,
    "drip": _drip,
    "401": _status(401),
    "500": _status(500),
    "502": _status(502),
    "503": _status(503),
    "no-csrftoken": _no_csrf,
    "truncated": _truncated,
    "bad-utf8": _bad_utf8,
    "redirect-loop": _redirect_loop,
    "bad-location": _bad_location,
    "gzip": _encoded("gzip", gzip.compress),
    "deflate": _encoded("deflate", zlib.compress),
    "raw-deflate": _encoded("deflate", _raw_deflate),
    "gzip-twice": _encoded("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
}


UNFINISHED = frozenset({"endless", "1gb", "drip", "truncated"})


class LoopbackTcpServer(abc.ABC):
    """A raw asyncio TCP server on an ephemeral loopback port, in its own thread, for one ``with`` block."""

    def __init__(self) -> None:
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        self._server.close()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()

    @abc.abstractmethod
    async def _connection(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        """Serve one client connection."""


class HostileServer(LoopbackTcpServer):
    """Healthy everywhere except ``where`` (a key of ``ROUTES``), which answers with ``fault``.

    The fault ``refuse`` is the one healthy refusal: the login form posted back with an error.
    ``times`` limits the fault to the first N matching requests (a target that recovers).
    """

    def __init__(self, fault: str, where: str, times: int | None = None) -> None:
        super().__init__()
        self.fault, self.where, self.times = fault, where, times

    async def _connection(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            await self._serve(reader, writer)
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        """Keep-alive like a real server, until a fault that leaves the answer unfinished."""
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                method, target = request.split(b" ", 2)[:2]
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in request.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                path = target.decode().split("?")[0]
                if self.fault in FAULTS and path in ROUTES[self.where] and method == self._method and self.times != 0:
                    self.times = None if self.times is None else self.times - 1
                    await FAULTS[self.fault](writer, path)
                    if self.fault in UNFINISHED:
                        return
                    continue
                await self._healthy(writer, method, path)

    @property
    def _method(self) -> bytes:
        return b"POST" if self.where in ("token", "refresh") else b"GET"

    async def _healthy(self, writer: Writer, method: bytes, path: str) -> None:
        if path == LOGIN_PATH and method == b"POST":
            if self.fault == "refuse":
                await _refuse(writer, path)
                return
            cookies = (f"Set-Cookie: sessionid={'s' * 32}; HttpOnly", f"Set-Cookie: csrftoken={CSRF}")
            await answer(writer, 302, "text/html", b"", "Location: /admin/chat/", *cookies)
        elif path == TOKEN_PATH:
            access = jwt.encode({"username": "admin", "exp": int(time.time()) + 600}, "hostile-key-" * 4)
            await answer(writer, 200, "application/json", json.dumps({"access": access, "refresh": "r" * 40}).encode())
        elif path == LOGIN_PATH:
            await answer(writer, 200, "text/html; charset=utf-8", LOGIN_FORM, f"Set-Cookie: csrftoken={CSRF}")
        else:
            await answer(writer, 200, "application/json", CHAT_LIST)
