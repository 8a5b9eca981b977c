"""The cutover gate: parity replay, then the auth audit, one verdict, every report.

Both suites feed one ``RunResult`` so that one baseline and one set of limits
judge everything, and reporters see a single run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chatmigrate import __version__, baseline, report
from chatmigrate.audit import AuditOptions, AuditOutcome, AuditTarget, run_audit
from chatmigrate.config import Config
from chatmigrate.errors import ChatmigrateError
from chatmigrate.parity import run_parity
from chatmigrate.records import RunResult, TargetInfo, Verdict
from chatmigrate.replay import ProgressCallback
from chatmigrate.results import timestamp, write_run
from chatmigrate.verdict import judge_run


@dataclass(slots=True)
class GateOutcome:
    result: RunResult
    verdict: Verdict
    results_dir: Path
    reports: list[Path]
    audit: AuditOutcome | None = None
    """The audit's own counts (mutation examples, contract operations), when it ran."""


def run_gate(
    config: Config,
    audit_target: AuditTarget | None,
    *,
    results_dir: Path | None = None,
    reports_dir: Path = Path("reports"),
    formats: Iterable[str] = report.FORMATS,
    step_summary: Path | None = None,
    corpus: Path | None = None,
    shard: tuple[int, int] | None = None,
    resume: bool = False,
    allow_writes: bool = False,
    audit_options: AuditOptions | None = None,
    progress: ProgressCallback | None = None,
) -> GateOutcome:
    """Results reach disk even when a target breaks: the verdict then says exit 3 and why.

    With ``shard`` the audit runs in shard 1 only, so that ``chatmigrate merge`` joins one audit. A bad baseline
    fails before any request; a config problem the audit meets (a wrong password, say) is raised after the
    replay's results are written. ``step_summary`` is a file the Markdown summary is appended to as well
    (GitHub's ``$GITHUB_STEP_SUMMARY``)."""
    if config.gate.baseline is not None:
        baseline.load(config.gate.baseline)
    parity = run_parity(
        config,
        corpus=corpus,
        out_dir=results_dir,
        resume=resume,
        shard=shard,
        allow_writes=allow_writes,
        progress=progress,
    )
    result = parity.result
    transport_error = parity.transport_error
    audit: AuditOutcome | None = None
    if audit_target is not None and transport_error is None and (shard is None or shard[0] == 1):
        try:
            audit = run_audit(audit_target, audit_options)
        except ChatmigrateError:
            result.warnings.append("the audit could not run; see the error line")
            write_run(result, parity.results_dir)
            raise
        transport_error = audit.transport_error
        result.findings.extend(audit.findings)
        result.audit = audit.results
        result.warnings.extend(audit.warnings)
        result.targets.extend(_audit_only_targets(result.targets, audit_target))
    outcome = _finish(result, config, transport_error, parity.results_dir, reports_dir, formats, step_summary)
    outcome.audit = audit
    return outcome


def run_audit_suite(
    config: Config,
    audit_target: AuditTarget,
    options: AuditOptions | None = None,
    *,
    results_dir: Path | None = None,
    reports_dir: Path = Path("reports"),
    formats: Iterable[str] = report.FORMATS,
    step_summary: Path | None = None,
) -> GateOutcome:
    """``chatmigrate audit``: the audit alone, judged, written and reported exactly as the gate would."""
    if config.gate.baseline is not None:
        baseline.load(config.gate.baseline)
    result = RunResult(tool_version=__version__, started_at=timestamp())
    audit = run_audit(audit_target, options)
    result.targets = audit_target.infos()
    result.warnings = audit.warnings
    result.findings = audit.findings
    result.audit = audit.results
    outcome = _finish(
        result,
        config,
        audit.transport_error,
        results_dir or config.run.output_dir,
        reports_dir,
        formats,
        step_summary,
    )
    outcome.audit = audit
    return outcome


def _finish(
    result: RunResult,
    config: Config,
    transport_error: str | None,
    results_dir: Path,
    reports_dir: Path,
    formats: Iterable[str],
    step_summary: Path | None,
) -> GateOutcome:
    result.finished_at = timestamp()
    verdict = judge_run(result, config.gate.limits, baseline_path=config.gate.baseline, transport_error=transport_error)
    write_run(result, results_dir)
    reports = report.render(result, reports_dir, formats, fail_on=verdict.threshold, step_summary=step_summary)
    return GateOutcome(result, verdict, results_dir, reports)


def _audit_only_targets(known: list[TargetInfo], target: AuditTarget) -> list[TargetInfo]:
    """Tiers only the audit touched (the WebSocket) still belong in the report's target list."""
    sides = {info.side for info in known}
    return [info for info in target.infos() if info.side not in sides]
