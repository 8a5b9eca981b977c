"""``chatmigrate report`` (re-render a results folder) and ``chatmigrate baseline accept``."""

from __future__ import annotations

from pathlib import Path

import typer

from chatmigrate import baseline, report
from chatmigrate.cli._app import app
from chatmigrate.errors import UsageError
from chatmigrate.report.summary import DEFAULT_FAIL_ON
from chatmigrate.vocab import Severity

baseline_app = typer.Typer(help="Accept known findings so the gate fails only on new ones.", no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


def _severity(value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as error:
        raise UsageError(f"--fail-on: {error}") from None


@app.command("report")
def report_command(
    results_dir: Path = typer.Argument(..., help="Results folder holding run.json."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Where to write the reports [default: RESULTS_DIR]."),
    formats: str = typer.Option(
        ",".join(report.FORMATS), "--format", "-f", help="Comma-separated: html, json, junit, md, sarif."
    ),
    fail_on: str | None = typer.Option(
        None,
        "--fail-on",
        help="Lowest severity that fails a JUnit testcase [default: the threshold the run was judged with].",
    ),
) -> None:
    """Re-render reports from run.json; no network is used."""
    chosen = report.parse_formats(formats)
    run = report.load_run(results_dir)
    threshold = _severity(fail_on) if fail_on else (run.verdict.threshold if run.verdict else DEFAULT_FAIL_ON)
    target = out or (results_dir if results_dir.is_dir() else results_dir.parent)
    for path in report.render(run, target, chosen, fail_on=threshold):
        typer.echo(str(path))


@baseline_app.command("accept")
def accept_command(
    results_dir: Path = typer.Argument(..., help="Results folder holding run.json."),
    out: Path = typer.Option(..., "-o", "--out", help="Baseline file to write (JSON)."),
    reason: str = typer.Option(..., "--reason", help="Why these findings are acceptable; kept in the file."),
) -> None:
    """Accept every finding of a run, so later runs fail only on new findings."""
    accepted = baseline.accept(report.load_run(results_dir), reason)
    baseline.save(accepted, out)
    typer.echo(f"accepted {len(accepted.accepted)} finding(s) into {out}")
