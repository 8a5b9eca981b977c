"""``chatmigrate audit``: the auth-failure audit from the command line, one summary line, exit 0/1/2/3.

It is judged and reported like ``chatmigrate gate``: the config's ``[gate]`` limits and baseline,
``run.json`` in the results folder, the reports in ``--out``.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

import typer

from chatmigrate import report
from chatmigrate.audit import AuditOutcome, embedded_target
from chatmigrate.audit.catalogue import by_id, listing
from chatmigrate.audit.target import TIERS, audit_options_from_config, target_from_config
from chatmigrate.cli._app import app
from chatmigrate.cli._options import config_overrides
from chatmigrate.errors import UsageError
from chatmigrate.gate import run_audit_suite
from chatmigrate.records import Verdict
from chatmigrate.redact import redact
from chatmigrate.report.markdown import step_summary_path
from chatmigrate.results import RUN_FILE
from chatmigrate.targets import open_targets
from chatmigrate.vocab import AuditState, Severity

TARGET_CHOICES = {"new": ("new",), "old": ("old",), "proxy": ("proxy",), "ws": ("ws",), "all": TIERS}


def parse_tiers(targets: list[str]) -> frozenset[str] | None:
    """The tiers named by ``--target``; None when none was given, so the config's ``audit.tiers`` applies."""
    unknown = [name for name in targets if name not in TARGET_CHOICES]
    if unknown:
        raise UsageError(f"--target must be one of {', '.join(TARGET_CHOICES)}, got {', '.join(unknown)}")
    return frozenset(tier for name in targets for tier in TARGET_CHOICES[name]) or None


def summary_line(outcome: AuditOutcome, verdict: Verdict, seconds: float, run_file: Path, reports: list[Path]) -> str:
    results = outcome.results
    states = Counter(result.state for result in results)
    counts = Counter(finding.severity for finding in outcome.findings)
    by_severity = ", ".join(f"{counts.get(severity, 0)} {severity.value}" for severity in Severity)
    state = "passed" if verdict.passed else "FAILED"
    html = next((f"; report {path}" for path in reports if path.suffix == ".html"), "")
    return redact(
        f"audit {state}: {len(results)} case results ({states[AuditState.PASS]} safe, "
        f"{states[AuditState.FAIL]} failed, {states[AuditState.KNOWN_LEGACY]} known-legacy, "
        f"{states[AuditState.NOT_APPLICABLE]} not applicable); "
        f"findings: {by_severity}; {verdict.reason}; "
        f"{outcome.mutation_examples} mutation examples, {outcome.contract_operations} contract operations; "
        f"{seconds:.1f}s; results in {run_file}{html}"
    )


@app.command("audit")
def audit_command(
    config: Path | None = typer.Option(None, "--config", "-c", help="chatmigrate.toml [default: discovered]."),
    target: list[str] = typer.Option([], "--target", "-t", help="new, old, proxy, ws or all [default: audit.tiers]."),
    flaw: list[str] = typer.Option([], "--flaw", help="Embedded server only: an auth flaw to switch on."),
    ws_auth: str | None = typer.Option(None, "--ws-auth", help="Embedded server only: url (default) or jwt."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the token mutation and the contract run."),
    budget: int | None = typer.Option(None, "--budget", min=0, help="Token mutation examples (0: none)."),
    contract: bool | None = typer.Option(None, "--contract/--no-contract", help="Run the JWT API contract."),
    ws_url_strict: bool = typer.Option(
        False, "--ws-url-strict", help="Report WebSocket URL-parameter impersonation as high, not known-legacy."
    ),
    allow_writes: bool = typer.Option(
        False, "--allow-writes", help="Probe unsafe operations on non-embedded targets (bad credentials only)."
    ),
    results: Path | None = typer.Option(None, "--results", help="Results folder [default: run.output_dir]."),
    out: Path = typer.Option(Path("reports"), "--out", "-o", help="Reports folder."),
    formats: str = typer.Option(",".join(report.FORMATS), "--format", "-f", help="html, json, junit, md."),
    settings: list[str] = typer.Option([], "--set", help="Override any config key: KEY=VALUE (repeatable)."),
    fail_on: str | None = typer.Option(None, "--fail-on", help="Lowest severity that fails the audit."),
    max_findings: int | None = typer.Option(None, "--max-findings", help="Failing findings tolerated."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Accepted findings (chatmigrate baseline)."),
    case: list[str] = typer.Option([], "--case", help="Only this case id (repeatable)."),
    list_cases: bool = typer.Option(False, "--list", help="Print every case, one per line."),
) -> int:
    """Fuzz the auth error paths of every tier, write run.json and every report, and gate on the findings."""
    if list_cases:
        for line in listing():
            typer.echo(line)
        return 0
    unknown = [name for name in case if name not in by_id()]
    if unknown:
        raise UsageError(f"unknown case {', '.join(unknown)} (see 'chatmigrate audit --list')")
    tiers = parse_tiers(target)
    chosen = report.parse_formats(formats)
    overrides = config_overrides(settings, {}, fail_on=fail_on, max_findings=max_findings, baseline=baseline)
    started = time.perf_counter()
    with open_targets(config, overrides, flaws=flaw, ws_auth=ws_auth) as (loaded, server):
        if server is not None:
            typer.echo("chatmigrate: no config found: auditing the embedded reference server", err=True)
        audit_target = embedded_target(server) if server else target_from_config(loaded, allow_writes=allow_writes)
        options = audit_options_from_config(
            loaded,
            tiers=tiers,
            seed=seed,
            budget=budget,
            contract=contract,
            ws_url_mode_severity=Severity.HIGH if ws_url_strict else None,
            cases=frozenset(case) or None,
        )
        gated = run_audit_suite(
            loaded,
            audit_target,
            options,
            results_dir=results,
            reports_dir=out,
            formats=chosen,
            step_summary=step_summary_path(os.environ),
        )
    outcome = gated.audit
    assert outcome is not None
    verdict = gated.verdict
    run_file = gated.results_dir / RUN_FILE
    typer.echo(summary_line(outcome, verdict, time.perf_counter() - started, run_file, gated.reports))
    if outcome.transport_error:
        print(f"chatmigrate: error: {redact(outcome.transport_error)}", file=sys.stderr)
    return verdict.exit_code
