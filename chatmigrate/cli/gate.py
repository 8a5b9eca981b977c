"""``chatmigrate gate``: replay + audit + reports, exit 0/1/2/3; with no config, against the embedded server."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from chatmigrate import report
from chatmigrate.audit import AuditOptions, AuditTarget, embedded_target
from chatmigrate.audit.target import audit_options_from_config, target_from_config
from chatmigrate.cli._app import app
from chatmigrate.cli._options import config_overrides
from chatmigrate.cli.serve import build_server_config
from chatmigrate.config import (
    Config,
    config_from_mapping,
    embedded_config,
    env_defines_targets,
    find_config,
    load_config,
)
from chatmigrate.corpus import parse_shard
from chatmigrate.errors import UsageError
from chatmigrate.gate import GateOutcome, run_gate
from chatmigrate.progress import progress_bar
from chatmigrate.redact import redact
from chatmigrate.server.config import ServerConfig


@contextlib.contextmanager
def open_gate_targets(
    config: Path | None,
    overrides: dict[str, Any],
    drifts: list[str],
    flaws: list[str],
    ws_auth: str | None,
    allow_writes: bool,
) -> Iterator[tuple[Config, AuditTarget]]:
    """The configured pair, else the embedded reference server with the requested drifts and flaws."""
    found = config or find_config()
    if found is not None or env_defines_targets():
        if drifts or flaws or ws_auth:
            raise UsageError("--drift, --flaw and --ws-auth configure the embedded server; not usable with a config")
        loaded = load_config(found, overrides=overrides) if found else config_from_mapping({}, overrides=overrides)
        yield loaded, target_from_config(loaded, allow_writes=allow_writes)
        return
    from chatmigrate.embedded import EmbeddedServer

    typer.echo("chatmigrate: no config found: gating the embedded reference server", err=True)
    with EmbeddedServer(embedded_server_config(drifts, flaws, ws_auth)) as server:
        logging.getLogger("uvicorn.error").setLevel(logging.ERROR)
        yield embedded_config(server, overrides=overrides), embedded_target(server)


def embedded_server_config(drifts: list[str], flaws: list[str], ws_auth: str | None) -> ServerConfig:
    """The embedded server takes ``CHATMIGRATE_PASSWORD`` and ``CHATMIGRATE_JWT_SECRET`` as ``serve`` does."""
    mode = ws_auth or "url"
    if mode not in ("url", "jwt"):
        raise UsageError("--ws-auth must be 'url' or 'jwt'")
    return build_server_config(
        drifts,
        flaws,
        ws_auth=mode,
        password=os.environ.get("CHATMIGRATE_PASSWORD") or None,
        jwt_secret=os.environ.get("CHATMIGRATE_JWT_SECRET") or None,
    )


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
    with (
        open_gate_targets(config, overrides, drift, flaw, ws_auth, allow_writes) as (loaded, target),
        progress_bar(progress) as on_progress,
    ):
        outcome = run_gate(
            loaded,
            target if audit else None,
            results_dir=results,
            reports_dir=out,
            formats=chosen,
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
