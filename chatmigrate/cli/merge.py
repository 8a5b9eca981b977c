"""``chatmigrate merge``: join replay shards (and an audit) into one judged run with every report."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from chatmigrate import report
from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.cli._requests import MergeRequest, ReportsRequest
from chatmigrate.config import gate_from_overrides, load_config
from chatmigrate.corpus import load_corpus
from chatmigrate.merge import merge_results
from chatmigrate.records import RunResult
from chatmigrate.redact import redact
from chatmigrate.targets import preflight
from chatmigrate.vocab import ExitCode


def summary_line(result: RunResult, folders: int, out: Path, reports: list[Path]) -> str:
    verdict = result.verdict
    assert verdict is not None
    state = "passed" if verdict.passed else "FAILED"
    html = next((f"; report {path}" for path in reports if path.suffix == ".html"), "")
    return redact(
        f"merge {state} (exit {verdict.exit_code}): {len(result.entries)} entries and {len(result.audit)} audit "
        f"results from {folders} folders, {len(result.findings)} findings; {verdict.reason}; results in {out}{html}"
    )


@app.command(
    "merge",
    epilog=opt.examples(
        "chatmigrate merge shard-1 shard-2 shard-3 audit --config chatmigrate.toml --results results",
        "chatmigrate merge shards/* --results results -o reports --format html,junit --fail-on high",
    ),
)
def merge_command(
    ctx: typer.Context,
    dirs: list[Path] = typer.Argument(..., help="Results folders: replay shards, optionally an audit folder."),
    results: Path = typer.Option(..., "--results", help="Folder for the merged exchanges.jsonl and run.json."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Reports folder [default: the --results folder]."),
    formats: opt.Formats = ",".join(report.FORMATS),
    config: opt.ConfigFile = None,
    corpus: Path | None = typer.Option(
        None, "--corpus", help="Check the shards cover exactly this corpus (with --config: run.corpus)."
    ),
    fail_on: opt.FailOn = None,
    max_findings: opt.MaxFindings = None,
    baseline: opt.Baseline = None,
    debug: opt.Debug = False,
) -> int:
    """Join 'replay --shard K/N' results (and an 'audit' folder), compare again, judge, write every report."""
    reports = ReportsRequest.parse(out or results, formats)
    overrides = opt.settings_overrides(ctx, None)
    return merge(MergeRequest(tuple(dirs), results, reports, config, overrides, corpus))


def merge(request: MergeRequest) -> int:
    if request.config is not None:
        loaded = preflight(load_config(request.config, overrides=request.overrides))
        result = merge_results(
            list(request.folders),
            request.results,
            rules=loaded.ignore,
            options=loaded.compare,
            limits=loaded.gate.limits,
            baseline_path=loaded.gate.baseline,
            corpus=load_corpus(request.corpus or loaded.run.corpus),
        )
    else:
        gate = gate_from_overrides(request.overrides)
        result = merge_results(
            list(request.folders),
            request.results,
            limits=gate.limits,
            baseline_path=gate.baseline,
            corpus=load_corpus(request.corpus) if request.corpus is not None else None,
        )
    assert result.verdict is not None
    written = report.render(result, request.reports.out, request.reports.formats, fail_on=result.verdict.threshold)
    typer.echo(summary_line(result, len(request.folders), request.results, written))
    if result.verdict.exit_code == ExitCode.TRANSPORT:
        print(f"chatmigrate: error: {redact(result.verdict.reason)}", file=sys.stderr)
    return result.verdict.exit_code
