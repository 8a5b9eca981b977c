"""``chatmigrate audit``: the auth-failure audit from the command line, one summary line, exit 0/1/2/3."""

from __future__ import annotations

import contextlib
import logging
import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import typer

from chatmigrate import __version__
from chatmigrate.audit import AuditOptions, AuditOutcome, AuditTarget, embedded_target, run_audit
from chatmigrate.audit.catalogue import by_id, listing
from chatmigrate.audit.findings import KNOWN_LEGACY, NOT_APPLICABLE
from chatmigrate.audit.target import TIERS, target_from_config
from chatmigrate.cli._app import app
from chatmigrate.cli.serve import build_server_config
from chatmigrate.config import config_from_mapping, env_defines_targets, find_config, load_config
from chatmigrate.errors import UsageError
from chatmigrate.parity import write_run
from chatmigrate.records import RunResult, Severity, Verdict
from chatmigrate.redact import redact
from chatmigrate.verdict import GateLimits, decide

TARGET_CHOICES = {"new": ("new",), "old": ("old",), "proxy": ("proxy",), "ws": ("ws",), "all": TIERS}


def parse_tiers(targets: list[str]) -> frozenset[str]:
    unknown = [name for name in targets if name not in TARGET_CHOICES]
    if unknown:
        raise UsageError(f"--target must be one of {', '.join(TARGET_CHOICES)}, got {', '.join(unknown)}")
    return frozenset(tier for name in (targets or ["all"]) for tier in TARGET_CHOICES[name])


@contextlib.contextmanager
def open_target(
    config: Path | None, flaws: list[str], ws_auth: str | None, allow_writes: bool
) -> Iterator[AuditTarget]:
    """The configured targets, else an embedded reference server (with the requested flaws).

    The embedded server takes ``CHATMIGRATE_PASSWORD`` and ``CHATMIGRATE_JWT_SECRET`` as ``serve`` does.
    """
    found = config or find_config()
    if found is not None or env_defines_targets():
        if flaws or ws_auth:
            raise UsageError("--flaw and --ws-auth configure the embedded server; they cannot be used with a config")
        loaded = load_config(found) if found is not None else config_from_mapping({})
        yield target_from_config(loaded, allow_writes=allow_writes)
        return
    from chatmigrate.embedded import EmbeddedServer

    mode = ws_auth or "url"
    if mode not in ("url", "jwt"):
        raise UsageError("--ws-auth must be 'url' or 'jwt'")
    settings = {
        "password": os.environ.get("CHATMIGRATE_PASSWORD") or None,
        "jwt_secret": os.environ.get("CHATMIGRATE_JWT_SECRET") or None,
    }
    with EmbeddedServer(build_server_config([], flaws, ws_auth=mode, **settings)) as server:
        logging.getLogger("uvicorn.error").setLevel(logging.ERROR)
        yield embedded_target(server)


def summary_line(outcome: AuditOutcome, verdict: Verdict, seconds: float, run_file: Path) -> str:
    results = outcome.results
    skipped = sum(1 for result in results if result.detail.startswith(NOT_APPLICABLE))
    known = sum(1 for result in results if result.detail.startswith(KNOWN_LEGACY))
    failed = sum(1 for result in results if not result.passed) - known
    counts = Counter(finding.severity for finding in outcome.findings)
    by_severity = ", ".join(f"{counts.get(severity, 0)} {severity.value}" for severity in Severity)
    state = "passed" if verdict.passed else "FAILED"
    return redact(
        f"audit {state}: {len(results)} case results ({len(results) - failed - known - skipped} safe, {failed} failed, "
        f"{known} known-legacy, {skipped} not applicable); findings: {by_severity}; "
        f"{outcome.mutation_examples} mutation examples, {outcome.contract_operations} contract operations; "
        f"{seconds:.1f}s; results in {run_file}"
    )


@app.command("audit")
def audit_command(
    config: Path | None = typer.Option(None, "--config", "-c", help="chatmigrate.toml [default: discovered]."),
    target: list[str] = typer.Option([], "--target", "-t", help="new, old, proxy, ws or all (repeatable)."),
    flaw: list[str] = typer.Option([], "--flaw", help="Embedded server only: an auth flaw to switch on."),
    ws_auth: str | None = typer.Option(None, "--ws-auth", help="Embedded server only: url (default) or jwt."),
    seed: int = typer.Option(0, "--seed", help="Seed of the token mutation and the contract run."),
    budget: int = typer.Option(AuditOptions().budget, "--budget", min=0, help="Token mutation examples (0: none)."),
    contract: bool = typer.Option(True, "--contract/--no-contract", help="Run the JWT API contract (schemathesis)."),
    ws_url_strict: bool = typer.Option(
        False, "--ws-url-strict", help="Report WebSocket URL-parameter impersonation as high, not known-legacy."
    ),
    allow_writes: bool = typer.Option(
        False, "--allow-writes", help="Probe unsafe operations on non-embedded targets (bad credentials only)."
    ),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Results folder for run.json."),
    case: list[str] = typer.Option([], "--case", help="Only this case id (repeatable)."),
    list_cases: bool = typer.Option(False, "--list", help="Print every case, one per line."),
) -> int:
    """Fuzz the auth error paths of every tier and gate on the findings."""
    if list_cases:
        for line in listing():
            typer.echo(line)
        return 0
    unknown = [name for name in case if name not in by_id()]
    if unknown:
        raise UsageError(f"unknown case {', '.join(unknown)} (see 'chatmigrate audit --list')")
    options = AuditOptions(
        tiers=parse_tiers(target),
        seed=seed,
        budget=budget,
        contract=contract,
        ws_url_mode_severity=Severity.HIGH if ws_url_strict else Severity.INFO,
        cases=frozenset(case),
    )
    started = datetime.now(UTC)
    with open_target(config, flaw, ws_auth, allow_writes) as audit_target:
        outcome = run_audit(audit_target, options)
    finished = datetime.now(UTC)
    verdict = decide(outcome.findings, GateLimits(), transport_error=outcome.transport_error)
    result = RunResult(
        tool_version=__version__,
        started_at=started.isoformat(timespec="seconds"),
        finished_at=finished.isoformat(timespec="seconds"),
        targets=audit_target.infos(),
        warnings=outcome.warnings,
        findings=outcome.findings,
        audit=outcome.results,
        verdict=verdict,
    )
    run_file = write_run(result, out)
    typer.echo(summary_line(outcome, verdict, (finished - started).total_seconds(), run_file))
    return verdict.exit_code
