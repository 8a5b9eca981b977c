"""The clean Django pair passes the gate: behaviour that is correct for Django, DRF and simplejwt is no finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from djangopair.pair import DjangoSite
from djangopair.pairconfig import GateRun, outline, run_gate

from chatmigrate.audit.findings import SHAPE_SUBJECT
from chatmigrate.corpus import load_corpus
from chatmigrate.vocab import AuditState, Check, ExitCode, FindingKind, Severity, Tier


@pytest.fixture(scope="module")
def clean_gate(django_site: DjangoSite, django_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    return run_gate(django_site, django_corpus, tmp_path_factory.mktemp("gate-clean"))


def test_every_corpus_entry_is_replayed_as_every_principal(clean_gate: GateRun, django_corpus: Path) -> None:
    ids = [entry.id for entry in load_corpus(django_corpus)]
    principals = ["", "@anonymous", "@deactivated", "@support", "@viewer"]
    assert sorted(clean_gate.result.entries) == sorted(f"{id_}{suffix}" for id_ in ids for suffix in principals)


def test_users_the_admin_login_refuses_are_refused_at_login_and_new_refuses_them_too(clean_gate: GateRun) -> None:
    rows = {row.principal: {cell.tier: cell for cell in row.cells} for row in clean_gate.result.principals}
    assert {name for name, cells in rows.items() if cells[Tier.OLD].refused_at_login} == {"viewer", "deactivated"}
    assert [(name, cells[Tier.NEW].granted) for name, cells in rows.items() if cells[Tier.NEW].granted == 0] == [
        ("anonymous", 0),
        ("deactivated", 0),
        ("viewer", 0),
    ]


def test_no_principal_is_granted_more_on_new_than_on_old(clean_gate: GateRun) -> None:
    assert [row.principal for row in clean_gate.result.principals if row.grants_more] == []


def test_the_clean_pair_answers_the_same_bodies_on_both_sides(clean_gate: GateRun) -> None:
    assert outline([finding for finding in clean_gate.result.findings if finding.check == "body"]) == []


def test_the_per_call_timestamp_is_learned_as_noise(clean_gate: GateRun) -> None:
    assert {noise.path for noise in clean_gate.result.noise} == {"$.generated_at"}


def test_the_gate_passes_the_clean_pair(clean_gate: GateRun) -> None:
    assert clean_gate.code == ExitCode.OK, outline(clean_gate.at_or_above(Severity.MEDIUM))


def test_no_finding_on_the_clean_pair_is_medium_or_above(clean_gate: GateRun) -> None:
    assert outline(clean_gate.at_or_above(Severity.MEDIUM)) == []


def test_a_pair_that_declares_no_contract_is_not_held_to_the_seed_contract(clean_gate: GateRun) -> None:
    contract = [f for f in clean_gate.result.findings if f.check == "schema" or f.title.startswith("contract-")]
    assert outline(contract) == []


@pytest.mark.parametrize(
    "case",
    [
        "legacy-csrf-",  # Django prints the CSRF reason only with DEBUG=True
        "hdr-scheme-case-documented",  # simplejwt matches "Bearer" case-sensitively
        "claim-iss-aud",  # simplejwt checks aud and iss only when AUDIENCE and ISSUER are set
        "claim-time-types",  # PyJWT takes a boolean iat or nbf as the number it is in Python
        "mutate-token",  # the same: its minimal mutant is iat=false
    ],
)
def test_stock_django_policies_are_no_finding_at_medium_or_above(clean_gate: GateRun, case: str) -> None:
    assert outline([f for f in clean_gate.at_or_above(Severity.MEDIUM) if f.title.startswith(case)]) == []


def test_the_string_user_id_simplejwt_issues_is_no_finding(clean_gate: GateRun) -> None:
    flagged = [f for f in clean_gate.at_or_above(Severity.MEDIUM) if "string id:" in (f.evidence or "")]
    assert outline(flagged) == []


def test_html_answers_of_the_legacy_view_are_info(clean_gate: GateRun) -> None:
    legacy = [f for f in clean_gate.result.findings if f.check == "json" and f.tier == Tier.OLD]
    assert {f.severity for f in legacy} == {Severity.INFO}


def test_new_answering_a_legacy_crash_with_a_400_is_info(clean_gate: GateRun) -> None:
    fixed = [f for f in clean_gate.result.findings if f.check == "auth-outcome"]
    assert [(f.severity, "500" in f.title) for f in fixed] == [(Severity.INFO, True)]


def test_the_legacy_500_is_titled_with_its_own_status(clean_gate: GateRun) -> None:
    legacy = [f for f in clean_gate.result.findings if f.check == "json" and f.tier == Tier.OLD]
    titled = {f.variant for f in legacy if f.variant is not None and f"{f.variant} " in f.title}
    assert {"500", "400"} <= titled


def test_the_password_change_cases_run_against_django_admin(clean_gate: GateRun) -> None:
    cases = ("claim-token-after-password-change", "legacy-session-before-password-change")
    states = {(result.case_id, result.state) for result in clean_gate.result.audit if result.case_id in cases}
    assert states == {(case, AuditState.PASS) for case in cases}


def test_the_audit_raises_nothing_at_medium_or_above_on_the_clean_pair(clean_gate: GateRun) -> None:
    assert outline([f for f in clean_gate.at_or_above(Severity.MEDIUM) if f.check == Check.AUDIT]) == []


def test_the_clean_pairs_refusals_are_all_shaped_like_its_certain_refusals(clean_gate: GateRun) -> None:
    assert outline([f for f in clean_gate.result.findings if f.subject == SHAPE_SUBJECT]) == []


def test_the_contract_run_is_not_applicable_where_no_contract_is_declared(clean_gate: GateRun) -> None:
    (result,) = [result for result in clean_gate.result.audit if result.case_id == "contract-jwt"]
    assert result.state == AuditState.NOT_APPLICABLE and "[contracts] jwt" in (result.detail or "")


def test_a_5xx_to_a_token_only_the_key_holder_can_mint_is_a_low_robustness_note(clean_gate: GateRun) -> None:
    crashes = [f for f in clean_gate.result.findings if f.kind == FindingKind.SERVER_ERROR and f.check == Check.AUDIT]
    assert [(f.subject, f.severity) for f in crashes] == [("claim-user-id-types", Severity.LOW)]
