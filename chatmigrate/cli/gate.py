"""``chatmigrate gate``: replay + audit + reports, exit 0/1/2/3; with no config, against the embedded server."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from chatmigrate import report
from chatmigrate.audit import embedded_target
from chatmigrate.audit.target import audit_options_from_config, target_from_config
from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.cli._requests import GateRequest, ReplayRequest, ReportsRequest, TargetsRequest, shard_of
from chatmigrate.gate import GateOutcome, run_gate
from chatmigrate.progress import progress_bar
from chatmigrate.redact import redact
from chatmigrate.vocab import ExitCode


def summary_line(outcome: GateOutcome) -> str:
    result, verdict = outcome.result, outcome.verdict
    state = "passed" if verdict.passed else "FAILED"
    html = next((str(path) for path in outcome.reports if path.suffix == ".html"), "")
    return redact(
        f"gate {state} (exit {verdict.exit_code}): {verdict.reason}; {len(result.entries)} entries, "
        f"{len(result.audit)} audit results, {len(result.findings)} findings in all; "
        f"results in {outcome.results_dir}" + (f"; report {html}" if html else "")
    )


@app.command(
    "gate",
    epilog=opt.examples(
        "chatmigrate gate",
        "chatmigrate gate --config chatmigrate.toml --results results -o reports --fail-on high",
        "chatmigrate gate --drift purchases-key --flaw html-401 -o reports/bad",
    ),
)
def gate_command(
    ctx: typer.Context,
    config: opt.ConfigFile = None,
    corpus: opt.Corpus = None,
    results: opt.Results = None,
    out: opt.Reports = Path("reports"),
    formats: opt.Formats = ",".join(report.FORMATS),
    shard: opt.Shard = None,
    resume: opt.Resume = False,
    allow_writes: opt.AllowWrites = False,
    settings: opt.Settings = None,
    fail_on: opt.FailOn = None,
    max_findings: opt.MaxFindings = None,
    baseline: opt.Baseline = None,
    drift: opt.Drifts = None,
    flaw: opt.Flaws = None,
    ws_auth: opt.WsAuthMode = None,
    audit: bool = typer.Option(True, "--audit/--no-audit", help="Run the auth-failure audit too."),
    seed: opt.Seed = None,
    budget: opt.Budget = None,
    step_summary: opt.StepSummary = None,
    progress: opt.Progress = None,
    debug: opt.Debug = False,
) -> int:
    """Replay old vs new, audit the auth error paths, write every report and exit 0/1/2/3."""
    targets = TargetsRequest(
        config, opt.settings_overrides(ctx, settings), tuple(drift or ()), tuple(flaw or ()), ws_auth
    )
    replay = ReplayRequest(targets, shard_of(shard), resume, allow_writes, progress)
    return gate(GateRequest(replay, ReportsRequest.parse(out, formats, step_summary), audit))


def gate(request: GateRequest) -> int:
    replay = request.replay
    with replay.targets.open() as (loaded, server):
        if server is not None:
            typer.echo("chatmigrate: no config found: gating the embedded reference server", err=True)
        target = embedded_target(server) if server else target_from_config(loaded, allow_writes=replay.allow_writes)
        with progress_bar(replay.progress) as on_progress:
            outcome = run_gate(
                loaded,
                target if request.audit else None,
                reports_dir=request.reports.out,
                formats=request.reports.formats,
                step_summary=request.reports.step_summary,
                shard=replay.shard,
                resume=replay.resume,
                allow_writes=replay.allow_writes,
                audit_options=audit_options_from_config(loaded),
                progress=on_progress,
            )
    typer.echo(summary_line(outcome))
    if outcome.verdict.exit_code == ExitCode.TRANSPORT:
        print(f"chatmigrate: error: {redact(outcome.verdict.reason)}", file=sys.stderr)
    return outcome.verdict.exit_code
