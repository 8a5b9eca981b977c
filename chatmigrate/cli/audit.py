"""``chatmigrate audit``: the auth-failure audit from the command line, one summary line, exit 0/1/2/3.

It is judged and reported like ``chatmigrate gate``: the config's ``[gate]`` limits and baseline,
``run.json`` in the results folder, the reports in ``--out``.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console

from chatmigrate import report
from chatmigrate.audit import AuditOutcome, embedded_target
from chatmigrate.audit.catalogue import by_id, listing
from chatmigrate.audit.target import audit_options_from_config, target_from_config
from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.cli._requests import AuditRequest, ReportsRequest, TargetsRequest
from chatmigrate.errors import UsageError
from chatmigrate.gate import run_audit_suite
from chatmigrate.records import Verdict
from chatmigrate.redact import redact
from chatmigrate.results import RUN_FILE
from chatmigrate.vocab import AuditState, Severity


def summary_line(outcome: AuditOutcome, verdict: Verdict, seconds: float, run_file: Path, reports: list[Path]) -> str:
    results = outcome.results
    states = Counter(result.state for result in results)
    counts = Counter(finding.severity for finding in outcome.findings)
    by_severity = ", ".join(f"{counts.get(severity, 0)} {severity.value}" for severity in Severity)
    state = "passed" if verdict.passed else "FAILED"
    html = next((f"; report {path}" for path in reports if path.suffix == ".html"), "")
    return redact(
        f"audit {state}: {len(results)} case results ({states[AuditState.PASS]} safe, "
        f"{states[AuditState.FAIL]} failed, {states[AuditState.KNOWN_LEGACY]} known-legacy, "
        f"{states[AuditState.NOT_APPLICABLE]} not applicable); "
        f"findings: {by_severity}; {verdict.reason}; "
        f"{outcome.mutation_examples} mutation examples, {outcome.contract_operations} contract operations; "
        f"{seconds:.1f}s; results in {run_file}{html}"
    )


@contextlib.contextmanager
def working(enabled: bool | None, label: str) -> Iterator[None]:
    """A spinner on stderr while the audit runs (it reports no count), when a human is watching."""
    if not (sys.stderr.isatty() if enabled is None else enabled):
        yield
        return
    with Console(stderr=True).status(label):
        yield


@app.command(
    "audit",
    epilog=opt.examples(
        "chatmigrate audit --list",
        "chatmigrate audit --flaw alg-none --budget 20 --results audit -o audit-reports",
        "chatmigrate audit --config chatmigrate.toml --target new --target proxy --fail-on high",
    ),
)
def audit_command(
    ctx: typer.Context,
    config: opt.ConfigFile = None,
    target: opt.AuditTiers = None,
    flaw: opt.Flaws = None,
    ws_auth: opt.WsAuthMode = None,
    seed: opt.Seed = None,
    budget: opt.Budget = None,
    contract: opt.Contract = None,
    ws_url_strict: opt.WsUrlStrict = False,
    allow_writes: opt.AllowWrites = False,
    results: opt.Results = None,
    out: opt.Reports = Path("reports"),
    formats: opt.Formats = ",".join(report.FORMATS),
    settings: opt.Settings = None,
    fail_on: opt.FailOn = None,
    max_findings: opt.MaxFindings = None,
    baseline: opt.Baseline = None,
    case: list[str] | None = typer.Option(None, "--case", help="Only this case id (repeatable)."),
    list_cases: bool = typer.Option(False, "--list", help="Print every case, one per line."),
    step_summary: opt.StepSummary = None,
    progress: opt.Progress = None,
    debug: opt.Debug = False,
) -> int:
    """Fuzz the auth error paths of every tier, write run.json and every report, and gate on the findings."""
    if list_cases:
        for line in listing():
            typer.echo(line)
        return 0
    unknown = [name for name in case or [] if name not in by_id()]
    if unknown:
        raise UsageError(f"unknown case {', '.join(unknown)} (see 'chatmigrate audit --list')")
    targets = TargetsRequest(config, opt.settings_overrides(ctx, settings), flaws=tuple(flaw or ()), ws_auth=ws_auth)
    reports = ReportsRequest.parse(out, formats, step_summary)
    return audit(AuditRequest(targets, reports, frozenset(case or ()), allow_writes, progress))


def audit(request: AuditRequest) -> int:
    started = time.perf_counter()
    with request.targets.open() as (loaded, server):
        if server is not None:
            typer.echo("chatmigrate: no config found: auditing the embedded reference server", err=True)
        audit_target = (
            embedded_target(server) if server else target_from_config(loaded, allow_writes=request.allow_writes)
        )
        options = audit_options_from_config(loaded, cases=request.cases or None)
        with working(request.progress, "auditing"):
            gated = run_audit_suite(
                loaded,
                audit_target,
                options,
                reports_dir=request.reports.out,
                formats=request.reports.formats,
                step_summary=request.reports.step_summary,
            )
    outcome = gated.audit
    assert outcome is not None
    verdict = gated.verdict
    run_file = gated.results_dir / RUN_FILE
    typer.echo(summary_line(outcome, verdict, time.perf_counter() - started, run_file, gated.reports))
    if outcome.transport_error:
        print(f"chatmigrate: error: {redact(outcome.transport_error)}", file=sys.stderr)
    return verdict.exit_code
