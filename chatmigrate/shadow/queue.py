"""The bounded mirror queue: the user's request never waits for it; when it is full, mirrors are dropped and counted."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import httpx

from chatmigrate.records import CorpusEntry


@dataclass(slots=True)
class Primary:
    """Old's answer to the user, as it was sent: parsed only later, by a mirror worker, off the request path."""

    url: str
    response: httpx.Response
    raw: tuple[bytes, bool]
    elapsed_ms: float


@dataclass(slots=True)
class MirrorJob:
    entry: CorpusEntry
    user: str
    primary: Primary
    headers: list[tuple[bytes, bytes]]
    """The original request headers (cookies included), held in memory only to call old a second time."""
    content: bytes
    target: bytes
    """The request target (path and query) exactly as the user sent it, for calling old a second time."""
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = len(self.content) + len(self.primary.raw[0]) + sum(len(k) + len(v) for k, v in self.headers)


class MirrorQueue:
    """``offer`` never blocks: it queues the job or drops it (queue full, or the bytes held would pass the bound)."""

    def __init__(self, size: int, max_bytes: int) -> None:
        self._queue: asyncio.Queue[MirrorJob] = asyncio.Queue(maxsize=size)
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self.offered = 0
        self.dropped: Counter[str] = Counter()

    def offer(self, job: MirrorJob) -> bool:
        self.offered += 1
        if self.held_bytes + job.size > self.max_bytes:
            self.dropped["memory bound"] += 1
            return False
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self.dropped["queue full"] += 1
            return False
        self.held_bytes += job.size
        return True

    async def take(self) -> MirrorJob:
        return await self._queue.get()

    def done(self, job: MirrorJob) -> None:
        self.held_bytes -= job.size
        self._queue.task_done()

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    async def drain(self) -> None:
        await self._queue.join()
