"""Every difference planted in the variant's JWT API is caught, with the kind and severity it deserves.

Planted (``CHATSITE_VARIANT=1``, chatsite/chat/payloads.py, api.py, errors.py): ``message`` renamed to ``text``,
timestamps written ``+00:00`` instead of ``Z``, prices as decimal strings, an HTML page for a 401, and the
staff check dropped (any authenticated user gets the data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from djangopair.pair import DjangoSite
from djangopair.pairconfig import GateRun, outline, run_gate

from chatmigrate.records import Finding
from chatmigrate.vocab import Check, ExitCode, FindingKind, Severity, Tier

MESSAGES = "$.messages[*]"
PLANTED = {
    ("body", "key_removed", Severity.HIGH),
    ("body", "same_instant", Severity.MEDIUM),
    ("body", "decimal_string", Severity.HIGH),
    ("audit", "html", Severity.HIGH),
    ("audit", "data-returned", Severity.CRITICAL),
    ("auth-outcome", "outcome-changed", Severity.CRITICAL),
    # the dropped staff check lets the non-staff user's bad requests through to validation: 400 where old refused
    ("auth-outcome", "outcome-changed", Severity.MEDIUM),
    ("json", "html", Severity.HIGH),
}
"""What the planted differences may raise at medium or above, and nothing else."""


@pytest.fixture(scope="module")
def variant_gate(django_variant: DjangoSite, django_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    return run_gate(django_variant, django_corpus, tmp_path_factory.mktemp("gate-variant"))


def body_findings(run: GateRun, path: str) -> list[Finding]:
    return [f for f in run.result.findings if f.check == "body" and f.path == path and f.tier == Tier.NEW]


def test_the_gate_fails_the_variant(variant_gate: GateRun) -> None:
    assert variant_gate.code == ExitCode.GATE_FAILED


def test_a_renamed_field_is_missing_on_new_at_high(variant_gate: GateRun) -> None:
    found = body_findings(variant_gate, f"{MESSAGES}.message")
    assert [(f.kind, f.severity, f.endpoint) for f in found] == [
        ("key_removed", Severity.HIGH, "GET /admin/chat/ [recent_messages]")
    ]


def test_the_field_it_was_renamed_to_is_an_added_key_at_low(variant_gate: GateRun) -> None:
    assert [(f.kind, f.severity) for f in body_findings(variant_gate, f"{MESSAGES}.text")] == [
        ("key_added", Severity.LOW)
    ]


def test_an_offset_instead_of_z_is_the_same_instant_at_medium(variant_gate: GateRun) -> None:
    found = body_findings(variant_gate, f"{MESSAGES}.timestamp")
    assert {(f.kind, f.severity, "same instant" in f.title) for f in found} == {("same_instant", Severity.MEDIUM, True)}
    assert len(found) == 2  # recent_messages and purchases_list


def test_a_price_sent_as_a_string_is_a_decimal_string_at_high(variant_gate: GateRun) -> None:
    found = body_findings(variant_gate, f"{MESSAGES}.amount")
    assert [(f.kind, f.severity, f.endpoint) for f in found] == [
        ("decimal_string", Severity.HIGH, "GET /admin/chat/ [purchases_list]")
    ]


def test_an_html_401_on_the_jwt_api_is_caught_at_high(variant_gate: GateRun) -> None:
    html = [f for f in variant_gate.result.findings if f.check == "audit" and f.kind == "html" and f.tier == Tier.NEW]
    assert {f.severity for f in html} == {Severity.HIGH}
    assert any("observed status 401, text/html" in (f.evidence or "") for f in html)


def test_the_html_401_is_caught_by_the_replay_as_anonymous(variant_gate: GateRun) -> None:
    html = [f for f in variant_gate.result.findings if f.check == Check.JSON and f.tier == Tier.NEW]
    assert {(f.kind, f.severity, f.variant) for f in html} == {(FindingKind.HTML, Severity.HIGH, "401")}
    assert {entry.rsplit("@", 1)[-1] for f in html for entry in f.entries} == {"anonymous", "deactivated"}


def test_a_skipped_staff_check_is_critical(variant_gate: GateRun) -> None:
    granted = [f for f in variant_gate.result.findings if f.title.startswith("claim-non-staff-role")]
    assert [(f.kind, f.severity, f.tier) for f in granted] == [("data-returned", Severity.CRITICAL, Tier.NEW)]


def test_a_non_staff_users_bad_request_validated_by_new_where_old_refused_at_login_is_medium(
    variant_gate: GateRun,
) -> None:
    outcomes = [f for f in variant_gate.result.findings if f.check == Check.AUTH_OUTCOME and f.tier == Tier.NEW]
    validated = [f for f in outcomes if f.severity is Severity.MEDIUM]
    assert {f.variant for f in validated} == {"unauthenticated 302->client-error 400"}
    assert {entry.rsplit("@", 1)[-1] for f in validated for entry in f.entries} == {"viewer"}


def test_a_non_staff_user_granted_by_new_what_old_refused_at_login_is_critical(variant_gate: GateRun) -> None:
    outcomes = [f for f in variant_gate.result.findings if f.check == Check.AUTH_OUTCOME and f.tier == Tier.NEW]
    granted = [f for f in outcomes if f.severity is Severity.CRITICAL]
    assert {f.kind for f in granted} == {FindingKind.OUTCOME_CHANGED}
    assert all("old refused viewer at login" in f.title for f in granted)
    assert {entry.rsplit("@", 1)[-1] for f in granted for entry in f.entries} == {"viewer"}


def test_the_principal_matrix_marks_the_non_staff_row_as_granting_more(variant_gate: GateRun) -> None:
    rows = {row.principal: row for row in variant_gate.result.principals}
    assert [row.principal for row in rows.values() if row.grants_more] == ["viewer"]
    old, new = rows["viewer"].cells[:2]
    assert (old.refused_at_login, old.granted, new.granted == new.grants_more > 0) == (True, 0, True)


def test_nothing_but_the_planted_differences_is_medium_or_above(variant_gate: GateRun) -> None:
    raised = {(f.check, f.kind, f.severity) for f in variant_gate.at_or_above(Severity.MEDIUM)}
    unexpected = [f for f in variant_gate.at_or_above(Severity.MEDIUM) if (f.check, f.kind, f.severity) not in PLANTED]
    assert (raised, outline(unexpected)) == (PLANTED, [])


def test_the_audit_raises_only_the_planted_html_and_missing_staff_check_at_medium_or_above(
    variant_gate: GateRun,
) -> None:
    raised = {(f.kind, f.severity) for f in variant_gate.at_or_above(Severity.MEDIUM) if f.check == Check.AUDIT}
    assert raised == {(FindingKind.HTML, Severity.HIGH), (FindingKind.DATA_RETURNED, Severity.CRITICAL)}
