"""Running catalogue cases over HTTP and WebSocket, then judging every answer against the pass rule.

Cases run concurrently (bounded); judging waits until all answers are in because
the injected-delay rule compares each timed probe with the median latency of
the whole run.
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass, field

from chatmigrate.audit.catalogue import Case
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import HttpObservation, HttpProbe, NotApplicable, Observation, Probe, WsProbe
from chatmigrate.audit.rules import JudgeContext, Violation, judge
from chatmigrate.audit.transport import send_http, send_ws
from chatmigrate.vocab import Tier


@dataclass(slots=True)
class ProbeRun:
    probe: Probe
    observation: Observation
    violations: list[Violation] = field(default_factory=list)


@dataclass(slots=True)
class CaseRun:
    case: Case
    tier: Tier
    probes: list[ProbeRun] = field(default_factory=list)
    not_applicable: str | None = None


def applicable_tiers(case: Case, ctx: AuditContext) -> list[Tier]:
    return [tier for tier in case.tiers if tier in ctx.options.tiers and ctx.target.url_of(tier)]


async def execute(ctx: AuditContext, cases: list[Case]) -> list[CaseRun]:
    gate = asyncio.Semaphore(ctx.options.concurrency)

    async def send(probe: Probe) -> Observation:
        async with gate:
            if isinstance(probe, WsProbe):
                return await send_ws(probe, ctx.options.timeout)
            return await send_http(ctx.client, probe, ctx.options.timeout)

    async def run(case: Case, tier: Tier) -> CaseRun:
        try:
            built = await case.build(ctx, tier)
        except LookupError as missing:
            built = NotApplicable(str(missing))
        if isinstance(built, NotApplicable):
            return CaseRun(case, tier, not_applicable=built.reason)
        for probe in built:
            if probe.note is not None and probe.note.real_key and probe.token:
                ctx.remember(probe.token, "FORGED_TOKEN")
        observations = await asyncio.gather(*(send(probe) for probe in built))
        runs = [ProbeRun(probe, seen) for probe, seen in zip(built, observations, strict=True)]
        return CaseRun(case, tier, runs)

    return list(await asyncio.gather(*(run(case, tier) for case in cases for tier in applicable_tiers(case, ctx))))


def median_latency(runs: list[CaseRun]) -> float:
    """Median of answered, untimed HTTP probes: the baseline an injected delay stands out against."""
    samples = [
        item.observation.elapsed_ms
        for run in runs
        for item in run.probes
        if isinstance(item.observation, HttpObservation)
        and item.observation.error is None
        and isinstance(item.probe, HttpProbe)
        and not item.probe.timed
    ]
    return statistics.median(samples) if samples else 0.0


def judge_runs(runs: list[CaseRun], context: JudgeContext) -> None:
    for run in runs:
        for item in run.probes:
            item.violations = judge(run.tier, item.probe, item.observation, context)
