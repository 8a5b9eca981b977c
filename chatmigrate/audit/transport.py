"""Sending probes: httpx for ordinary requests, a raw socket for bytes httpx refuses, websockets for the chat.

Nothing here judges an answer; every failure to get one becomes ``error`` on the
observation so that the rule decides whether a dropped connection is a refusal. Every
answer is bounded: bodies and frames by ``max_body_bytes`` (a body over it is a
``too-large`` error, not read), and each exchange as a whole by ``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.typing import Origin

from chatmigrate.audit.probe import HttpObservation, HttpProbe, WsObservation, WsProbe
from chatmigrate.audit.socket_session import follow
from chatmigrate.bounded import ACCEPT_ENCODING, DEFAULT_MAX_BODY_BYTES, BodyTooLarge, dechunk, iter_bounded

MAX_BODY = 256 * 1024
KEPT_ANSWER = "chatmigrate.answer"
"""Where ``keep_answer`` leaves a response on its request's extensions."""


async def keep_answer(response: httpx.Response) -> None:
    """A response hook: httpx builds a redirect's next request even when it follows none, and a ``Location`` that
    is no URL (``https:evil.example``) then raises InvalidURL with the answer lost. Kept here, it is still seen."""
    response.request.extensions[KEPT_ANSWER] = response


def _elapsed(start: float) -> float:
    return (time.perf_counter() - start) * 1000


async def send_http(
    client: httpx.AsyncClient, probe: HttpProbe, timeout: float, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> HttpObservation:
    if probe.raw:
        return await send_raw(probe, timeout)
    start = time.perf_counter()
    seen = HttpObservation()
    body = bytearray()
    request: httpx.Request | None = None
    try:
        async with asyncio.timeout(timeout):
            request = client.build_request(probe.method, probe.url, headers=list(probe.headers), content=probe.body)
            if not any(name.lower() == "accept-encoding" for name, _ in probe.headers):
                request.headers["Accept-Encoding"] = ACCEPT_ENCODING
            response = await client.send(request, stream=True)
            seen.status, seen.headers = response.status_code, list(response.headers.multi_items())
            try:
                async for piece in iter_bounded(response, max_body_bytes):
                    body += piece[: MAX_BODY - len(body)]
            finally:
                await response.aclose()
    except (httpx.LocalProtocolError, UnicodeEncodeError) as error:
        return HttpObservation(error=f"not sent: {error}", sent=False)
    except httpx.InvalidURL as error:
        if request is None:
            return HttpObservation(error=f"not sent: {error}", sent=False)
        kept = request.extensions.get(KEPT_ANSWER)
        if isinstance(kept, httpx.Response):
            seen.status, seen.headers = kept.status_code, list(kept.headers.multi_items())
        else:
            seen.error = f"an answer whose Location is not a URL ({error})"
    except (httpx.TimeoutException, TimeoutError) as error:
        seen.error = f"timeout after {timeout:.0f}s ({type(error).__name__})"
    except httpx.ConnectError as error:
        seen.error, seen.unreachable = f"ConnectError: {error}", True
    except BodyTooLarge as error:
        seen.error = str(error)
    except httpx.HTTPError as error:
        seen.error = f"{type(error).__name__}: {error}"
    seen.text, seen.elapsed_ms = body.decode("utf-8", "replace"), _elapsed(start)
    return seen


async def send_raw(probe: HttpProbe, timeout: float) -> HttpObservation:
    """One HTTP/1.1 request written byte for byte, text as UTF-8 (``Connection: close``), answer read to EOF."""
    parts = urlsplit(probe.url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{probe.method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in probe.headers]
    if probe.body is not None:
        lines.append(f"Content-Length: {len(probe.body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (probe.body or b"")
    start = time.perf_counter()
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                parts.hostname, port, ssl=ssl.create_default_context() if secure else None
            )
            writer.write(request)
            await writer.drain()
            raw = await reader.read(MAX_BODY)
            while len(raw) < MAX_BODY and (chunk := await reader.read(MAX_BODY)):
                raw += chunk
    except TimeoutError:
        return HttpObservation(error=f"timeout after {timeout:.0f}s", elapsed_ms=_elapsed(start))
    except OSError as error:
        refused = isinstance(error, ConnectionRefusedError) and writer is None
        return HttpObservation(
            error=f"{type(error).__name__}: {error}", elapsed_ms=_elapsed(start), unreachable=refused
        )
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    return _parse_raw(raw, _elapsed(start))


def _parse_raw(raw: bytes, elapsed_ms: float) -> HttpObservation:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status_parts = lines[0].split(" ", 2) if lines and lines[0] else []
    if len(status_parts) < 2 or not status_parts[1].isdigit():
        return HttpObservation(error="connection closed without an HTTP answer", elapsed_ms=elapsed_ms)
    headers = [(name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in lines[1:])]
    if any(name.lower() == "transfer-encoding" and "chunked" in value.lower() for name, value in headers):
        body = dechunk(body)
    return HttpObservation(
        status=int(status_parts[1]), headers=headers, text=body.decode("utf-8", "replace"), elapsed_ms=elapsed_ms
    )


async def send_ws(probe: WsProbe, timeout: float, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> WsObservation:
    """Open, optionally send the first message, then wait for the first frame or a close."""
    seen = WsObservation()
    start = time.perf_counter()
    try:
        async with connect(
            probe.url,
            origin=Origin(probe.origin) if probe.origin is not None else None,
            open_timeout=timeout,
            close_timeout=1,
            max_size=max_body_bytes,
            ping_interval=None,
            proxy=None,
            compression=None,
        ) as socket:
            seen.handshake_status = 101
            try:
                first = probe.session.first() if probe.session and probe.session.first else probe.first_message
                if first is not None:
                    await socket.send(first)
                frame = await asyncio.wait_for(socket.recv(), timeout=probe.wait)
                seen.frames.append(frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))
                if probe.session is not None:
                    seen.session = await follow(socket, probe.session, probe.wait, timeout)
            except TimeoutError:
                seen.still_open = True
            except ConnectionClosed as closed:
                if closed.rcvd is not None:
                    seen.close_code, seen.close_reason = closed.rcvd.code, closed.rcvd.reason
    except InvalidStatus as refused:
        seen.handshake_status = refused.response.status_code
        seen.handshake_body = refused.response.body.decode("utf-8", "replace") if refused.response.body else ""
    except (OSError, WebSocketException, TimeoutError) as error:
        seen.error = f"{type(error).__name__}: {error}"
        seen.unreachable = isinstance(error, ConnectionRefusedError)
    if probe.session is not None and seen.session is None and probe.session.change is not None:
        with contextlib.suppress(Exception):  # the world still ends as the case left it: a user deactivated again
            await probe.session.change()
    seen.elapsed_ms = _elapsed(start)
    return seen
