"""``chatmigrate merge``: join replay shards (and an audit) into one judged run with every report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from chatmigrate import report
from chatmigrate.cli._app import app
from chatmigrate.config import load_config
from chatmigrate.corpus import load_corpus
from chatmigrate.errors import UsageError
from chatmigrate.merge import merge_results
from chatmigrate.records import RunResult
from chatmigrate.redact import redact
from chatmigrate.verdict import GateLimits
from chatmigrate.vocab import Severity


def _limits(fail_on: str | None, max_findings: int | None) -> GateLimits:
    defaults = GateLimits()
    try:
        severity = Severity.parse(fail_on) if fail_on else defaults.fail_on
    except ValueError as error:
        raise UsageError(f"--fail-on: {error}") from None
    return GateLimits(fail_on=severity, max_findings=defaults.max_findings if max_findings is None else max_findings)


def summary_line(result: RunResult, folders: int, out: Path, reports: list[Path]) -> str:
    verdict = result.verdict
    assert verdict is not None
    state = "passed" if verdict.passed else "FAILED"
    html = next((f"; report {path}" for path in reports if path.suffix == ".html"), "")
    return redact(
        f"merge {state} (exit {verdict.exit_code}): {len(result.entries)} entries and {len(result.audit)} audit "
        f"results from {folders} folders, {len(result.findings)} findings; {verdict.reason}; results in {out}{html}"
    )


@app.command("merge")
def merge_command(
    dirs: list[Path] = typer.Argument(..., help="Results folders: replay shards, optionally an audit folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the merged exchanges.jsonl and run.json."),
    reports: Path | None = typer.Option(None, "--reports", help="Reports folder [default: OUT]."),
    formats: str = typer.Option(",".join(report.FORMATS), "--format", "-f", help="html, json, junit, md, sarif."),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Ignore rules, compare options, gate limits and corpus [default: built-in]."
    ),
    corpus: Path | None = typer.Option(
        None, "--corpus", help="Check the shards cover exactly this corpus (with --config: run.corpus)."
    ),
    fail_on: str | None = typer.Option(None, "--fail-on", help="Lowest severity that fails the gate."),
    max_findings: int | None = typer.Option(None, "--max-findings", min=0, help="Failing findings tolerated."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Accepted findings (chatmigrate baseline)."),
) -> int:
    """Join 'replay --shard K/N' results (and an 'audit' folder), compare again, judge, write every report."""
    chosen = report.parse_formats(formats)
    if config is not None:
        flags = {"gate.fail_on": fail_on, "gate.max_findings": max_findings, "gate.baseline": baseline}
        overrides: dict[str, Any] = {key: str(value) for key, value in flags.items() if value is not None}
        loaded = load_config(config, overrides=overrides)
        result = merge_results(
            dirs,
            out,
            rules=loaded.ignore,
            options=loaded.compare,
            limits=loaded.gate.limits,
            baseline_path=loaded.gate.baseline,
            corpus=load_corpus(corpus or loaded.run.corpus),
        )
    else:
        result = merge_results(
            dirs,
            out,
            limits=_limits(fail_on, max_findings),
            baseline_path=baseline,
            corpus=load_corpus(corpus) if corpus is not None else None,
        )
    assert result.verdict is not None
    written = report.render(result, reports or out, chosen, fail_on=result.verdict.threshold)
    typer.echo(summary_line(result, len(dirs), out, written))
    if result.verdict.exit_code == 3:
        print(f"chatmigrate: error: {redact(result.verdict.reason)}", file=sys.stderr)
    return result.verdict.exit_code
