"""The shadow as one ASGI app: primary path, status page, WebSocket pass-through, mirror workers, report cycle.

Reports come from the same engine as ``replay`` (compare the exchanges, judge under the config's limits,
write run.json and the reports), so ``chatmigrate report`` can re-render a shadow's results folder at any time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send

from chatmigrate import __version__, report
from chatmigrate.compare import compare_file
from chatmigrate.config import Config, ShadowConfig
from chatmigrate.records import RunResult, TargetInfo
from chatmigrate.replay import Target
from chatmigrate.results import EXCHANGES_FILE, claim, write_run
from chatmigrate.results import timestamp as _now
from chatmigrate.shadow.identity import SessionDirectory
from chatmigrate.shadow.mirror import Mirror
from chatmigrate.shadow.principals import Principals
from chatmigrate.shadow.proxy import PrimaryProxy
from chatmigrate.shadow.queue import MirrorQueue
from chatmigrate.shadow.sink import ExchangeSink
from chatmigrate.shadow.stats import LiveStats
from chatmigrate.shadow.status import PREFIX, status_document, status_page
from chatmigrate.shadow.websocket import relay_websocket
from chatmigrate.verdict import judge_run
from chatmigrate.vocab import Tier


class ShadowService:
    def __init__(
        self,
        config: Config,
        principals: Principals,
        options: ShadowConfig,
        *,
        results_dir: Path,
        reports_dir: Path | None = None,
    ) -> None:
        self.config = config
        self.options = options
        self.principals = principals
        self.results_dir = results_dir
        self.reports_dir = reports_dir or results_dir
        self.started_at = _now()
        self.reported_at = ""
        old = config.targets[Tier.OLD]
        claim(results_dir)
        self.sink = ExchangeSink(results_dir / EXCHANGES_FILE)
        self.queue = MirrorQueue(options.queue_size, options.max_queued_bytes)
        self.directory = SessionDirectory(options.session_cookie)
        self.stats = LiveStats()
        self.ws_counts: dict[str, int] = {"opened": 0, "frames": 0}
        self.old_base_url = old.base_url
        self.primary = PrimaryProxy(old.base_url, options, self.queue, self.directory, self.stats)
        self.mirror = Mirror(
            old_base_url=old.base_url,
            new=Target.from_config(config.targets[Tier.NEW], config.run),
            principals=principals,
            options=options,
            stats=self.stats,
            sink=self.sink,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._report_lock = asyncio.Lock()
        self.last_result: RunResult | None = None
        self.on_report: Callable[[RunResult], None] = lambda result: None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket":
            await relay_websocket(scope, receive, send, self.old_base_url, self.ws_counts)
        elif scope["path"].startswith(PREFIX):
            await self._status(scope, send)
        else:
            await self.primary(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self.mirror.work(self.queue)) for _ in range(self.options.workers)]
        self._tasks.append(asyncio.create_task(self._report_cycle()))

    async def stop(self) -> None:
        """Finish what is queued (for a while), write the final report, close everything."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.options.drain_seconds):
                await self.queue.drain()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.refresh()
        await self.primary.aclose()
        await self.mirror.aclose()
        self.sink.close()

    async def _report_cycle(self) -> None:
        while True:
            await asyncio.sleep(self.options.report_every)
            await self.refresh()

    async def refresh(self) -> RunResult:
        """Compare everything mirrored so far and rewrite run.json and the reports."""
        async with self._report_lock:
            self.sink.hold()
            try:
                result = await asyncio.to_thread(self._judge)
            finally:
                self.sink.release()
            self.stats.compared(result.endpoints)
            self.reported_at = result.finished_at
            self.last_result = result
            self.on_report(result)
            return result

    def _judge(self) -> RunResult:
        path = self.results_dir / EXCHANGES_FILE
        comparison = compare_file(path, self.config.ignore, self.config.compare, principal="each live user")
        result = comparison.into(
            RunResult(
                tool_version=__version__,
                started_at=self.started_at,
                targets=self._targets(),
                warnings=self._warnings(),
            )
        )
        result.finished_at = _now()
        judge_run(result, self.config.gate.limits, baseline_path=self.config.gate.baseline)
        write_run(result, self.results_dir)
        report.render(result, self.reports_dir, report.FORMATS, fail_on=self.config.gate.limits.fail_on)
        return result

    def _targets(self) -> list[TargetInfo]:
        new = self.config.targets[Tier.NEW]
        return [
            TargetInfo(Tier.OLD, self.old_base_url, "live sessions", "each user as they browse"),
            TargetInfo(Tier.NEW, new.base_url, "per-user credential", ", ".join(self.principals.names) or "anonymous"),
        ]

    def _warnings(self) -> list[str]:
        warnings = [f"shadow: {count} mirrors dropped ({reason})" for reason, count in self.queue.dropped.items()]
        skipped: dict[str, int] = {}
        for row in self.stats.rows():
            for reason, count in row.skipped.items():
                if not reason.startswith("dropped"):
                    skipped[reason] = skipped.get(reason, 0) + count
        warnings += [f"shadow: {count} requests not mirrored ({reason})" for reason, count in sorted(skipped.items())]
        if self.ws_counts["opened"]:
            warnings.append(
                f"shadow: {self.ws_counts['opened']} WebSocket connections passed through untouched "
                f"({self.ws_counts['frames']} frames), not mirrored"
            )
        return warnings

    def status(self) -> dict[str, Any]:
        document = status_document(self.stats, self.queue, self.options, reported_at=self.reported_at)
        document["websocket"] = dict(self.ws_counts)
        return document

    async def _status(self, scope: Scope, send: Send) -> None:
        document = self.status()
        if scope["path"].endswith(".json"):
            body, kind = json.dumps(document, indent=2).encode(), b"application/json"
        else:
            body, kind = status_page(document).encode(), b"text/html; charset=utf-8"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
