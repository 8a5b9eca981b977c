"""The gate decision: thresholds, limits, baselines and transport failures."""

from pathlib import Path

from chatmigrate import baseline
from chatmigrate.records import Finding, RunResult, from_dict, to_dict
from chatmigrate.redact import redact_obj, register_secret
from chatmigrate.verdict import GateLimits, decide, judge_run
from chatmigrate.vocab import Severity


def finding(severity: Severity, check: str = "audit", subject: str = "e1") -> Finding:
    """Audit findings keep their subject in the fingerprint, so two subjects are two findings."""
    return Finding(check=check, severity=severity, title="t", subject=subject)


def test_no_findings_pass_with_exit_0() -> None:
    verdict = decide([], GateLimits())
    assert (verdict.passed, verdict.exit_code) == (True, 0)


def test_a_medium_finding_fails_the_default_gate_with_exit_1() -> None:
    verdict = decide([finding(Severity.MEDIUM)], GateLimits())
    assert (verdict.passed, verdict.exit_code) == (False, 1)
    assert "1 audit" in verdict.reason


def test_findings_below_the_threshold_do_not_fail_the_gate() -> None:
    assert decide([finding(Severity.LOW), finding(Severity.INFO)], GateLimits()).passed


def test_a_raised_threshold_tolerates_medium_findings() -> None:
    assert decide([finding(Severity.MEDIUM)], GateLimits(fail_on=Severity.HIGH)).passed


def test_max_findings_tolerates_that_many_gating_findings() -> None:
    limits = GateLimits(max_findings=1)
    assert decide([finding(Severity.HIGH)], limits).passed
    assert not decide([finding(Severity.HIGH), finding(Severity.HIGH, subject="e2")], limits).passed


def test_accepted_fingerprints_do_not_fail_the_gate() -> None:
    accepted = finding(Severity.CRITICAL)
    assert decide([accepted], GateLimits(), accepted=[accepted.fingerprint]).passed


def test_a_transport_error_gives_exit_3_even_without_findings() -> None:
    verdict = decide([], GateLimits(), transport_error="connection refused")
    assert (verdict.passed, verdict.exit_code) == (False, 3)
    assert "connection refused" in verdict.reason


def test_judge_run_records_accepted_and_stale_fingerprints_and_the_threshold(tmp_path: Path) -> None:
    old_finding, gone = finding(Severity.HIGH, subject="known"), finding(Severity.HIGH, subject="fixed")
    accepted_path = baseline.save(
        baseline.accept(RunResult(tool_version="t", started_at="s", findings=[old_finding, gone]), "ticket 1"),
        tmp_path / "baseline.json",
    )
    run = RunResult(tool_version="t", started_at="s", findings=[old_finding, finding(Severity.HIGH, subject="new")])
    verdict = judge_run(run, GateLimits(fail_on=Severity.HIGH), baseline_path=accepted_path)
    assert (verdict.exit_code, verdict.threshold) == (1, Severity.HIGH)
    assert run.accepted == [old_finding.fingerprint]
    assert run.stale_baseline == [gone.fingerprint]
    assert run.verdict is verdict


def test_fingerprints_are_judged_as_run_json_will_hold_them(tmp_path: Path) -> None:
    register_secret("chat")
    run = RunResult(
        tool_version="t",
        started_at="s",
        findings=[Finding("audit", Severity.HIGH, "t", "case-1", endpoint="GET /admin/chat/")],
    )
    judge_run(run, GateLimits())
    reloaded = from_dict(RunResult, redact_obj(to_dict(run)))
    assert [f.fingerprint for f in reloaded.findings] == [f.fingerprint for f in run.findings]
