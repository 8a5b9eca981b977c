"""Records round-trip through JSON exactly, and a results file with foreign fields is refused."""

from __future__ import annotations

import json

import pytest

from chatmigrate.records import AuditResult, Exchange, Finding, RunResult, TargetInfo, Verdict, from_dict, to_dict
from chatmigrate.vocab import AuditState, Severity


def full_run() -> RunResult:
    return RunResult(
        tool_version="1",
        started_at="2026-11-26T00:00:00+00:00",
        targets=[TargetInfo("old", "http://x", "session", "admin")],
        findings=[Finding("body", Severity.HIGH, "t", "e1", path="$.a", old=[1], new={"b": None})],
        audit=[
            AuditResult("hdr-no-authorization", "header", "new", "d", passed=True, status=401, state=AuditState.PASS)
        ],
        verdict=Verdict(False, 1, "why", Severity.HIGH),
    )


def test_a_run_result_round_trips_through_json() -> None:
    run = full_run()
    assert from_dict(RunResult, json.loads(json.dumps(to_dict(run)))) == run


def test_enums_come_back_as_enums() -> None:
    run = from_dict(RunResult, to_dict(full_run()))
    assert run.findings[0].severity is Severity.HIGH and run.verdict is not None
    assert run.verdict.threshold is Severity.HIGH


def test_an_unknown_field_is_refused_naming_it() -> None:
    data = to_dict(Exchange("e1", "old", 0, "GET", "http://x/", "GET /"))
    with pytest.raises(ValueError, match=r"unknown field.*surprise"):
        from_dict(Exchange, {**data, "surprise": 1})


def test_a_non_object_is_refused() -> None:
    with pytest.raises(ValueError, match="expected an object"):
        from_dict(Exchange, ["not", "a", "record"])


def test_fingerprints_ignore_the_values_seen() -> None:
    first = Finding("body", Severity.HIGH, "t", "e1", path="$.a", old=1, new=2)
    second = Finding("body", Severity.HIGH, "other title", "e1", path="$.a", old=3, new=4)
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint != Finding("body", Severity.HIGH, "t", "e1", path="$.b").fingerprint


@pytest.mark.parametrize("check", ["json", "auth-outcome", "body", "schema"])
def test_fingerprint_of_a_finding_grouped_over_entries_ignores_which_entry_is_its_example(check: str) -> None:
    first = Finding(check, Severity.HIGH, "t", "entry-a", "GET /x", path="$.a", kind="k", side="new")
    second = Finding(check, Severity.HIGH, "t", "entry-b", "GET /x", path="$.a", kind="k", side="new")
    assert first.fingerprint == second.fingerprint


@pytest.mark.parametrize("check", ["audit", "ws-parity", "latency", "noise", "ignore-rule"])
def test_fingerprint_of_a_finding_about_one_subject_keeps_the_subject(check: str) -> None:
    first = Finding(check, Severity.HIGH, "t", "expired-token", "GET /x", kind="k", side="new")
    second = Finding(check, Severity.HIGH, "t", "forged-token", "GET /x", kind="k", side="new")
    assert first.fingerprint != second.fingerprint


def test_severity_parses_user_input_case_insensitively_and_names_the_choices() -> None:
    assert Severity.parse(" High ") is Severity.HIGH
    with pytest.raises(ValueError, match="expected one of critical, high"):
        Severity.parse("severe")
