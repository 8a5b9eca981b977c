"""The mirror workers: old once more (safe requests, for live noise) and new as the same user, into exchanges.jsonl.

They run off the request path: the primary answer has already gone back to the user when a job reaches them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx

from chatmigrate import auth as auth_mod
from chatmigrate.config import ShadowConfig
from chatmigrate.errors import ChatmigrateError
from chatmigrate.records import Exchange
from chatmigrate.replay import Target, endpoint_key
from chatmigrate.shadow.exchange import SAFE_METHODS, exchange_of, failed_exchange, read_raw
from chatmigrate.shadow.principals import Principals
from chatmigrate.shadow.queue import MirrorJob, MirrorQueue
from chatmigrate.shadow.sink import ExchangeSink
from chatmigrate.shadow.stats import LiveStats
from chatmigrate.shadow.upstream import Head, Kept, Upstream, UpstreamError
from chatmigrate.vocab import Tier

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
    }
)
FORWARD_DROP = HOP_BY_HOP - {b"host"}
"""What a request to old loses on the way: hop-by-hop headers only; ``Host`` stays, as a reverse proxy keeps it.
ASGI servers give header names in lower case, so a set lookup is the whole filter."""


class _NoCookies(httpx.Cookies):
    """The mirror never keeps cookies: old's session travels in each job's own headers, new uses tokens."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def plain_client(timeout: float, **kwargs: object) -> httpx.AsyncClient:
    client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False, **kwargs)  # type: ignore[arg-type]
    client.cookies = _NoCookies()
    return client


class _TooLarge(Exception):
    """Old's second answer passed the body cap: reading stops there (its connection is closed, not reused)."""


class _Capped(Kept):
    """Keeps the head and up to ``cap`` bytes of the body, and stops the read past the cap: unlike the primary
    path, nobody is waiting for the rest."""

    __slots__ = ("head",)

    def __init__(self, cap: int) -> None:
        super().__init__(cap)
        self.head: Head | None = None

    async def on_head(self, head: Head) -> None:
        self.head = head

    async def on_body(self, piece: bytes, more: bool) -> None:
        self.keep(piece)
        if self.size > self.cap:
            raise _TooLarge


class Mirror:
    def __init__(
        self,
        *,
        old_base_url: str,
        new: Target,
        principals: Principals,
        options: ShadowConfig,
        stats: LiveStats,
        sink: ExchangeSink,
    ) -> None:
        self.old_base_url = old_base_url.rstrip("/")
        self.new = new
        self.principals = principals
        self.options = options
        self.stats = stats
        self.sink = sink
        self.old = Upstream(self.old_base_url, options.timeout)
        self.new_client = plain_client(options.timeout)

    async def work(self, queue: MirrorQueue) -> None:
        while True:
            job = await queue.take()
            try:
                await self.mirror(job)
            finally:
                queue.done(job)

    async def mirror(self, job: MirrorJob) -> None:
        endpoint = endpoint_key(job.entry)
        adapter = self.principals.adapter_for(job.user)
        safe = job.entry.method in SAFE_METHODS
        if adapter is None:
            self.stats.skipped(endpoint, "no new credential for the user")
            return
        if not safe and not self.options.mirror_writes:
            self.stats.skipped(endpoint, "unsafe method")
            return
        primary = job.primary
        cap = self.options.max_body_bytes
        group = [
            exchange_of(job.entry, Tier.OLD, 0, primary.url, primary.response, primary.raw, cap, primary.elapsed_ms)
        ]
        if safe:
            group.append(await self._old_again(job))
        for attempt in range(2 if safe else 1):
            group.append(await self._new(job, adapter, attempt))
        self.sink.write(group)
        self.stats.mirrored(endpoint)

    async def _old_again(self, job: MirrorJob) -> Exchange:
        """The user's request once more, exactly as it came (the same target and headers, ``Host`` included), over
        the same lean connection pool as the primary path: old's second answer differs from its first only by
        what old itself varies, which is the noise to learn."""
        headers = [(name, value) for name, value in job.headers if name not in FORWARD_DROP]
        capped = _Capped(self.options.max_body_bytes)
        url, cap = job.primary.url, self.options.max_body_bytes
        started = time.perf_counter()
        try:
            await self.old.exchange(
                job.entry.method.encode(), job.target, headers, job.content, capped.on_head, capped.on_body
            )
        except UpstreamError as error:
            elapsed = round((time.perf_counter() - started) * 1000, 3)
            return failed_exchange(job.entry, Tier.OLD, 1, url, str(error), elapsed)
        except _TooLarge:
            pass
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        assert capped.head is not None  # the body only flows after the head
        answer = httpx.Response(capped.head.status, headers=capped.head.headers)
        return exchange_of(job.entry, Tier.OLD, 1, url, answer, capped.kept(), cap, elapsed)

    async def _new(self, job: MirrorJob, adapter: auth_mod.AuthAdapter, attempt: int) -> Exchange:
        entry = job.entry
        routed = self.new.request_for(entry)
        if routed is None:
            return failed_exchange(entry, Tier.NEW, attempt, entry.path, "no route on new for this request", 0.0)
        url = str(httpx.URL(routed[0], params=routed[1]))
        body = None if entry.body is None else json.dumps(entry.body).encode()
        headers = {"Content-Type": "application/json"} if body is not None else None

        def build() -> httpx.Request:
            return self.new_client.build_request(entry.method, url, content=body, headers=headers)

        return await self._exchange(Tier.NEW, attempt, job, url, build, self.new_client, adapter)

    async def _exchange(
        self,
        tier: Tier,
        attempt: int,
        job: MirrorJob,
        url: str,
        build: Callable[[], httpx.Request],
        client: httpx.AsyncClient,
        adapter: auth_mod.AuthAdapter,
    ) -> Exchange:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.options.timeout):
                if adapter.generation == 0:  # first use: log in once (the adapter's lock keeps it once)
                    await adapter.prepare(client)
                response = await auth_mod.send(client, adapter, build, stream=True)
                try:
                    raw = await read_raw(response, self.options.max_body_bytes)
                finally:
                    await response.aclose()
        except (httpx.HTTPError, TimeoutError, ChatmigrateError) as error:
            elapsed = round((time.perf_counter() - started) * 1000, 3)
            return failed_exchange(job.entry, tier, attempt, url, f"{type(error).__name__}: {error}", elapsed)
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        return exchange_of(job.entry, tier, attempt, url, response, raw, self.options.max_body_bytes, elapsed)

    async def aclose(self) -> None:
        await self.old.aclose()
        await self.new_client.aclose()
