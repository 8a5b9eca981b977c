"""``chatmigrate replay``: the parity suite from the command line, one summary line, exit 0/1/2/3."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from chatmigrate.cli._app import app
from chatmigrate.cli._options import config_overrides
from chatmigrate.corpus import parse_shard
from chatmigrate.parity import ParityOutcome, run_parity
from chatmigrate.progress import progress_bar
from chatmigrate.records import Verdict
from chatmigrate.redact import redact
from chatmigrate.targets import open_targets
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


@app.command("replay")
def replay_command(
    config: Path | None = typer.Option(None, "--config", "-c", help="chatmigrate.toml [default: discovered]."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Corpus file (YAML or JSONL) [default: run.corpus]."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Results folder [default: run.output_dir]."),
    shard: str | None = typer.Option(None, "--shard", help="Run shard K of N (1-based), e.g. 2/4."),
    resume: bool = typer.Option(False, "--resume", help="Skip entries already complete in exchanges.jsonl."),
    allow_writes: bool = typer.Option(False, "--allow-writes", help="Send unsafe entries to non-embedded targets."),
    settings: list[str] = typer.Option([], "--set", help="Override any config key: KEY=VALUE (repeatable)."),
    concurrency: int | None = typer.Option(None, "--concurrency", help="Requests in flight."),
    rate_limit: float | None = typer.Option(None, "--rate-limit", help="Requests per second (0: unlimited)."),
    timeout: str | None = typer.Option(None, "--timeout", help="Per-request timeout, e.g. 10s."),
    retries: int | None = typer.Option(None, "--retries", help="Retries for transport errors only."),
    repeats: int | None = typer.Option(None, "--repeats", help="Calls per entry and side (2 learns noise)."),
    fail_on: str | None = typer.Option(None, "--fail-on", help="Lowest severity that fails the run."),
    max_findings: int | None = typer.Option(None, "--max-findings", help="Failing findings tolerated."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Accepted findings (chatmigrate baseline)."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Progress bar [default: on a TTY]."),
) -> int:
    """Replay the corpus against old and new (and proxy), compare, and gate on the findings."""
    flags = {
        "run.concurrency": concurrency,
        "run.rate_limit": rate_limit,
        "run.timeout": timeout,
        "run.retries": retries,
        "run.repeats": repeats,
    }
    overrides = config_overrides(settings, flags, fail_on=fail_on, max_findings=max_findings, baseline=baseline)
    shard_spec = parse_shard(shard) if shard else None
    with open_targets(config, overrides) as (loaded, server), progress_bar(progress) as on_progress:
        if server is not None:
            typer.echo("chatmigrate: no config found: replaying against the embedded reference server", err=True)
        outcome = run_parity(
            loaded,
            corpus=corpus,
            out_dir=out,
            resume=resume,
            shard=shard_spec,
            allow_writes=allow_writes,
            progress=on_progress,
        )
        verdict = outcome.verdict
        typer.echo(summary_line(outcome, verdict, loaded.gate.limits.fail_on))
    if outcome.transport_error:
        print(f"chatmigrate: error: {redact(outcome.transport_error)}", file=sys.stderr)
    return verdict.exit_code
