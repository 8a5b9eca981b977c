"""The auth-failure audit: named cases, token mutation and a contract run against every tier.

``run_audit(target, options)`` is the whole library API; the CLI and the gate are
thin layers over it. Each HTTP tier is calibrated first (its acceptance and its certain
refusals). The catalogue then runs while token mutation and the contract run (blocking
libraries) share one worker thread; the persistence case runs after all of them, to
show the genuine credentials survived.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chatmigrate.audit.calibrate import Calibration, calibrate
from chatmigrate.audit.canary import Canary
from chatmigrate.audit.catalogue import CASES, CONTRACT, MUTATION, Case
from chatmigrate.audit.context import AuditContext, no_cookie_client
from chatmigrate.audit.contract import ContractOutcome, run_contract
from chatmigrate.audit.engine import CaseRun, execute, judge_runs, median_latency, sender
from chatmigrate.audit.findings import (
    contract_records,
    findings_of,
    legacy_notes,
    mutation_records,
    result_of,
    shape_findings,
)
from chatmigrate.audit.mutate import MutationOutcome, run_mutation, scratch_storage
from chatmigrate.audit.rules import JudgeContext
from chatmigrate.audit.target import (
    SEED_CONTRACT,
    AuditOptions,
    AuditOutcome,
    AuditTarget,
    Principal,
    embedded_target,
    require_named_tiers,
)
from chatmigrate.contracts import openapi_contract, tier_contract
from chatmigrate.vocab import Tier

CONTRACT_TIER = "jwt"
NO_CONTRACT = (
    'no contract is declared for the JWT API: set [contracts] jwt to "seed" (the built-in seed contract) '
    "or to the path of your own OpenAPI document"
)

__all__ = ["AuditOptions", "AuditOutcome", "AuditTarget", "Principal", "embedded_target", "run_audit"]


def run_audit(target: AuditTarget, options: AuditOptions | None = None) -> AuditOutcome:
    options = options or AuditOptions()
    require_named_tiers(target, options)
    return asyncio.run(_run(target, options))


def selected_cases(options: AuditOptions) -> list[Case]:
    return [case for case in CASES if _wanted(options, case)]


async def _run(target: AuditTarget, options: AuditOptions) -> AuditOutcome:
    cases = selected_cases(options)
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(no_cookie_client(options.timeout, options.concurrency))
        ctx = AuditContext(target, options, client)
        await ctx.prepare()
        if ctx.forge is not None:
            ctx.canary = await stack.enter_async_context(Canary(ctx.forge.attacker))
        send = sender(ctx)
        calibrations = await calibrate(ctx, send)
        runs, (mutation, contract) = await asyncio.gather(
            execute(ctx, [case for case in cases if not (case.last or case.alone)], send),
            asyncio.to_thread(_generated, ctx, calibrations),
        )
        for case in (case for case in cases if case.alone):
            runs += await execute(ctx, [case], send)
        runs += await execute(ctx, [case for case in cases if case.last], send)
        fetched = frozenset(ctx.canary.fetched) if ctx.canary else frozenset()
    judge_runs(runs, _judge_context(ctx, calibrations, runs, fetched))
    outcome = AuditOutcome(findings=[], results=[], warnings=[])
    for run in runs:
        outcome.results.append(result_of(run))
        outcome.findings.extend(findings_of(run, target, ctx.placeholders))
    outcome.findings.extend(shape_findings(runs, target, ctx.placeholders))
    outcome.findings.extend(legacy_notes(runs))
    outcome.transport_error = unreachable(runs)
    if mutation is not None:
        result, found = mutation_records(mutation, target, ctx.placeholders)
        outcome.results.append(result)
        outcome.findings.extend(found)
        outcome.mutation_examples = mutation.examples
    if contract is not None:
        result, found = contract_records(contract, target, ctx.placeholders)
        outcome.results.append(result)
        outcome.findings.extend(found)
        outcome.contract_operations = contract.operations
        outcome.warnings.extend(contract.errors)
    outcome.findings.sort(key=lambda finding: (-finding.severity.rank, finding.subject, finding.tier or ""))
    return outcome


def _generated(
    ctx: AuditContext, calibrations: dict[Tier, Calibration]
) -> tuple[MutationOutcome | None, ContractOutcome | None]:
    """Hypothesis, then schemathesis, in one worker thread beside the catalogue's requests.

    One thread, not two: both libraries import and parse code lazily, and parsing in two
    threads at once is not safe on every Python 3.11 build.
    """
    with scratch_storage():
        return _mutation(ctx, _judge_context(ctx, calibrations, [])), _contract(ctx)


def unreachable(runs: list[CaseRun]) -> str | None:
    tiers = sorted({run.tier for run in runs for item in run.probes if item.observation.unreachable})
    return f"connection refused on the {', '.join(tiers)} tier(s) during the audit" if tiers else None


def _judge_context(
    ctx: AuditContext, calibrations: dict[Tier, Calibration], runs: list[CaseRun], fetched: frozenset[str] = frozenset()
) -> JudgeContext:
    secrets = tuple(value for value in (ctx.token, ctx.forbidden_token) if value)
    secrets += tuple(value.rsplit(".", 1)[-1] for value in secrets)
    return JudgeContext(
        median_ms=median_latency(runs),
        delay_margin_ms=ctx.options.delay_margin_ms,
        markers=ctx.markers,
        secrets=secrets,
        login_path=ctx.target.login_path,
        ws_url_severity=ctx.options.ws_url_mode_severity,
        fetched=fetched,
        calibrations=calibrations,
        declared_refusal=_declared_refusal(ctx.target),
    )


def _declared_refusal(target: AuditTarget) -> Callable[[int, Any], list[str]] | None:
    """The declared JWT contract's check of a refusal of the chat operation (the proxy serves the same API)."""
    declared = target.jwt_contract
    if declared is None:
        return None
    contract = tier_contract(CONTRACT_TIER) if declared == SEED_CONTRACT else openapi_contract(Path(declared))
    return functools.partial(contract.violations, "GET", target.new_chat_path)


def _wanted(options: AuditOptions, case: Case) -> bool:
    return (not options.cases or case.id in options.cases) and (not options.groups or case.group in options.groups)


def _mutation(ctx: AuditContext, context: JudgeContext) -> MutationOutcome | None:
    if (
        not _wanted(ctx.options, MUTATION)
        or ctx.forge is None
        or Tier.NEW not in ctx.options.tiers
        or not ctx.target.new_url
        or ctx.options.budget <= 0
    ):
        return None
    return run_mutation(
        ctx.forge,
        ctx.chat_url(Tier.NEW),
        ctx.target.leeway,
        context,
        seed=ctx.options.seed,
        budget=ctx.options.budget,
        timeout=ctx.options.timeout,
        max_body_bytes=ctx.options.max_body_bytes,
        remember=ctx.remember,
    )


def _contract(ctx: AuditContext) -> ContractOutcome | None:
    if (
        not _wanted(ctx.options, CONTRACT)
        or not ctx.options.contract
        or ctx.token is None
        or Tier.NEW not in ctx.options.tiers
        or not ctx.target.new_url
    ):
        return None
    declared = ctx.target.jwt_contract
    if declared is None:
        return ContractOutcome(not_applicable=NO_CONTRACT)
    return run_contract(
        ctx.target.new_url,
        ctx.token,
        chatroom_id=ctx.chatroom_id,
        seed=ctx.options.seed,
        examples=ctx.options.contract_examples,
        allow_writes=ctx.target.allow_writes,
        document=None if declared == SEED_CONTRACT else Path(declared),
    )
