"""Bounded bodies: every response chatmigrate reads stops at one byte limit, on the wire and after decoding.

A hostile or broken target must not be able to take the process's memory. httpx's
own decoders inflate a whole network chunk at once (one 64 KB gzip chunk can become
64 MB, and stacked encodings multiply that), and its redirect following reads every
hop whole. So bodies are streamed raw here and inflated in small steps, every stage
counted against the limit; past it the read stops and ``BodyTooLarge`` is raised.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator

import httpx

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
"""The default of ``run.max_body_bytes``: far above any chat API page, far below a memory problem."""
TOO_LARGE = "too-large"
"""The stable prefix of an exchange's ``error`` when its body was over the limit and not read."""
ACCEPT_ENCODING = "gzip, deflate"
"""The only encodings decoded here; asking for nothing else keeps a correct server within them."""
MAX_REDIRECTS = 5
_STEP = 64 * 1024


class BodyTooLarge(httpx.TransportError):
    """A body over the limit: its transfer is abandoned, nothing past the limit is kept."""

    def __init__(self, limit: int, *, declared: int | None = None) -> None:
        said = f", it declares {declared}" if declared is not None else ""
        super().__init__(f"{TOO_LARGE}: the body is larger than {limit} bytes (run.max_body_bytes){said}; not read")
        self.limit = limit


class BadAnswer(httpx.TransportError):
    """An answer whose status arrived but that cannot be used: too large, cut off, too slow, redirecting forever."""


class _Counter:
    def __init__(self, limit: int) -> None:
        self.limit, self.total = limit, 0

    def add(self, size: int) -> None:
        self.total += size
        if self.total > self.limit:
            raise BodyTooLarge(self.limit)


class _Inflater:
    """gzip or deflate, decompressed ``_STEP`` bytes at a time so no single call can balloon."""

    def __init__(self, encoding: str, limit: int) -> None:
        self._gzip = encoding == "gzip"
        self._engine = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False
        self.counter = _Counter(limit)

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            yield from self._feed(data)
        except zlib.error as error:
            raise httpx.DecodingError(f"the body does not decode as its Content-Encoding says: {error}") from None

    def _feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while pending or not self._engine.eof:
            try:
                out = self._engine.decompress(pending, _STEP)
            except zlib.error:
                if self._started or self._gzip:
                    raise
                # Servers disagree on "deflate": zlib-wrapped (RFC) or raw; httpx accepts both, so do we.
                self._engine = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._engine.decompress(pending, _STEP)
            self._started = True
            pending = self._engine.unconsumed_tail
            if out:
                self.counter.add(len(out))
                yield out
            if not pending and len(out) < _STEP:
                return


def _through(inflater: _Inflater, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from inflater.feed(piece)


def _inflaters(content_encoding: str, limit: int) -> list[_Inflater]:
    """Decoders in the order they apply: the last encoding named was applied last, so it comes off first."""
    encodings = [value.strip().lower() for value in content_encoding.split(",")]
    return [_Inflater(value, limit) for value in reversed(encodings) if value in ("gzip", "deflate")]


def _decoded(inflaters: list[_Inflater], chunk: bytes) -> Iterator[bytes]:
    pieces: Iterable[bytes] = (chunk,)
    for inflater in inflaters:
        pieces = _through(inflater, pieces)
    return iter(pieces)


async def iter_bounded(response: httpx.Response, limit: int = DEFAULT_MAX_BODY_BYTES) -> AsyncIterator[bytes]:
    """The decoded body of a streamed response, in pieces; raw bytes and every decoding stage are counted."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, declared=int(declared))
    inflaters = _inflaters(response.headers.get("content-encoding", ""), limit)
    raw = _Counter(limit)
    async for chunk in response.aiter_raw():
        raw.add(len(chunk))
        for piece in _decoded(inflaters, chunk):
            yield piece


def decode_bounded(raw: bytes, content_encoding: str, limit: int = DEFAULT_MAX_BODY_BYTES) -> bytes:
    """A body already in memory (a capture, a proxied answer), decoded under the same limit as a streamed one."""
    _Counter(limit).add(len(raw))
    return b"".join(_decoded(_inflaters(content_encoding, limit), raw))


async def read_bounded(response: httpx.Response, limit: int = DEFAULT_MAX_BODY_BYTES) -> bytes:
    """The whole decoded body of a streamed response, or ``BodyTooLarge``; the response is closed either way."""
    try:
        return b"".join([piece async for piece in iter_bounded(response, limit)])
    finally:
        await response.aclose()


async def fetch(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    limit: int = DEFAULT_MAX_BODY_BYTES,
    timeout: float | None = None,
    max_redirects: int = 0,
) -> httpx.Response:
    """Send and read the answer whole but bounded, following up to ``max_redirects`` hops (each one bounded).

    ``timeout`` bounds the whole exchange, so a target dripping a byte a second cannot hold it open.
    The result is an ordinary read response: ``.text``, ``.json()`` and ``.cookies`` work.
    """
    statuses: list[int] = []
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(client, request, limit, max_redirects, statuses)
    except TimeoutError:
        problem = f"no complete answer within {timeout:g}s"
        if statuses:
            raise BadAnswer(f"status {statuses[-1]}, {problem}", request=request) from None
        raise httpx.ReadTimeout(problem, request=request) from None


async def _fetch(
    client: httpx.AsyncClient, request: httpx.Request, limit: int, max_redirects: int, statuses: list[int]
) -> httpx.Response:
    history: list[httpx.Response] = []
    while True:
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        response = await client.send(request, stream=True, follow_redirects=False)
        statuses.append(response.status_code)
        whole = await read_whole(response, limit)
        whole.history = list(history)
        if response.next_request is None or not max_redirects:
            return whole
        if len(history) >= max_redirects:
            raise BadAnswer(f"status {response.status_code}, more than {max_redirects} redirects", request=request)
        history.append(whole)
        request = response.next_request


async def read_whole(response: httpx.Response, limit: int = DEFAULT_MAX_BODY_BYTES) -> httpx.Response:
    """A streamed response read whole under the limit, as an ordinary read response (decoded already).

    A body that cannot be read is a ``BadAnswer`` naming the status, which did arrive.
    """
    try:
        body = await read_bounded(response, limit)
    except httpx.HTTPError as error:
        reason = str(error) if isinstance(error, BodyTooLarge) else describe(error)
        raise BadAnswer(f"status {response.status_code}, {reason}", request=response.request) from None
    return httpx.Response(
        response.status_code,
        headers=[
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length")
        ],
        content=body,
        request=response.request,
    )


def describe(error: BaseException) -> str:
    """One line for a failed exchange: the kind of failure, then what it said."""
    detail = str(error).splitlines()[0] if str(error) else ""
    name = "timeout" if isinstance(error, TimeoutError) else type(error).__name__
    return f"{name}: {detail}" if detail else name


def dechunk(body: bytes) -> bytes:
    """Chunked transfer coding read from raw bytes (a capture, a raw probe); a cut-off body keeps what it has."""
    out: list[bytes] = []
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if size == 0:
            break
        out.append(rest[:size])
        body = rest[size + 2 :]
    return b"".join(out)
