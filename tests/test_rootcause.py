"""Root causes: findings that share one defect are one cause, whatever case, entry or endpoint showed them."""

from __future__ import annotations

from chatmigrate.records import AuditResult, Finding
from chatmigrate.rootcause import count_line, root_causes
from chatmigrate.vocab import AuditState, Check, FindingKind, Severity, Tier


def audit(case: str, kind: FindingKind, tier: Tier = Tier.NEW, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(Check.AUDIT, severity, f"{case}: {kind}", case, f"GET /{case}", kind=kind, tier=tier, probes=2)


def result(case: str, status: int, tier: Tier = Tier.NEW) -> AuditResult:
    return AuditResult(case, "header", tier, "d", False, status, state=AuditState.FAIL)


def test_one_kind_on_one_tier_across_cases_and_endpoints_is_one_root_cause() -> None:
    (cause,) = root_causes([audit("a", FindingKind.HTML), audit("b", FindingKind.HTML)], [result("a", 401)])
    assert cause.summary == "JWT API answers 401 with an HTML page: 2 cases, 4 probes"
    assert cause.subjects == ["a", "b"]


def test_the_same_kind_on_another_tier_is_another_root_cause() -> None:
    causes = root_causes([audit("a", FindingKind.HTML), audit("a", FindingKind.HTML, Tier.PROXY)])
    assert len(causes) == 2


def test_a_missing_envelope_on_a_case_that_answered_html_joins_the_html_cause() -> None:
    findings = [
        audit("a", FindingKind.HTML),
        audit("a", FindingKind.BAD_ENVELOPE, severity=Severity.MEDIUM),
        audit("b", FindingKind.HTML),
        audit("b", FindingKind.BAD_ENVELOPE, severity=Severity.MEDIUM),
    ]
    (cause,) = root_causes(findings, [result("a", 401), result("b", 403)])
    assert cause.lead.kind is FindingKind.HTML
    assert cause.summary == "JWT API answers 401/403 with an HTML page: 2 cases, 4 probes"


def test_a_missing_envelope_without_an_html_answer_is_its_own_cause() -> None:
    causes = root_causes([audit("a", FindingKind.HTML), audit("b", FindingKind.BAD_ENVELOPE, severity=Severity.MEDIUM)])
    assert [cause.lead.kind for cause in causes] == [FindingKind.HTML, FindingKind.BAD_ENVELOPE]


def test_a_per_entry_root_cause_counts_every_entry_its_findings_stand_for() -> None:
    def removed(endpoint: str, entries: list[str]) -> Finding:
        return Finding(
            Check.BODY,
            Severity.HIGH,
            "$.count missing",
            entries[0],
            endpoint,
            path="$.count",
            kind=FindingKind.KEY_REMOVED,
            tier=Tier.NEW,
            entries=entries,
        )

    (cause,) = root_causes([removed("GET /a", ["a1", "a2"]), removed("GET /b", ["b1", "a2"])])
    assert cause.summary == "JWT API drops $.count: 3 entries"


def test_a_root_cause_of_one_finding_is_headed_by_its_title() -> None:
    (cause,) = root_causes([audit("a", FindingKind.TOKEN_ECHO)])
    assert cause.summary == "a: token-echo: 1 case, 2 probes"


def test_root_causes_come_worst_first_then_widest() -> None:
    findings = [
        audit("a", FindingKind.WRONG_STATUS, severity=Severity.MEDIUM),
        audit("b", FindingKind.HTML),
        audit("c", FindingKind.STACK_TRACE),
        audit("d", FindingKind.STACK_TRACE),
    ]
    assert [cause.lead.kind for cause in root_causes(findings)] == [
        FindingKind.STACK_TRACE,
        FindingKind.HTML,
        FindingKind.WRONG_STATUS,
    ]


def test_the_count_line_reads_as_findings_in_root_causes() -> None:
    assert count_line(90, 3) == "90 findings in 3 root causes"
    assert count_line(1, 1) == "1 finding in 1 root cause"


def test_a_wrong_status_on_a_case_that_failed_with_a_server_error_joins_the_server_error() -> None:
    findings = [audit("a", FindingKind.SERVER_ERROR), audit("a", FindingKind.WRONG_STATUS, severity=Severity.MEDIUM)]
    (cause,) = root_causes(findings)
    assert cause.lead.kind is FindingKind.SERVER_ERROR and len(cause.findings) == 2


def answered(endpoint: str, entry: str, kind: FindingKind, status: str, tier: Tier = Tier.NEW) -> Finding:
    return Finding(
        Check.JSON,
        Severity.HIGH,
        f"{kind} {status}",
        entry,
        endpoint,
        kind=kind,
        variant=status,
        tier=tier,
        entries=[entry],
    )


def test_a_parity_root_cause_is_headed_by_the_status_its_findings_answered_with() -> None:
    findings = [answered("GET /a", "a1", FindingKind.HTML, "500"), answered("GET /b", "b1", FindingKind.HTML, "500")]
    (cause,) = root_causes(findings)
    assert cause.summary == "JWT API answers 500 with an HTML page where JSON was due: 2 entries"


def test_the_same_kind_with_another_status_is_another_root_cause() -> None:
    findings = [answered("GET /a", "a1", FindingKind.HTML, "500"), answered("GET /b", "b1", FindingKind.HTML, "404")]
    assert sorted(cause.statuses for cause in root_causes(findings)) == [(404,), (500,)]


def test_a_same_meaning_root_cause_names_its_path() -> None:
    def instant(endpoint: str, entry: str) -> Finding:
        return Finding(
            Check.BODY,
            Severity.MEDIUM,
            "same instant",
            entry,
            endpoint,
            path="$.messages[*].timestamp",
            kind=FindingKind.SAME_INSTANT,
            tier=Tier.NEW,
            entries=[entry],
        )

    (cause,) = root_causes([instant("GET /a", "a1"), instant("GET /b", "b1")])
    assert cause.summary == "JWT API writes the instants at $.messages[*].timestamp in another format: 2 entries"
