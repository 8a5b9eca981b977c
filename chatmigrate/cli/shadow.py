"""``chatmigrate shadow``: the shadow proxy in front of old until Ctrl-C, then the final verdict's exit code."""

from __future__ import annotations

import typer

from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.cli._requests import TargetsRequest
from chatmigrate.records import RunResult
from chatmigrate.redact import redact
from chatmigrate.rootcause import root_causes
from chatmigrate.shadow import run_shadow
from chatmigrate.vocab import ExitCode


def report_line(result: RunResult) -> str:
    verdict = result.verdict
    state = "no verdict" if verdict is None else ("passing" if verdict.passed else "FAILING")
    causes = len(root_causes(result.findings))
    return redact(
        f"shadow {state}: {len(result.entries)} requests compared, {len(result.findings)} findings in {causes} "
        f"root causes; {verdict.reason if verdict else ''}"
    )


@app.command(
    "shadow",
    epilog=opt.examples(
        "chatmigrate shadow",
        "chatmigrate shadow --config chatmigrate.toml --listen 127.0.0.1:8480 --results shadow-results",
        "chatmigrate shadow --drift rename-field --sample-rate 0.5 -o reports",
    ),
)
def shadow_command(
    ctx: typer.Context,
    config: opt.ConfigFile = None,
    listen: opt.Listen = None,
    sample_rate: opt.SampleRate = None,
    results: opt.Results = None,
    out: opt.OptionalReports = None,
    settings: opt.Settings = None,
    fail_on: opt.FailOn = None,
    max_findings: opt.MaxFindings = None,
    baseline: opt.Baseline = None,
    drift: opt.Drifts = None,
    flaw: opt.Flaws = None,
    progress: opt.Progress = None,
    debug: opt.Debug = False,
) -> int:
    """Put a shadow in front of old: answer every request from old, mirror it to new as the same user, compare.

    With no config, the embedded reference server stands behind it: log in as admin through the shadow."""
    targets = TargetsRequest(config, opt.settings_overrides(ctx, settings), tuple(drift or ()), tuple(flaw or ()))
    with targets.open() as (loaded, server):
        if server is not None:
            typer.echo(f"chatmigrate: shadow in front of the embedded reference server ({server.base_url})", err=True)
        results_dir = loaded.run.output_dir
        result = run_shadow(
            loaded,
            results_dir=results_dir,
            reports_dir=out or results_dir,
            on_ready=lambda url: typer.echo(f"chatmigrate shadow: listening on {url}, live page {url}/_chatmigrate/"),
            on_report=(lambda run: typer.echo(report_line(run), err=True)) if progress else None,
        )
    if result is None or result.verdict is None:
        typer.echo("shadow stopped: nothing was compared")
        return int(ExitCode.OK)
    typer.echo(f"{report_line(result)}; results in {results_dir}")
    return result.verdict.exit_code
