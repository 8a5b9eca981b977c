"""The replay runner: send every corpus entry to every side, twice, and stream the exchanges to disk.

Memory stays bounded whatever the corpus size or the target's answers: a body over
``max_body_bytes`` (on the wire or decoded) is recorded as ``too-large``, not read, and
each entry's exchanges are written (contiguously, flushed) as soon as it is
complete, so compare can stream the file and ``resume`` can pick up after a
crash or Ctrl-C. Retries are for transport failures only: an HTTP status,
whatever it is, is data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx

from chatmigrate import auth as auth_mod
from chatmigrate.bounded import ACCEPT_ENCODING, DEFAULT_MAX_BODY_BYTES, BodyTooLarge, describe, iter_bounded
from chatmigrate.config import ANONYMOUS, CHAT_PATH, Config, Principal, RunOptions, TargetConfig
from chatmigrate.corpus import shard as shard_entries
from chatmigrate.errors import CorpusError, TransportError, UsageError
from chatmigrate.records import CorpusEntry, Exchange, principal_id
from chatmigrate.redact import redact
from chatmigrate.responses import exchange_lines, record_response
from chatmigrate.results import EXCHANGES_FILE, ExchangeLog, Plan
from chatmigrate.vocab import Credential, Tier

ProgressCallback = Callable[[int, int], None]
"""``(done, total)`` entries: called once before the first request (``done`` counts resumed entries), then
after each entry. The runner only reports; drawing a bar is the caller's business."""


@dataclass(slots=True)
class Target:
    """One side as the runner sees it: where a canonical request goes and who we are there."""

    side: str
    base_url: str
    auth: auth_mod.AuthAdapter
    timeout: float
    path_map: dict[str, str] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)
    embedded: bool = False
    principal: str | None = None
    """A `[principals.<name>]` entry this side runs as; None for the target's own `[auth]` user."""
    credential: Credential = Credential.OWN

    @classmethod
    def from_config(
        cls, config: TargetConfig, run: RunOptions, *, principal: tuple[str, Principal] | None = None
    ) -> Target:
        timeout = config.timeout or run.timeout
        bounds = auth_mod.LoginBounds(max_body_bytes=run.max_body_bytes, timeout=timeout)
        auth_config = config.auth if principal is None else principal[1].auth_for(config.auth)
        return cls(
            side=config.side,
            base_url=config.base_url.rstrip("/"),
            auth=auth_mod.AnonymousAuth(ANONYMOUS)
            if auth_config is None
            else auth_mod.build_auth(auth_config, config.base_url, bounds=bounds),
            timeout=timeout,
            path_map=dict(config.path_map),
            routes=dict(config.routes),
            embedded=config.embedded,
            principal=None if principal is None else principal[0],
            credential=Credential.NONE if auth_config is None else Credential.OWN,
        )

    def refuse_login(self) -> None:
        """The side's login refused this principal: what it answers the anonymous is its answer to them."""
        self.auth = auth_mod.AnonymousAuth(self.auth.principal)
        self.credential = Credential.REFUSED_AT_LOGIN

    def request_for(self, entry: CorpusEntry) -> tuple[str, dict[str, str]] | None:
        """URL and query on this side, or None when this side has no such route (a proxy without it)."""
        if self.routes and entry.path == CHAT_PATH:
            route = self.routes.get(entry.query.get("request_type", "recent_messages"))
            if route is None or entry.method != "GET":
                return None
            return self.base_url + route, {k: v for k, v in entry.query.items() if k != "request_type"}
        return self.base_url + map_path(self.path_map, entry.path), dict(entry.query)


def map_path(path_map: dict[str, str], path: str) -> str:
    """Longest matching prefix wins, so ``/admin/chat/`` can map apart from ``/admin/``."""
    for prefix in sorted(path_map, key=len, reverse=True):
        if path.startswith(prefix):
            return path_map[prefix] + path[len(prefix) :]
    return path


def endpoint_key(entry: CorpusEntry) -> str:
    request_type = entry.query.get("request_type")
    suffix = f" [{request_type}]" if request_type else ""
    return f"{entry.method} {entry.path}{suffix}"


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    concurrency: int = 8
    rate_limit: float | None = None
    retries: int = 2
    backoff: float = 0.2
    repeats: int = 2
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    allow_writes: bool = False
    resume: bool = False
    shard: tuple[int, int] | None = None
    on_progress: ProgressCallback | None = None
    failure_threshold: int = 5
    recorded: Mapping[str, Sequence[Exchange]] = field(default_factory=dict)
    """Exchanges already recorded per entry id (a capture's answers from old): written with the entry's group,
    in place of calling the side they were recorded on."""

    @classmethod
    def from_run(cls, run: RunOptions, **changes: Any) -> ReplayOptions:
        return cls(
            concurrency=run.concurrency,
            rate_limit=run.rate_limit,
            retries=run.retries,
            backoff=run.backoff,
            repeats=run.repeats,
            max_body_bytes=run.max_body_bytes,
            **changes,
        )


@dataclass(slots=True)
class ReplaySummary:
    path: Path
    resumed: int = 0
    completed: int = 0
    exchanges: int = 0
    errors: int = 0


def targets_from_config(config: Config) -> list[Target]:
    return [Target.from_config(target, config.run) for target in config.targets.values()]


def principal_targets(config: Config, sides: Iterable[str]) -> list[Target]:
    """Every side in ``sides`` once more per `[principals.<name>]` entry, as that principal."""
    return [
        Target.from_config(config.targets[Tier(side)], config.run, principal=principal)
        for principal in config.principals.items()
        for side in sides
    ]


def as_principals(entries: Sequence[CorpusEntry], names: Collection[str]) -> list[CorpusEntry]:
    """The corpus, then its shared entries again as each principal (ids ``entry@name``, so each is its own
    entry). An entry that names its principal goes as that one only, and the name must be configured."""
    for entry in entries:
        if entry.principal is not None and entry.principal not in names:
            raise CorpusError(
                f"entry {entry.id!r} is to be sent as {entry.principal!r}, but no [principals.{entry.principal}] "
                "table configures that principal"
            )
    shared = [entry for entry in entries if entry.principal is None]
    expanded = [
        *entries,
        *(replace(entry, id=principal_id(entry.id, name), principal=name) for name in names for entry in shared),
    ]
    seen: set[str] = set()
    for entry in expanded:
        if entry.id in seen:
            raise CorpusError(
                f"entry id {entry.id!r} is also the id of an entry sent as a principal: rename it (ids ending in "
                "@<principal> are taken)"
            )
        seen.add(entry.id)
    return expanded


def run_replay(
    entries: Sequence[CorpusEntry], targets: Sequence[Target], out_dir: Path, options: ReplayOptions
) -> ReplaySummary:
    """Synchronous entry point; see ``replay``."""
    return asyncio.run(replay(entries, targets, out_dir, options))


async def replay(
    entries: Sequence[CorpusEntry], targets: Sequence[Target], out_dir: Path, options: ReplayOptions
) -> ReplaySummary:
    """Replay ``entries`` on every target into ``out_dir/exchanges.jsonl``; returns what was done."""
    if options.shard is not None:
        entries = shard_entries(entries, *options.shard)
    plans: Plan = {entry.id: planned_requests(entry, targets, options.repeats) for entry in entries}
    log = ExchangeLog(out_dir, plans, resume=options.resume)
    pending = [entry for entry in entries if entry.id not in log.done]
    _check_writes(pending, targets, options.allow_writes)
    summary = ReplaySummary(path=out_dir / EXCHANGES_FILE, resumed=len(log.done))
    with log:
        run = _Run(targets, options, log, summary, total=len(entries))
        async with contextlib.AsyncExitStack() as stack:
            for target in targets:
                if target.side not in run.clients:
                    run.clients[target.side] = await stack.enter_async_context(open_client(target, options.concurrency))
            await run.login()
            run.report_progress()
            await run.execute(pending)
    return summary


def planned_requests(entry: CorpusEntry, targets: Sequence[Target], repeats: int) -> list[tuple[str, int]]:
    """(side, attempt) pairs an entry produces: what a complete entry looks like on disk."""
    return [
        (target.side, attempt)
        for target in _targets_of(entry, targets)
        if target.request_for(entry) is not None
        for attempt in range(attempts(entry, repeats))
    ]


def attempts(entry: CorpusEntry, repeats: int) -> int:
    """A further principal's entries are sent once: noise is learned per endpoint from the targets' own user."""
    return repeats if entry.principal is None else 1


def _targets_of(entry: CorpusEntry, targets: Sequence[Target]) -> list[Target]:
    return [target for target in targets if target.principal == entry.principal]


def _check_writes(entries: Iterable[CorpusEntry], targets: Sequence[Target], allow_writes: bool) -> None:
    unsafe = [entry for entry in entries if entry.unsafe]
    outside = [target.side for target in targets if not target.embedded]
    if unsafe and outside and not allow_writes:
        first = unsafe[0]
        raise UsageError(
            f"{len(unsafe)} corpus entries change state (first: {first.id!r}, {first.method} "
            f"{first.path}) and target {outside[0]} is not the embedded server: "
            "pass --allow-writes to send them"
        )


def open_client(target: Target, concurrency: int) -> httpx.AsyncClient:
    """Cookies are the auth adapter's business: the client's own jar accepts none."""
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(target.timeout),
        follow_redirects=False,
        cookies=jar,
        limits=limits,
        headers={"Accept-Encoding": ACCEPT_ENCODING},
    )


class _Pacer:
    """Spaces request starts evenly: a rate limit without bursts."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next_slot = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        slot = max(now, self.next_slot)
        self.next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


class _Abort(Exception):
    """A side failed at the transport level too many times in a row: the run cannot go on."""


class _Run:
    def __init__(
        self, targets: Sequence[Target], options: ReplayOptions, log: ExchangeLog, summary: ReplaySummary, total: int
    ):
        self.targets = targets
        self.options = options
        self.log = log
        self.summary = summary
        self.total = total
        self.finished = summary.resumed
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.semaphore = asyncio.Semaphore(options.concurrency)
        self.pacer = _Pacer(options.rate_limit)
        self.failures = {target.side: 0 for target in targets}
        self.held: list[list[Exchange]] = []

    async def login(self) -> None:
        """A login that fails at the transport level is retried like a request. A refusal of the targets' own
        user is a config error; a further principal's is an outcome, and it goes on without a credential."""
        for target in self.targets:
            for retry in range(self.options.retries + 1):
                if retry:
                    await asyncio.sleep(self.options.backoff * 2 ** (retry - 1))
                try:
                    await target.auth.prepare(self.clients[target.side])
                    break
                except auth_mod.AuthFailed:
                    if target.principal is None:
                        raise
                    target.refuse_login()
                    break
                except TransportError as error:
                    if retry == self.options.retries:
                        who = f" as principal {target.principal!r}" if target.principal else ""
                        raise TransportError(f"cannot log in on target {target.side}{who}: {error}") from None

    def report_progress(self) -> None:
        if self.options.on_progress is not None:
            self.options.on_progress(self.finished, self.total)

    async def execute(self, entries: Sequence[CorpusEntry]) -> None:
        queue = iter(entries)
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self.options.concurrency * len(self.targets), len(entries))):
                    group.create_task(self._worker(queue))
        except BaseExceptionGroup as failure:
            first = _first_leaf(failure)
            if isinstance(first, _Abort):
                kept = self.summary.resumed + self.summary.completed
                raise TransportError(
                    f"{first}; {kept} complete entries kept in {self.summary.path}; "
                    "fix the target and rerun with --resume"
                ) from None
            raise first from None
        for exchanges in self.held:
            self._write(exchanges)

    async def _worker(self, queue: Iterator[CorpusEntry]) -> None:
        for entry in queue:
            exchanges = await self._entry(entry)
            if any(exchange.status is None for exchange in exchanges):
                self.held.append(exchanges)
            else:
                self._write(exchanges)
            self.finished += 1
            self.report_progress()

    def _write(self, exchanges: list[Exchange]) -> None:
        self.log.write(exchange_lines(exchanges))
        self.summary.completed += 1
        self.summary.exchanges += len(exchanges)
        self.summary.errors += sum(1 for exchange in exchanges if exchange.error)

    async def _entry(self, entry: CorpusEntry) -> list[Exchange]:
        async def side(target: Target) -> list[Exchange]:
            request = target.request_for(entry)
            if request is None:
                return []
            url = httpx.URL(request[0], params=request[1])
            return [
                await self._exchange(target, entry, attempt, url)
                for attempt in range(attempts(entry, self.options.repeats))
            ]

        per_side = await asyncio.gather(*(side(target) for target in _targets_of(entry, self.targets)))
        return [
            *self.options.recorded.get(entry.id, ()),
            *(exchange for exchanges in per_side for exchange in exchanges),
        ]

    async def _exchange(self, target: Target, entry: CorpusEntry, attempt: int, url: httpx.URL) -> Exchange:
        client = self.clients[target.side]
        record = Exchange(
            entry_id=entry.id,
            side=target.side,
            attempt=attempt,
            method=entry.method,
            url=redact(str(url)),
            endpoint=endpoint_key(entry),
            principal=entry.principal,
            credential=target.credential,
        )

        def build() -> httpx.Request:
            body = None if entry.body is None else json.dumps(entry.body).encode()
            headers = {"Content-Type": "application/json"} if body is not None else None
            return client.build_request(entry.method, url, content=body, headers=headers)

        for retry in range(self.options.retries + 1):
            if retry:
                await asyncio.sleep(self.options.backoff * 2 ** (retry - 1))
            await self.pacer.wait()
            async with self.semaphore:
                record.error, record.elapsed_ms = None, 0.0
                started = time.perf_counter()
                data = bytearray()
                try:
                    async with asyncio.timeout(target.timeout):
                        response = await auth_mod.send(client, target.auth, build, stream=True)
                        try:
                            async for piece in iter_bounded(response, self.options.max_body_bytes):
                                data += piece
                        finally:
                            await response.aclose()
                except BodyTooLarge as error:
                    record.error = str(error)
                except (httpx.TransportError, TimeoutError, TransportError) as error:
                    record.error = f"transport: {_describe(error)}"
                    record.elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
                    continue
                except httpx.DecodingError as error:
                    record.error = f"undecodable body: {_describe(error)}"
            record.elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
            record_response(record, response, data)
            self.failures[target.side] = 0
            return record
        self._count_failure(target, record)
        return record

    def _count_failure(self, target: Target, record: Exchange) -> None:
        self.failures[target.side] += 1
        if self.failures[target.side] >= self.options.failure_threshold:
            raise _Abort(
                f"target {target.side} ({target.base_url}) is failing at the transport level: "
                f"{self.failures[target.side]} requests in a row, last {record.error}"
            )


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def _describe(error: BaseException) -> str:
    return redact(describe(error))
