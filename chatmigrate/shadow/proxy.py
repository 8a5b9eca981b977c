"""The primary path: every request goes to old as it came and is answered from old, byte for byte.

A raw ASGI app rather than a framework route, and a plain keep-alive connection pool (``upstream``) rather than
an HTTP client library (the bytes pass through undecoded, with no request or response model to build), so the
only work between the user and old is the forwarding itself. Mirroring is decided after the answer has been
sent, and only ever queued (``MirrorQueue.offer`` never waits), so a slow or dead new side cannot touch the
user's latency.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import httpx
from starlette.types import Receive, Scope, Send

from chatmigrate.config import ShadowConfig
from chatmigrate.replay import endpoint_key
from chatmigrate.shadow.exchange import entry_for
from chatmigrate.shadow.identity import SessionDirectory
from chatmigrate.shadow.mirror import FORWARD_DROP, HOP_BY_HOP
from chatmigrate.shadow.queue import MirrorJob, MirrorQueue, Primary
from chatmigrate.shadow.stats import LiveStats
from chatmigrate.shadow.upstream import Head, Kept, Upstream, UpstreamError

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
        self.upstream = Upstream(self.old_base_url, options.timeout)
        self.arrivals = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content = await _read_request(receive)
        method: str = scope["method"]
        path: str = scope["path"]
        query_bytes: bytes = scope["query_string"]
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        target: bytes = scope.get("raw_path") or path.encode()
        if query_bytes:
            target += b"?" + query_bytes
        forwarded = [(name, value) for name, value in headers if name not in FORWARD_DROP]
        tee = _Tee(send, self.options.max_body_bytes)
        started = time.perf_counter()
        try:
            head = await self.upstream.exchange(method.encode(), target, forwarded, content, tee.start, tee.on_body)
        except UpstreamError as error:
            if tee.started:
                raise  # half an answer has gone out: only closing the user's connection says it was cut
            self.stats.primary_errors += 1
            await _plain(send, 502, f"chatmigrate shadow: old did not answer ({error})")
            return
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        query = query_bytes.decode("latin-1")
        url = self.old_base_url + target.decode("latin-1")
        self._after(method, path, query, headers, content, head, tee.kept(), url, elapsed, target)

    def _after(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
        head: Head,
        raw: tuple[bytes, bool],
        url: str,
        elapsed: float,
        target: bytes,
    ) -> None:
        """Learn who logged in or out, then offer a mirror job if this request is one to mirror."""
        cookie = _header(headers, b"cookie")
        if path == self.options.login_path and method == "POST" and head.status in (301, 302, 303):
            set_cookies = [value.decode("latin-1") for name, value in head.headers if name.lower() == b"set-cookie"]
            self.directory.learn(_form_username(content, headers), set_cookies)
        elif path == self.options.logout_path and method == "POST":
            self.directory.forget(cookie)
        self.arrivals += 1
        entry = entry_for(self.arrivals, method, path, query, content, _header(headers, b"content-type"))
        endpoint = endpoint_key(entry)
        self.stats.seen(endpoint)
        reason = self._not_mirrored(path)
        user = self.directory.user_of(cookie) if reason is None else None
        if reason is None and user is None:
            reason = "session began before the shadow"
        if reason is not None:
            self.stats.skipped(endpoint, reason)
            return
        assert user is not None
        primary = Primary(url, httpx.Response(head.status, headers=head.headers), raw, elapsed)
        if not self.queue.offer(MirrorJob(entry, user, primary, headers, content, target)):
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
        await self.upstream.aclose()


async def _read_request(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class _Tee(Kept):
    """Passes old's answer to the user as it arrives, keeping up to ``cap`` bytes of the body for the mirror."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send, cap: int) -> None:
        super().__init__(cap)
        self.send = send
        self.started = False

    async def start(self, head: Head) -> None:
        self.started = True
        headers = [(name, value) for name, value in head.headers if name.lower() not in RESPONSE_HOP_BY_HOP]
        await self.send({"type": "http.response.start", "status": head.status, "headers": headers})

    async def on_body(self, piece: bytes, more: bool) -> None:
        self.keep(piece)
        await self.send({"type": "http.response.body", "body": piece, "more_body": more})


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
