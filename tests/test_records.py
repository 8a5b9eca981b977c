"""Records round-trip through JSON exactly, and a results file with foreign fields is refused."""

from __future__ import annotations

import json
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest

from chatmigrate.records import (
    RESULTS_SCHEMA_VERSION,
    AuditResult,
    Exchange,
    Finding,
    RunResult,
    TargetInfo,
    Verdict,
    from_dict,
    to_dict,
)
from chatmigrate.vocab import AuditState, Check, FindingKind, Severity, Tier


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


@pytest.mark.parametrize("check", [Check.JSON, Check.AUTH_OUTCOME, Check.BODY, Check.SCHEMA])
def test_fingerprint_of_a_finding_grouped_over_entries_ignores_which_entry_is_its_example(check: Check) -> None:
    first = Finding(check, Severity.HIGH, "t", "entry-a", "GET /x", path="$.a", kind=FindingKind.HTML, tier=Tier.NEW)
    second = Finding(check, Severity.HIGH, "t", "entry-b", "GET /x", path="$.a", kind=FindingKind.HTML, tier=Tier.NEW)
    assert first.fingerprint == second.fingerprint


@pytest.mark.parametrize("check", [Check.AUDIT, Check.WS_PARITY, Check.LATENCY, Check.NOISE, Check.IGNORE_RULE])
def test_fingerprint_of_a_finding_about_one_subject_keeps_the_subject(check: Check) -> None:
    first = Finding(check, Severity.HIGH, "t", "expired-token", "GET /x", kind=FindingKind.HTML, tier=Tier.NEW)
    second = Finding(check, Severity.HIGH, "t", "forged-token", "GET /x", kind=FindingKind.HTML, tier=Tier.NEW)
    assert first.fingerprint != second.fingerprint


def test_check_kind_and_tier_given_as_their_values_are_held_as_members() -> None:
    finding = Finding("audit", Severity.HIGH, "t", "case", kind="bad-envelope", tier="proxy")  # type: ignore[arg-type]
    assert (finding.check, finding.kind, finding.tier) == (Check.AUDIT, FindingKind.BAD_ENVELOPE, Tier.PROXY)
    assert type(finding.check) is Check and type(finding.kind) is FindingKind and type(finding.tier) is Tier


def test_an_unknown_kind_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="unknown body finding kind 'renamed'"):
        Finding(Check.BODY, Severity.HIGH, "t", "e1", kind="renamed")  # type: ignore[arg-type]


def test_check_kind_variant_and_tier_round_trip_as_members() -> None:
    finding = Finding(
        Check.AUTH_OUTCOME,
        Severity.MEDIUM,
        "t",
        "e1",
        kind=FindingKind.OUTCOME_CHANGED,
        variant="ok->unauthenticated",
        tier=Tier.NEW,
        entries=["e1", "e2"],
    )
    back = from_dict(Finding, json.loads(json.dumps(to_dict(finding))))
    assert back == finding and back.kind is FindingKind.OUTCOME_CHANGED and back.tier is Tier.NEW


def test_group_key_is_the_root_cause_whichever_entry_or_endpoint_showed_it() -> None:
    first = Finding(Check.AUDIT, Severity.HIGH, "t1", "expired", "GET /a", kind=FindingKind.HTML, tier=Tier.NEW)
    second = Finding(Check.AUDIT, Severity.HIGH, "t2", "forged", "GET /b", kind=FindingKind.HTML, tier=Tier.NEW)
    elsewhere = Finding(Check.AUDIT, Severity.HIGH, "t1", "expired", "GET /a", kind=FindingKind.HTML, tier=Tier.PROXY)
    assert first.group_key == second.group_key != elsewhere.group_key


def test_group_key_keeps_two_variants_of_one_kind_apart() -> None:
    def outcome(variant: str) -> Finding:
        return Finding(
            Check.AUTH_OUTCOME, Severity.MEDIUM, "t", "e1", kind=FindingKind.OUTCOME_CHANGED, variant=variant
        )

    assert outcome("ok->unauthenticated").group_key != outcome("ok->server-error").group_key


V1_FINDINGS = [
    ("auth-outcome", "ok->unauthenticated", "new", FindingKind.OUTCOME_CHANGED, "ok->unauthenticated"),
    ("auth-outcome", "status 400->422", "proxy", FindingKind.STATUS_CHANGED, "400->422"),
    ("schema", "'count' is a required property", "old", FindingKind.SCHEMA_VIOLATION, "'count' is a required property"),
    ("audit", "not_a_server_error", "new", FindingKind.CONTRACT_CHECK, "not_a_server_error"),
    ("audit", "html", "new", FindingKind.HTML, None),
    ("json", "html-404", "old", FindingKind.HTML, "404"),
    ("json", "login-redirect", "old", FindingKind.LOGIN_REDIRECT, None),
    ("json", "legacy-crash-500", "old", FindingKind.LEGACY_CRASH, "500"),
    (
        "auth-outcome",
        "not-found 404->client-error 400",
        "new",
        FindingKind.OUTCOME_CHANGED,
        "not-found 404->client-error 400",
    ),
    ("auth-outcome", "fixed-crash 500->400", "new", FindingKind.FIXED_CRASH, "500->400"),
    ("auth-outcome", "server-error-502", "proxy", FindingKind.SERVER_ERROR, "502"),
    ("body", "key_removed", "new", FindingKind.KEY_REMOVED, None),
    ("noise", "learned", None, FindingKind.LEARNED, None),
]


@pytest.mark.parametrize(("check", "kind", "side", "member", "variant"), V1_FINDINGS)
def test_a_version_1_finding_is_read_with_its_tier_kind_and_variant(
    check: str, kind: str, side: str | None, member: FindingKind, variant: str | None
) -> None:
    finding = from_dict(Finding, _v1_finding(check, kind, side))
    assert (finding.kind, finding.variant, finding.tier) == (member, variant, side)


@pytest.mark.parametrize(("check", "kind", "side", "member", "variant"), V1_FINDINGS)
def test_a_version_1_finding_keeps_its_fingerprint_so_baselines_still_match(
    check: str, kind: str, side: str | None, member: FindingKind, variant: str | None
) -> None:
    subject = None if check in ("json", "auth-outcome", "body", "schema") else "e1"
    v1_key = "|".join(str(part or "") for part in (check, subject, "GET /x", "$.a", kind, side))
    assert from_dict(Finding, _v1_finding(check, kind, side)).fingerprint == sha256(v1_key.encode()).hexdigest()[:16]


def test_a_version_1_run_is_read_as_the_current_version() -> None:
    data = {**to_dict(full_run()), "schema_version": 1, "findings": [_v1_finding("body", "key_removed", "new")]}
    run = from_dict(RunResult, data)
    assert run.schema_version == RESULTS_SCHEMA_VERSION == 2
    assert run.findings[0].tier is Tier.NEW


def test_the_results_schema_names_the_vocabulary_exactly() -> None:
    defs = json.loads((Path(__file__).parents[1] / "contracts/schemas/results.json").read_text())["$defs"]
    assert defs["check"]["enum"] == [check.value for check in Check]
    assert defs["finding_kind"]["enum"] == [kind.value for kind in FindingKind]
    assert defs["tier"]["enum"] == [tier.value for tier in Tier]


def _v1_finding(check: str, kind: str, side: str | None) -> dict[str, Any]:
    return {
        "check": check,
        "severity": "high",
        "title": "t",
        "subject": "e1",
        "endpoint": "GET /x",
        "path": "$.a",
        "kind": kind,
        "side": side,
        "old": None,
        "new": None,
        "evidence": None,
        "reproducer": None,
    }


def test_severity_parses_user_input_case_insensitively_and_names_the_choices() -> None:
    assert Severity.parse(" High ") is Severity.HIGH
    with pytest.raises(ValueError, match="expected one of critical, high"):
        Severity.parse("severe")
