"""``chatmigrate replay``: the parity suite from the command line, one summary line, exit 0/1/2/3."""

from __future__ import annotations

import sys

import typer

from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.cli._requests import ReplayRequest, TargetsRequest, shard_of
from chatmigrate.parity import ParityOutcome, run_parity
from chatmigrate.progress import progress_bar
from chatmigrate.recorded import load_gor
from chatmigrate.records import Verdict
from chatmigrate.redact import redact
from chatmigrate.vocab import Severity


def summary_line(outcome: ParityOutcome, verdict: Verdict, fail_on: Severity) -> str:
    result = outcome.result
    replay = outcome.replay
    done = f"{len(result.entries)} entries"
    if replay is not None:
        done += f" ({replay.resumed} resumed), {replay.exchanges} new exchanges, {replay.errors} errors"
    gating = sum(1 for finding in result.findings if finding.severity.rank >= fail_on.rank)
    principals = " ".join(f"{target.side}={target.principal}" for target in result.targets)
    state = "passed" if verdict.passed else "FAILED"
    return redact(
        f"replay {state}: {done}; {gating} of {len(result.findings)} findings at or above {fail_on.value}; "
        f"as {principals}; {verdict.reason}; results in {outcome.results_dir}"
    )


@app.command(
    "replay",
    epilog=opt.examples(
        "chatmigrate replay",
        "chatmigrate replay --config chatmigrate.toml --corpus corpus.yaml --results results",
        "chatmigrate replay --config chatmigrate.toml --recorded capture.gor",
    ),
)
def replay_command(
    ctx: typer.Context,
    config: opt.ConfigFile = None,
    corpus: opt.Corpus = None,
    recorded: opt.Recorded = None,
    results: opt.Results = None,
    shard: opt.Shard = None,
    resume: opt.Resume = False,
    allow_writes: opt.AllowWrites = False,
    settings: opt.Settings = None,
    concurrency: opt.Concurrency = None,
    rate_limit: opt.RateLimit = None,
    timeout: opt.Timeout = None,
    retries: opt.Retries = None,
    repeats: opt.Repeats = None,
    fail_on: opt.FailOn = None,
    max_findings: opt.MaxFindings = None,
    baseline: opt.Baseline = None,
    progress: opt.Progress = None,
    debug: opt.Debug = False,
) -> int:
    """Replay the corpus against old and new (and proxy), compare, and gate on the findings."""
    request = ReplayRequest(
        targets=TargetsRequest(config, opt.settings_overrides(ctx, settings)),
        shard=shard_of(shard),
        resume=resume,
        allow_writes=allow_writes,
        progress=progress,
        recorded=recorded,
    )
    return replay(request)


def replay(request: ReplayRequest) -> int:
    with request.targets.open() as (loaded, server), progress_bar(request.progress) as on_progress:
        if server is not None:
            typer.echo("chatmigrate: no config found: replaying against the embedded reference server", err=True)
        outcome = run_parity(
            loaded,
            recorded=load_gor(request.recorded, max_body_bytes=loaded.run.max_body_bytes) if request.recorded else None,
            resume=request.resume,
            shard=request.shard,
            allow_writes=request.allow_writes,
            progress=on_progress,
        )
        verdict = outcome.verdict
        typer.echo(summary_line(outcome, verdict, loaded.gate.limits.fail_on))
    if outcome.transport_error:
        print(f"chatmigrate: error: {redact(outcome.transport_error)}", file=sys.stderr)
    return verdict.exit_code
