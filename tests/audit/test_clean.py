"""The whole audit against a clean reference server: the new tiers are clean, the legacy tier is legacy.

The audit writes (a same-value password change, refused sends, the contract's sends), so it runs on
servers of its own rather than on the shared read-only ``server``.
"""

from __future__ import annotations

import dataclasses

import pytest
from server_wire import ServerFactory

from chatmigrate.audit import AuditOptions, AuditOutcome, embedded_target, run_audit
from chatmigrate.audit.catalogue import CASES
from chatmigrate.vocab import AuditState, Severity

OWN_SEED = 2024


@pytest.fixture(scope="module")
def url_mode(server_with: ServerFactory) -> AuditOutcome:
    return run_audit(embedded_target(server_with(seed=OWN_SEED)), AuditOptions(seed=1))


@pytest.fixture(scope="module")
def jwt_mode(server_with: ServerFactory) -> AuditOutcome:
    server = server_with(ws_auth="jwt", seed=OWN_SEED, ws_auth_timeout=1.0)
    return run_audit(embedded_target(server), AuditOptions(seed=1))


LIFECYCLE_GAPS = {"life-access-after-logout", "life-refresh-after-password-change"}
"""What a stateless token does by design (simplejwt's too): reported as info, never a failure."""


def test_the_new_tiers_give_no_finding_but_the_documented_lifecycle_gaps(url_mode: AuditOutcome) -> None:
    found = [f for f in url_mode.findings if f.tier in ("new", "proxy")]
    assert [f.title for f in found if f.subject not in LIFECYCLE_GAPS] == []
    assert {(f.subject, f.severity) for f in found} == {(gap, Severity.INFO) for gap in LIFECYCLE_GAPS}


def test_the_legacy_tier_gives_only_info_findings(url_mode: AuditOutcome) -> None:
    legacy = [finding for finding in url_mode.findings if finding.tier == "old"]
    assert legacy and {finding.severity for finding in legacy} == {Severity.INFO}


def test_url_mode_websocket_is_reported_as_impersonable(url_mode: AuditOutcome) -> None:
    (finding,) = [finding for finding in url_mode.findings if finding.tier == "ws"]
    assert (finding.subject, finding.kind, finding.severity) == ("ws-impersonate-url", "impersonation", Severity.INFO)
    (result,) = [r for r in url_mode.results if r.case_id == "ws-impersonate-url"]
    assert not result.passed and result.detail.startswith(AuditState.KNOWN_LEGACY)


def test_nothing_clean_fails_the_gate(url_mode: AuditOutcome) -> None:
    assert [f.title for f in url_mode.findings if f.severity.rank >= Severity.MEDIUM.rank] == []


def test_every_case_has_a_result_on_each_of_its_tiers(url_mode: AuditOutcome) -> None:
    seen = {(result.case_id, result.tier) for result in url_mode.results}
    assert {(case.id, tier) for case in CASES for tier in case.tiers} <= seen


def test_with_every_credential_only_the_jwt_first_message_cases_are_not_applicable_in_url_mode(
    url_mode: AuditOutcome,
) -> None:
    skipped = {r.case_id for r in url_mode.results if r.detail.startswith(AuditState.NOT_APPLICABLE)}
    # the reference API refuses non-staff users outright, so no room is a non-staff user's own to step outside of
    assert skipped == {
        "ws-jwt-invalid-token",
        "ws-jwt-malformed-first-message",
        "ws-session-token-expiry",
        "ws-session-after-logout",
        "op-bola-foreign-room",
    }


def test_the_valid_credentials_still_work_after_the_run(url_mode: AuditOutcome) -> None:
    persistence = [r for r in url_mode.results if r.case_id == "persist-valid-credentials"]
    assert {r.tier for r in persistence} == {"new", "proxy", "old", "ws"}
    assert all(r.passed for r in persistence)


def test_mutation_and_contract_ran_and_found_nothing(url_mode: AuditOutcome) -> None:
    results = {r.case_id: r for r in url_mode.results}
    assert results["mutate-token"].passed and url_mode.mutation_examples > 0
    assert results["contract-jwt"].passed and url_mode.contract_operations >= 2


def test_jwt_mode_gives_no_finding_outside_the_legacy_tier(jwt_mode: AuditOutcome) -> None:
    assert [f.title for f in jwt_mode.findings if f.tier != "old" and f.subject not in LIFECYCLE_GAPS] == []


def test_jwt_mode_runs_the_first_message_cases(jwt_mode: AuditOutcome) -> None:
    results = {(r.case_id, r.tier): r for r in jwt_mode.results}
    for case_id in ("ws-jwt-invalid-token", "ws-jwt-malformed-first-message", "ws-impersonate-url"):
        assert results[(case_id, "ws")].passed and not results[(case_id, "ws")].detail.startswith(
            AuditState.NOT_APPLICABLE
        )


def test_without_the_signing_secret_real_key_cases_are_not_applicable(server_with: ServerFactory) -> None:
    target = embedded_target(server_with(seed=OWN_SEED))
    outcome = run_audit(
        dataclasses.replace(target, signing_secret=None),
        AuditOptions(cases=frozenset({"claim-exp-past", "sig-alg-none-variants"}), budget=0, contract=False),
    )
    details = {(r.case_id, r.tier): r.detail for r in outcome.results}
    assert details[("claim-exp-past", "new")].startswith(AuditState.NOT_APPLICABLE)
    assert not details[("sig-alg-none-variants", "new")].startswith(AuditState.NOT_APPLICABLE)


def test_a_tier_that_refuses_connections_is_a_transport_error(server_with: ServerFactory) -> None:
    target = dataclasses.replace(embedded_target(server_with(seed=OWN_SEED)), proxy_url="http://127.0.0.1:9")
    outcome = run_audit(target, AuditOptions(cases=frozenset({"hdr-no-authorization"}), budget=0, contract=False))
    assert outcome.transport_error is not None and "proxy" in outcome.transport_error
    assert {r.tier: r.passed for r in outcome.results} == {"new": True, "proxy": False}
