"""The gate decision: thresholds, limits, baselines and transport failures."""

from pathlib import Path

from chatmigrate import baseline
from chatmigrate.records import AuditResult, Finding, RunResult, from_dict, to_dict
from chatmigrate.redact import redact_obj, register_secret
from chatmigrate.verdict import GateLimits, decide, judge_run
from chatmigrate.vocab import AuditState, Check, FindingKind, Severity, Tier


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


def test_the_reason_counts_root_causes_and_names_the_worst() -> None:
    def html(case: str) -> Finding:
        return Finding(
            Check.AUDIT, Severity.HIGH, f"{case}: HTML", case, kind=FindingKind.HTML, tier=Tier.NEW, probes=2
        )

    lone = Finding(Check.AUDIT, Severity.MEDIUM, "t", "x", kind=FindingKind.WRONG_STATUS, tier=Tier.PROXY)
    audit = [AuditResult(case, "header", "new", "d", False, 401, state=AuditState.FAIL) for case in ("a", "b", "c")]
    verdict = decide([html("a"), html("b"), html("c"), lone], GateLimits(), audit=audit)
    assert verdict.reason.startswith("4 findings in 2 root causes at or above medium")
    assert "worst: JWT API answers 401 with an HTML page: 3 cases, 6 probes;" in verdict.reason
