"""JUnit XML: one testcase per corpus entry and per audit case; a testcase fails when it has a finding
that fails the gate, so failures = testcases with at least one gate-failing finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from report_samples import failing_run

from chatmigrate.records import Finding, RunResult
from chatmigrate.report import junit
from chatmigrate.verdict import GateLimits, decide
from chatmigrate.vocab import Check, FindingKind, Severity, Tier


def parse(run: RunResult, fail_on: Severity = Severity.MEDIUM) -> ET.Element:
    return ET.fromstring(junit.render(run, fail_on))


def gate_failing_testcases(run: RunResult, fail_on: Severity) -> set[tuple[str, str]]:
    """The documented relationship, computed from the findings alone."""
    audit_tiers = {(a.case_id, a.tier) for a in run.audit}
    keys = set()
    for f in run.findings:
        if f.severity.rank >= fail_on.rank and f.fingerprint not in run.accepted:
            keys.add((f.subject, f.tier or "") if (f.subject, f.tier or "") in audit_tiers else (f.subject, ""))
            keys.update((entry, "") for entry in f.entries)
    return keys


def test_junit_parses_with_a_testcase_per_entry_and_audit_case() -> None:
    run = failing_run()
    root = parse(run)
    names = {(case.get("classname"), case.get("name")) for case in root.iter("testcase")}
    assert {("chatmigrate.parity", entry) for entry in run.entries} <= names
    assert {("chatmigrate.audit", f"{a.case_id} [{a.tier}]") for a in run.audit} <= names


def test_failure_count_is_the_number_of_testcases_with_a_gate_failing_finding() -> None:
    run = failing_run()
    root = parse(run)
    expected = len(gate_failing_testcases(run, Severity.MEDIUM))
    assert expected == 5
    assert int(root.get("failures", "-1")) == expected
    assert len(list(root.iter("failure"))) == expected
    assert sum(int(suite.get("failures", "0")) for suite in root.iter("testsuite")) == expected


def test_every_gate_failing_finding_is_in_a_failure_text() -> None:
    run = failing_run()
    text = "\n".join(failure.text or "" for failure in parse(run).iter("failure"))
    gating = [f for f in run.findings if f.severity.rank >= Severity.MEDIUM.rank]
    assert text.count("fingerprint: ") == len(gating)
    assert all(f.fingerprint in text for f in gating)


def test_raising_the_threshold_lowers_the_failures() -> None:
    run = failing_run()
    root = parse(run, Severity.CRITICAL)
    assert int(root.get("failures", "-1")) == len(gate_failing_testcases(run, Severity.CRITICAL)) == 1


def test_findings_below_the_threshold_go_to_system_out() -> None:
    run = failing_run()
    cases = {case.get("name"): case for case in parse(run).iter("testcase")}
    chat_list = cases["chat-list"]
    assert chat_list.find("failure") is None
    assert "legacy redirects to the login page" in (chat_list.findtext("system-out") or "")


def test_accepted_findings_do_not_fail_their_testcase() -> None:
    run = failing_run()
    run.accepted = [f.fingerprint for f in run.findings if f.subject == "expired-token"]
    root = parse(run)
    expired = next(c for c in root.iter("testcase") if c.get("name") == "expired-token [new]")
    assert expired.find("failure") is None
    assert "accepted by the baseline" in (expired.findtext("system-out") or "")
    assert int(root.get("failures", "-1")) == len(gate_failing_testcases(run, Severity.MEDIUM)) == 4


def test_finding_without_entry_or_audit_case_gets_its_own_testcase() -> None:
    run = failing_run()
    cases = [c for c in parse(run).iter("testcase") if c.get("classname") == "chatmigrate.other"]
    assert [c.get("name") for c in cases] == ["GET /admin/chat/ [chat_list]"]


def test_control_characters_from_servers_keep_the_xml_well_formed() -> None:
    run = RunResult(
        "0.1.0",
        "2026-11-26T23:00:00Z",
        entries=["e1"],
        findings=[
            Finding("body", Severity.HIGH, "bad \x00\x1b[31m bytes", "e1", "GET /admin/chat/", evidence="\x07\x0b"),
        ],
    )
    root = parse(run)
    assert "bad" in (next(root.iter("failure")).get("message") or "")


def test_an_audit_case_that_does_not_apply_to_its_tier_is_skipped_with_the_reason() -> None:
    root = parse(failing_run())
    case = next(c for c in root.iter("testcase") if c.get("name") == "no-session [new]")
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message") == "not-applicable: no sessions"


def test_skipped_testcases_are_counted_per_suite_and_in_total() -> None:
    root = parse(failing_run())
    audit = next(s for s in root.iter("testsuite") if s.get("name") == "chatmigrate.audit")
    assert audit.get("skipped") == root.get("skipped") == "1"


def test_a_passing_verdict_fails_no_testcase_and_marks_its_findings_tolerated() -> None:
    run = failing_run()
    run.verdict = decide(run.findings, GateLimits(max_findings=10))
    root = parse(run)
    assert run.verdict.passed
    assert root.get("failures") == "0" and list(root.iter("failure")) == []
    expired = next(c for c in root.iter("testcase") if c.get("name") == "expired-token [new]")
    assert "tolerated: the verdict passed" in (expired.findtext("system-out") or "")


def test_a_finding_grouped_over_entries_marks_every_one_of_them_failing() -> None:
    entries = [f"messages-room-{n:02d}" for n in range(19)]
    grouped = Finding(
        Check.BODY,
        Severity.HIGH,
        "$.count missing on new (in 19 entries)",
        entries[0],
        "GET /admin/chat/ [recent_messages]",
        path="$.count",
        kind=FindingKind.KEY_REMOVED,
        tier=Tier.NEW,
        entries=entries,
    )
    run = RunResult("0.1.0", "2026-11-26T23:00:00Z", entries=[*entries, "chat-list"], findings=[grouped])
    run.verdict = decide(run.findings, GateLimits())
    root = parse(run)
    failing = [case.get("name") for case in root.iter("testcase") if case.find("failure") is not None]
    assert failing == entries
    assert root.get("failures") == "19"
