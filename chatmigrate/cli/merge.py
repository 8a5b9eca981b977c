"""``chatmigrate merge``: join replay shards (and an audit) into one judged run with every report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from chatmigrate import report
from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.cli._requests import MergeRequest, ReportsRequest
from chatmigrate.config import gate_from_overrides, load_config
from chatmigrate.corpus import load_corpus
from chatmigrate.errors import UsageError
from chatmigrate.merge import merge_results
from chatmigrate.records import CorpusEntry, RunResult
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
    results: opt.Results = None,
    out: opt.OptionalReports = None,
    formats: opt.Formats = ",".join(report.FORMATS),
    config: opt.ConfigFile = None,
    corpus: opt.Corpus = None,
    fail_on: opt.FailOn = None,
    max_findings: opt.MaxFindings = None,
    baseline: opt.Baseline = None,
    step_summary: opt.StepSummary = None,
    debug: opt.Debug = False,
) -> int:
    """Join 'replay --shard K/N' results (and an 'audit' folder), compare again, judge, write every report.
    Without --config, --results is required and --corpus (if given) is checked to be covered exactly."""
    overrides = opt.settings_overrides(ctx, None)
    if config is None and results is None:
        raise UsageError("give --results FOLDER for the merged run (or --config with run.output_dir)")
    return merge(MergeRequest(tuple(dirs), out, formats, config, overrides, step_summary))


def merge(request: MergeRequest) -> int:
    if request.config is not None:
        loaded = preflight(load_config(request.config, overrides=request.overrides))
        results, limits, baseline_path = loaded.run.output_dir, loaded.gate.limits, loaded.gate.baseline
        compared: dict[str, Any] = {"rules": loaded.ignore, "options": loaded.compare}
        corpus: list[CorpusEntry] | None = load_corpus(loaded.run.corpus)
    else:
        given = dict(request.overrides)
        results, corpus_path = Path(given.pop("run.output_dir")), given.pop("run.corpus", None)
        gate = gate_from_overrides(given)
        limits, baseline_path, compared = gate.limits, gate.baseline, {}
        corpus = load_corpus(Path(corpus_path)) if corpus_path is not None else None
    result = merge_results(
        list(request.folders), results, limits=limits, baseline_path=baseline_path, corpus=corpus, **compared
    )
    assert result.verdict is not None
    reports = ReportsRequest.parse(request.out or results, request.formats, request.step_summary)
    written = report.render(
        result, reports.out, reports.formats, fail_on=result.verdict.threshold, step_summary=reports.step_summary
    )
    typer.echo(summary_line(result, len(request.folders), results, written))
    if result.verdict.exit_code == ExitCode.TRANSPORT:
        print(f"chatmigrate: error: {redact(result.verdict.reason)}", file=sys.stderr)
    return result.verdict.exit_code
