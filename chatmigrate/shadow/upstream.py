"""The shadow's connections to old: keep-alive HTTP/1.1 on plain asyncio streams, nothing else.

The primary path is a byte pump, so it needs no client library: a general client (httpcore) re-checked every
pooled socket for readability on each request and built request and response models that the pump never reads,
and that was most of the shadow's CPU per request. Here a request is one write of bytes that were already
bytes, an answer is one head parse and the body is relayed as it arrives. A pooled connection that old closed
while it was idle is noticed by the event loop (its reader is at EOF) and never reused; one that dies under the
first write or before the first byte of the answer is retried once on a new connection, as browsers do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

READ_CHUNK = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024
"""An answer head larger than this is a protocol error (the same bound the shadow's server puts on requests)."""
WHOLE_BODY_BYTES = 256 * 1024
"""A body with a Content-Length up to this is read in one piece and relayed in one message."""
_NO_BODY_STATUSES = frozenset({204, 304})
_BODY_METHODS = frozenset({b"POST", b"PUT", b"PATCH"})

Sink = Callable[[bytes, bool], Awaitable[None]]
"""Receives the body piece by piece; the flag says more follows."""


class UpstreamError(Exception):
    """Old did not answer in HTTP: refused, reset, timed out, or sent something that is not HTTP/1.x."""


@dataclass(slots=True)
class Head:
    status: int
    headers: list[tuple[bytes, bytes]]
    """As old sent them: names and values unchanged, in order."""


class Kept:
    """Up to ``cap`` bytes of a body as it passes, for recording: a larger body is passed on whole but not kept."""

    __slots__ = ("cap", "pieces", "size")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.pieces: list[bytes] = []
        self.size = 0

    def keep(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size <= self.cap:
            self.pieces.append(piece)

    async def on_body(self, piece: bytes, more: bool) -> None:
        self.keep(piece)

    def kept(self) -> tuple[bytes, bool]:
        """As ``exchange.read_raw`` gives it: the body and False, or nothing and True when it passed the cap."""
        return (b"".join(self.pieces), False) if self.size <= self.cap else (b"", True)


class _Connection:
    __slots__ = ("reader", "reused", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.reused = False

    @property
    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.transport.is_closing()

    def close(self) -> None:
        self.writer.transport.abort()


class Upstream:
    """A pool of keep-alive connections to one origin; ``exchange`` sends a request and pumps its answer out."""

    def __init__(self, base_url: str, timeout: float, *, max_idle: int = 256) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        self.prefix = parts.path.rstrip("/").encode("latin-1")
        self.timeout = timeout
        self.max_idle = max_idle
        self._idle: list[_Connection] = []

    async def exchange(
        self,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
        on_head: Callable[[Head], Awaitable[None]],
        on_body: Sink,
    ) -> Head:
        """Send; call ``on_head`` once the answer's head is in, then ``on_body`` per piece. A connection that
        failed before any of the answer arrived is retried once on a fresh one; after that, errors propagate."""
        request = _request_bytes(method, self.prefix + target, headers, content)
        for retry in (False, True):
            connection = await self._acquire(fresh=retry)
            try:
                async with asyncio.timeout(self.timeout) as deadline:
                    connection.writer.write(request)
                    try:
                        head, raw_head = await _read_head(connection.reader)
                    except (ConnectionError, asyncio.IncompleteReadError) as error:
                        connection.close()
                        if connection.reused and not retry and not getattr(error, "partial", b""):
                            continue
                        raise UpstreamError(f"{type(error).__name__}: {error}") from None
                    await on_head(head)
                    pump = _Pump(connection.reader, deadline, self.timeout)
                    reusable = await pump.body(method, head, raw_head, on_body)
            except TimeoutError:
                connection.close()
                raise UpstreamError("timed out") from None
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
                connection.close()
                raise UpstreamError(f"{type(error).__name__}: {error}") from None
            except BaseException:
                connection.close()
                raise
            self._release(connection, reusable)
            return head
        raise AssertionError("unreachable: the retry either returns or raises")

    async def _acquire(self, *, fresh: bool) -> _Connection:
        while self._idle and not fresh:
            connection = self._idle.pop()
            if connection.usable:
                connection.reused = True
                return connection
            connection.close()
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=self.tls or None, limit=MAX_HEAD_BYTES
                )
        except (OSError, TimeoutError) as error:
            raise UpstreamError(f"cannot connect: {type(error).__name__}: {error}") from None
        return _Connection(reader, writer)

    def _release(self, connection: _Connection, reusable: bool) -> None:
        if reusable and len(self._idle) < self.max_idle and connection.usable:
            self._idle.append(connection)
        else:
            connection.close()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _request_bytes(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], content: bytes) -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1"]
    lines += [name + b": " + value for name, value in headers]
    if content or method in _BODY_METHODS:
        lines.append(b"content-length: " + str(len(content)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + content


async def _read_head(reader: asyncio.StreamReader) -> tuple[Head, dict[bytes, bytes]]:
    """The final answer's head (1xx interim answers are skipped), and its headers by lower-case name."""
    while True:
        block = await reader.readuntil(b"\r\n\r\n")
        lines = block[:-4].split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        if not version.startswith(b"HTTP/1.") or len(rest) < 3 or not rest[:3].isdigit():
            raise ValueError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        status = int(rest[:3])
        headers: list[tuple[bytes, bytes]] = []
        by_name: dict[bytes, bytes] = {b"": version}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                raise ValueError(f"not an HTTP header line: {line[:80]!r}")
            value = value.strip()
            headers.append((name, value))
            lower = name.lower()
            by_name[lower] = by_name[lower] + b"," + value if lower in by_name else value
        if status >= 200 or status == 101:
            return Head(status, headers), by_name


class _Pump:
    """Relays a body as its head frames it; each piece that arrives gives old another ``timeout`` for the next."""

    __slots__ = ("deadline", "loop", "reader", "timeout")

    def __init__(self, reader: asyncio.StreamReader, deadline: asyncio.Timeout, timeout: float) -> None:
        self.reader = reader
        self.deadline = deadline
        self.timeout = timeout
        self.loop = asyncio.get_running_loop()

    async def _send(self, on_body: Sink, piece: bytes, more: bool) -> None:
        await on_body(piece, more)
        self.deadline.reschedule(self.loop.time() + self.timeout)

    async def body(self, method: bytes, head: Head, raw_head: dict[bytes, bytes], on_body: Sink) -> bool:
        """True when the connection may carry another request."""
        reader = self.reader
        connection = raw_head.get(b"connection", b"").lower()
        keep = b"close" not in connection and (raw_head[b""] != b"HTTP/1.0" or b"keep-alive" in connection)
        if method == b"HEAD" or head.status in _NO_BODY_STATUSES:
            await on_body(b"", False)
            return keep
        if b"chunked" in raw_head.get(b"transfer-encoding", b"").lower():
            while size := int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16):
                await self._exactly(size, on_body, more=True)
                if await reader.readexactly(2) != b"\r\n":
                    raise ValueError("a chunk does not end in CRLF")
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers: dropped, as a proxy may
                pass
            await on_body(b"", False)
            return keep
        length_text = raw_head.get(b"content-length")
        if length_text is None:  # delimited by the end of the connection
            while piece := await reader.read(READ_CHUNK):
                await self._send(on_body, piece, True)
            await on_body(b"", False)
            return False
        remaining = int(length_text)
        if remaining < 0:
            raise ValueError("negative Content-Length")
        if remaining <= WHOLE_BODY_BYTES:
            await on_body(await reader.readexactly(remaining), False)
            return keep
        await self._exactly(remaining, on_body, more=False)
        return keep

    async def _exactly(self, size: int, on_body: Sink, *, more: bool) -> None:
        """``size`` bytes in pieces of at most ``READ_CHUNK``: a huge length never means a huge buffer."""
        remaining = size
        while remaining:
            piece = await self.reader.read(min(remaining, READ_CHUNK))
            if not piece:
                raise asyncio.IncompleteReadError(b"", remaining)
            remaining -= len(piece)
            await self._send(on_body, piece, more or bool(remaining))
