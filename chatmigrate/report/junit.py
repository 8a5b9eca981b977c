"""JUnit XML, so CI systems show one test per corpus entry and per audit case.

Testcases are the corpus entries (suite ``chatmigrate.parity``), the audit cases on each
tier (``chatmigrate.audit``) and any other subject a finding names (``chatmigrate.other``,
e.g. a latency regression on an endpoint). A finding belongs to the testcase it names, and
a parity finding that stands for several corpus entries to every one of them. A testcase
fails (one ``<failure>`` element, all its findings in the text) when it has at least one
finding that fails the gate (at or above the threshold, not accepted by the baseline, and
the verdict failed); its other findings go to ``<system-out>``. So the failure count is the
number of testcases with a gate-failing finding, and the failure message names the root
cause a finding shares with others. An audit case that does not apply to its tier is
``<skipped>``, neither passed nor failed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field

from chatmigrate.records import AuditResult, Finding, RunResult
from chatmigrate.report.summary import Gate, severity_order
from chatmigrate.report.text import finding_text
from chatmigrate.rootcause import RootCause, root_causes
from chatmigrate.vocab import AuditState, Severity

FILENAME = "junit.xml"
PARITY_SUITE = "chatmigrate.parity"
AUDIT_SUITE = "chatmigrate.audit"
OTHER_SUITE = "chatmigrate.other"
MAX_FINDING_TEXT = 4_000

_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(slots=True)
class JUnitCase:
    suite: str
    name: str
    audit: AuditResult | None = None
    findings: list[Finding] = field(default_factory=list)

    def failing(self, gate: Gate) -> list[Finding]:
        return [f for f in self.findings if gate.fails(f)]


def junit_cases(run: RunResult) -> list[JUnitCase]:
    """Attach each finding to its testcase: audit case on the finding's tier, corpus entry, or its own."""
    cases = [JUnitCase(PARITY_SUITE, entry) for entry in run.entries]
    by_entry = {case.name: case for case in cases}
    by_tier: dict[tuple[str, str], JUnitCase] = {}
    by_case_id: dict[str, list[JUnitCase]] = {}
    for result in run.audit:
        case = JUnitCase(AUDIT_SUITE, f"{result.case_id} [{result.tier}]", audit=result)
        cases.append(case)
        by_tier[(result.case_id, result.tier)] = case
        by_case_id.setdefault(result.case_id, []).append(case)
    others: dict[str, JUnitCase] = {}
    for finding in run.findings:
        entries = [by_entry[entry] for entry in finding.entries if entry in by_entry]
        home = by_tier.get((finding.subject, finding.tier or "")) or by_entry.get(finding.subject)
        if home is None and len(by_case_id.get(finding.subject, ())) == 1:
            home = by_case_id[finding.subject][0]
        if home is None and not entries:
            home = others.get(finding.subject)
            if home is None:
                home = others[finding.subject] = JUnitCase(OTHER_SUITE, finding.subject)
                cases.append(home)
        for case in ([home] if home is not None else []) + [entry for entry in entries if entry is not home]:
            case.findings.append(finding)
    return cases


def render(run: RunResult, fail_on: Severity) -> bytes:
    gate = Gate.of(run, fail_on)
    cases = junit_cases(run)
    causes = {id(finding): cause for cause in root_causes(run.findings, run.audit) for finding in cause.findings}
    root = ET.Element("testsuites", name="chatmigrate")
    totals = {"failure": 0, "skipped": 0}
    for suite_name in (PARITY_SUITE, AUDIT_SUITE, OTHER_SUITE):
        members = [case for case in cases if case.suite == suite_name]
        if not members:
            continue
        suite = ET.SubElement(root, "testsuite", name=suite_name)
        outcomes = [_add_case(suite, case, gate, causes) for case in members]
        suite.set("tests", str(len(members)))
        suite.set("failures", str(outcomes.count("failure")))
        suite.set("errors", "0")
        suite.set("skipped", str(outcomes.count("skipped")))
        for outcome in totals:
            totals[outcome] += outcomes.count(outcome)
    root.set("tests", str(len(cases)))
    root.set("failures", str(totals["failure"]))
    root.set("errors", "0")
    root.set("skipped", str(totals["skipped"]))
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def _add_case(suite: ET.Element, case: JUnitCase, gate: Gate, causes: Mapping[int, RootCause]) -> str:
    """Adds the testcase; returns how it ended: "failure", "skipped" or "passed"."""
    element = ET.SubElement(suite, "testcase", classname=case.suite, name=_clean(case.name))
    failing = case.failing(gate)
    outcome = "failure" if failing else "passed"
    if failing:
        worst = severity_order(failing)[0]
        cause = causes.get(id(worst))
        shared = f" (root cause: {cause.summary})" if cause is not None and len(cause.findings) > 1 else ""
        failure = ET.SubElement(
            element,
            "failure",
            type=worst.check,
            message=_clean(f"{len(failing)} finding(s) at or above {gate.fail_on.value}: {worst.title}{shared}"),
        )
        failure.text = "\n\n".join(_describe(f, gate) for f in severity_order(failing))
    elif case.audit is not None and case.audit.state is AuditState.NOT_APPLICABLE:
        ET.SubElement(element, "skipped", message=_clean(case.audit.detail or "not applicable on this tier"))
        outcome = "skipped"
    passing = [f for f in case.findings if not gate.fails(f)]
    notes = [_describe_audit(case.audit)] if case.audit is not None else []
    notes += [_describe(f, gate) for f in severity_order(passing)]
    if notes:
        ET.SubElement(element, "system-out").text = "\n\n".join(notes)
    return outcome


def _describe(finding: Finding, gate: Gate) -> str:
    accepted = " (accepted by the baseline)" if gate.is_accepted(finding) else ""
    tolerated = " (tolerated: the verdict passed within --max-findings)" if gate.tolerates(finding) else ""
    text = finding_text(finding, note=accepted + tolerated)
    if len(text) > MAX_FINDING_TEXT:
        text = text[:MAX_FINDING_TEXT] + f"\n  \u2026 ({len(text) - MAX_FINDING_TEXT} more characters in report.json)"
    return _clean(text)


def _describe_audit(result: AuditResult) -> str:
    return _clean(
        f"audit {result.state.value} on {result.tier} ({result.group}, status {result.status}): "
        f"{result.description}. {result.detail}".rstrip()
    )


def _clean(text: str) -> str:
    """Server bodies may hold control characters that XML 1.0 cannot carry at all."""
    return _XML_INVALID.sub("\ufffd", text)
