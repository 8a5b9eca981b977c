"""The primary path: every request goes to old as it came and is answered from old, byte for byte.

A raw ASGI app rather than a framework route, and httpcore rather than httpx (the bytes pass through
undecoded, with no request or response model to build), so the only work between the user and old is the
forwarding itself. Mirroring is decided after the answer has been sent, and only ever queued (``MirrorQueue.offer``
never waits), so a slow or dead new side cannot touch the user's latency.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import httpcore
import httpx
from starlette.types import Receive, Scope, Send

from chatmigrate.config import ShadowConfig
from chatmigrate.replay import endpoint_key
from chatmigrate.shadow.exchange import entry_for
from chatmigrate.shadow.identity import SessionDirectory
from chatmigrate.shadow.mirror import HOP_BY_HOP
from chatmigrate.shadow.queue import MirrorJob, MirrorQueue, Primary
from chatmigrate.shadow.stats import LiveStats

RESPONSE_HOP_BY_HOP = HOP_BY_HOP - {b"content-length"}
"""A response keeps old's Content-Length: the bytes are passed through unchanged, so it still holds."""


class PrimaryProxy:
    def __init__(
        self,
        old_base_url: str,
        options: ShadowConfig,
        queue: MirrorQueue,
        directory: SessionDirectory,
        stats: LiveStats,
        *,
        sample: Callable[[], float] = random.random,
    ) -> None:
        self.old_base_url = old_base_url.rstrip("/")
        self.options = options
        self.queue = queue
        self.directory = directory
        self.stats = stats
        self.sample = sample
        self.pool = httpcore.AsyncConnectionPool(max_connections=None, max_keepalive_connections=256)
        self.timeouts = {"connect": options.timeout, "read": options.timeout, "write": options.timeout, "pool": None}
        self.arrivals = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content = await _read_request(receive)
        method: str = scope["method"]
        path: str = scope["path"]
        query = scope["query_string"].decode("latin-1")
        headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        url = self.old_base_url + scope.get("raw_path", path.encode()).decode("latin-1")
        if query:
            url += f"?{query}"
        forwarded = [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP - {b"host"}]
        if content:
            forwarded.append((b"content-length", str(len(content)).encode()))
        started = time.perf_counter()
        try:
            async with self.pool.stream(
                method, url, headers=forwarded, content=content, extensions={"timeout": self.timeouts}
            ) as response:
                teed, whole = await _relay(response, send, self.options.max_body_bytes)
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as error:
            self.stats.primary_errors += 1
            await _plain(send, 502, f"chatmigrate shadow: old did not answer ({type(error).__name__})")
            return
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        self._after(method, path, query, headers, content, _answer(response), (teed, not whole), url, elapsed)

    def _after(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
        response: httpx.Response,
        raw: tuple[bytes, bool],
        url: str,
        elapsed: float,
    ) -> None:
        """Learn who logged in or out, then offer a mirror job if this request is one to mirror."""
        cookie = _header(headers, b"cookie")
        if path == self.options.login_path and method == "POST" and response.status_code in (301, 302, 303):
            self.directory.learn(_form_username(content, headers), response.headers.get_list("set-cookie"))
        elif path == self.options.logout_path and method == "POST":
            self.directory.forget(cookie)
        self.arrivals += 1
        entry = entry_for(self.arrivals, method, path, query, content, _header(headers, b"content-type"))
        endpoint = endpoint_key(entry)
        self.stats.seen(endpoint)
        reason = self._not_mirrored(path)
        user = self.directory.user_of(cookie)
        if reason is None and user is None:
            reason = "session began before the shadow"
        if reason is not None:
            self.stats.skipped(endpoint, reason)
            return
        assert user is not None
        if not self.queue.offer(MirrorJob(entry, user, Primary(url, response, raw, elapsed), headers, content)):
            self.stats.skipped(endpoint, "dropped: mirror queue full")

    def _not_mirrored(self, path: str) -> str | None:
        allow, deny = self.options.allow_paths, self.options.deny_paths
        if allow and not any(path.startswith(prefix) for prefix in allow):
            return "not in allow_paths"
        if any(path.startswith(prefix) for prefix in deny):
            return "in deny_paths"
        if path == self.options.login_path or path == self.options.logout_path:
            return "login or logout"
        if self.options.sample_rate < 1.0 and self.sample() >= self.options.sample_rate:
            return "sampled out"
        return None

    async def aclose(self) -> None:
        await self.pool.aclose()


async def _read_request(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _relay(response: httpcore.Response, send: Send, cap: int) -> tuple[bytes, bool]:
    """Pass old's answer through unchanged while keeping up to ``cap`` bytes of it; True when all were kept."""
    headers = [(name, value) for name, value in response.headers if name.lower() not in RESPONSE_HOP_BY_HOP]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    kept: list[bytes] = []
    size = 0
    async for chunk in response.aiter_stream():
        size += len(chunk)
        if size <= cap:
            kept.append(chunk)
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return (b"".join(kept), True) if size <= cap else (b"", False)


def _answer(response: httpcore.Response) -> httpx.Response:
    """Status and headers only (the body was relayed and teed): what a mirror worker needs to record it."""
    return httpx.Response(response.status, headers=response.headers)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    return "; ".join(value.decode("latin-1") for key, value in headers if key.lower() == name)


def _form_username(content: bytes, headers: list[tuple[bytes, bytes]]) -> str:
    """Only the username field is read from a login form; the password is never looked at."""
    if "application/x-www-form-urlencoded" not in _header(headers, b"content-type"):
        return ""
    return str(httpx.QueryParams(content.decode("latin-1")).get("username", ""))
