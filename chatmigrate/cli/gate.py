"""``chatmigrate gate``: replay + audit + reports, exit 0/1/2/3; with no config, against the embedded server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from chatmigrate import report
from chatmigrate.audit import AuditOptions, embedded_target
from chatmigrate.audit.target import audit_options_from_config, target_from_config
from chatmigrate.cli._app import app
from chatmigrate.cli._options import config_overrides
from chatmigrate.corpus import parse_shard
from chatmigrate.gate import GateOutcome, run_gate
from chatmigrate.progress import progress_bar
from chatmigrate.redact import redact
from chatmigrate.report.markdown import step_summary_path
from chatmigrate.targets import open_targets


def summary_line(outcome: GateOutcome) -> str:
    result, verdict = outcome.result, outcome.verdict
    state = "passed" if verdict.passed else "FAILED"
    html = next((str(path) for path in outcome.reports if path.suffix == ".html"), "")
    return redact(
        f"gate {state} (exit {verdict.exit_code}): {verdict.reason}; {len(result.entries)} entries, "
        f"{len(result.audit)} audit results, {len(result.findings)} findings in all; "
        f"results in {outcome.results_dir}" + (f"; report {html}" if html else "")
    )


@app.command("gate")
def gate_command(
    config: Path | None = typer.Option(None, "--config", "-c", help="chatmigrate.toml [default: discovered]."),
    corpus: Path | None = typer.Option(None, "--corpus", help="Corpus file (YAML or JSONL) [default: run.corpus]."),
    results: Path | None = typer.Option(None, "--results", help="Results folder [default: run.output_dir]."),
    out: Path = typer.Option(Path("reports"), "--out", "-o", help="Reports folder."),
    formats: str = typer.Option(",".join(report.FORMATS), "--format", "-f", help="html, json, junit, md."),
    shard: str | None = typer.Option(None, "--shard", help="Replay shard K of N (1-based), e.g. 2/4."),
    resume: bool = typer.Option(False, "--resume", help="Skip entries already complete in exchanges.jsonl."),
    allow_writes: bool = typer.Option(False, "--allow-writes", help="Allow unsafe requests on non-embedded targets."),
    settings: list[str] = typer.Option([], "--set", help="Override any config key: KEY=VALUE (repeatable)."),
    fail_on: str | None = typer.Option(None, "--fail-on", help="Lowest severity that fails the gate."),
    max_findings: int | None = typer.Option(None, "--max-findings", help="Failing findings tolerated."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Accepted findings (chatmigrate baseline)."),
    drift: list[str] = typer.Option([], "--drift", help="Embedded server only: a parity drift (repeatable)."),
    flaw: list[str] = typer.Option([], "--flaw", help="Embedded server only: an auth flaw (repeatable)."),
    ws_auth: str | None = typer.Option(None, "--ws-auth", help="Embedded server only: url (default) or jwt."),
    audit: bool = typer.Option(True, "--audit/--no-audit", help="Run the auth-failure audit too."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the audit's token mutation and contract run."),
    budget: int | None = typer.Option(
        None, "--budget", min=0, help=f"Token mutation examples [default: audit.budget or {AuditOptions().budget}]."
    ),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Progress bar [default: on a TTY]."),
) -> int:
    """Replay old vs new, audit the auth error paths, write every report and exit 0/1/2/3."""
    overrides = config_overrides(settings, {}, fail_on=fail_on, max_findings=max_findings, baseline=baseline)
    chosen = report.parse_formats(formats)
    shard_spec = parse_shard(shard) if shard else None
    with open_targets(config, overrides, drifts=drift, flaws=flaw, ws_auth=ws_auth) as (loaded, server):
        if server is not None:
            typer.echo("chatmigrate: no config found: gating the embedded reference server", err=True)
        target = embedded_target(server) if server else target_from_config(loaded, allow_writes=allow_writes)
        with progress_bar(progress) as on_progress:
            outcome = run_gate(
                loaded,
                target if audit else None,
                results_dir=results,
                reports_dir=out,
                formats=chosen,
                step_summary=step_summary_path(os.environ),
                corpus=corpus,
                shard=shard_spec,
                resume=resume,
                allow_writes=allow_writes,
                audit_options=audit_options_from_config(loaded, seed=seed, budget=budget),
                progress=on_progress,
            )
    typer.echo(summary_line(outcome))
    if outcome.verdict.exit_code == 3:
        print(f"chatmigrate: error: {redact(outcome.verdict.reason)}", file=sys.stderr)
    return outcome.verdict.exit_code
