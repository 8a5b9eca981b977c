"""``chatmigrate report`` (re-render a results folder) and ``chatmigrate baseline accept``."""

from __future__ import annotations

from pathlib import Path

import typer

from chatmigrate import baseline, report
from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.report.summary import DEFAULT_FAIL_ON
from chatmigrate.vocab import Severity

baseline_app = typer.Typer(help="Accept known findings so the gate fails only on new ones.", no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


@app.command(
    "report",
    epilog=opt.examples(
        "chatmigrate report results -o reports",
        "chatmigrate report results -o reports --format html,md --fail-on high",
    ),
)
def report_command(
    results_dir: Path = typer.Argument(..., help="Results folder holding run.json."),
    out: opt.OptionalReports = None,
    formats: opt.Formats = ",".join(report.FORMATS),
    fail_on: opt.FailOn = None,
    step_summary: opt.StepSummary = None,
    debug: opt.Debug = False,
) -> None:
    """Re-render reports from run.json; no network is used. --fail-on marks failing JUnit testcases
    [default: the threshold the run was judged with]."""
    chosen = report.parse_formats(formats)
    run = report.load_run(results_dir)
    threshold = Severity(fail_on) if fail_on else (run.verdict.threshold if run.verdict else DEFAULT_FAIL_ON)
    target = out or (results_dir if results_dir.is_dir() else results_dir.parent)
    for path in report.render(run, target, chosen, fail_on=threshold, step_summary=step_summary):
        typer.echo(str(path))


@baseline_app.command(
    "accept",
    epilog=opt.examples(
        'chatmigrate baseline accept results -o chatmigrate-baseline.json --reason "ids as text: CHAT-1"',
        "chatmigrate gate --baseline chatmigrate-baseline.json",
    ),
)
def accept_command(
    results_dir: Path = typer.Argument(..., help="Results folder holding run.json."),
    out: Path = typer.Option(..., "-o", "--out", help="Baseline file to write (JSON)."),
    reason: str = typer.Option(..., "--reason", help="Why these findings are acceptable; kept in the file."),
) -> None:
    """Accept every finding of a run, so later runs fail only on new findings."""
    accepted = baseline.accept(report.load_run(results_dir), reason)
    baseline.save(accepted, out)
    typer.echo(f"accepted {len(accepted.accepted)} finding(s) into {out}")
