"""SARIF 2.1.0 (``sarif.json``) for GitHub code scanning and other SARIF viewers.

One rule per audit case that ran and per parity check/kind that was found, one result per finding. A finding's
fingerprint is its SARIF partial fingerprint, so code scanning tracks it across runs as the baseline does; a
finding the baseline accepted is reported with an external suppression rather than dropped, and one under the
gate's threshold is a ``note``. Locations are the endpoints (URIs on the target), since an API finding has no
line in the repository.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from chatmigrate.records import AuditResult, Finding, RunResult
from chatmigrate.report.summary import Gate, severity_order
from chatmigrate.vocab import Check, Severity

FILENAME = "sarif.json"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "chatmigrate/v1"

SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
"""GitHub ranks security alerts by this property: >= 9 critical, >= 7 high, >= 4 medium, else low."""


def rule_id(finding: Finding) -> str:
    """Audit findings are rules of their case; parity findings of their check and kind."""
    if finding.check is Check.AUDIT:
        return f"audit/{finding.subject}"
    return f"{finding.check}/{finding.kind}" if finding.kind else finding.check


def render(run: RunResult, fail_on: Severity) -> str:
    return json.dumps(document(run, fail_on=fail_on), indent=2, ensure_ascii=False) + "\n"


def document(run: RunResult, *, fail_on: Severity) -> dict[str, Any]:
    gate = Gate.of(run, fail_on)
    findings = severity_order(run.findings)
    rules = _rules(run.audit, findings)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "chatmigrate",
                        "version": run.tool_version,
                        "rules": rules,
                    }
                },
                "invocations": [_invocation(run)],
                "results": [_result(finding, gate, index) for finding in findings],
            }
        ],
    }


def _rules(audit: list[AuditResult], findings: list[Finding]) -> list[dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for result in audit:
        rules.setdefault(
            f"{Check.AUDIT}/{result.case_id}",
            _rule(f"{Check.AUDIT}/{result.case_id}", result.case_id, result.description, [Check.AUDIT, result.group]),
        )
    for finding in findings:
        key = rule_id(finding)
        if key not in rules:
            rules[key] = _rule(key, key, finding.title, [finding.check])
        worst = rules[key]["properties"].get("security-severity", "0.0")
        if float(SECURITY_SEVERITY[finding.severity]) > float(worst):
            rules[key]["properties"]["security-severity"] = SECURITY_SEVERITY[finding.severity]
    return sorted(rules.values(), key=lambda rule: str(rule["id"]))


def _rule(key: str, name: str, description: str, tags: list[str]) -> dict[str, Any]:
    return {
        "id": key,
        "name": name,
        "shortDescription": {"text": description},
        "properties": {"tags": ["security", *tags]},
    }


def _result(finding: Finding, gate: Gate, index: dict[str, int]) -> dict[str, Any]:
    key = rule_id(finding)
    result: dict[str, Any] = {
        "ruleId": key,
        "ruleIndex": index[key],
        "level": _level(finding, gate),
        "message": {"text": finding.title},
        "locations": [_location(finding)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"severity": finding.severity.value, "subject": finding.subject},
    }
    if finding.tier:
        result["properties"]["tier"] = finding.tier.value
    if finding.variant:
        result["properties"]["variant"] = finding.variant
    if gate.is_accepted(finding):
        result["suppressions"] = [{"kind": "external", "justification": "accepted by the chatmigrate baseline"}]
    return result


def _location(finding: Finding) -> dict[str, Any]:
    """The endpoint's path as the artifact (a URI reference, so quoted), the whole endpoint as a logical name."""
    where = finding.endpoint or finding.subject
    words = where.split()
    path = words[1] if len(words) > 1 and words[0].isupper() else where
    return {
        "physicalLocation": {"artifactLocation": {"uri": quote(path, safe="/")}},
        "logicalLocations": [{"fullyQualifiedName": where, "kind": "resource"}],
    }


def _level(finding: Finding, gate: Gate) -> str:
    if finding.severity.rank < gate.fail_on.rank:
        return "note"
    return "error" if finding.severity.rank >= Severity.HIGH.rank else "warning"


def _invocation(run: RunResult) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": run.verdict is not None}
    if run.started_at:
        invocation["startTimeUtc"] = run.started_at
    if run.finished_at:
        invocation["endTimeUtc"] = run.finished_at
    return invocation
