"""The token lifecycle cases: each lifecycle flaw of the reference server is caught by its case, the clean
server passes them (its stateless access token after logout is the one documented gap, reported as info),
and a case whose feature the target lacks is not applicable, never passed."""

from __future__ import annotations

import dataclasses

import pytest
from server_wire import ServerFactory

from chatmigrate.audit import AuditOptions, AuditOutcome, embedded_target, run_audit
from chatmigrate.audit.catalogue import CASES, Group
from chatmigrate.audit.policy import AuditPolicy
from chatmigrate.audit.target import AuditTarget
from chatmigrate.records import AuditResult
from chatmigrate.vocab import AuditState, Severity

LIFECYCLE = frozenset(case.id for case in CASES if case.group is Group.LIFECYCLE)
PROMISES = AuditPolicy(blacklist_after_rotation=True, login_throttle=True, token_no_store=True)
"""What the reference server promises beyond stock simplejwt."""
CATCHERS = {
    "refresh-as-access": ("life-token-type-confusion", "data-returned", Severity.HIGH),
    "no-rotation-blacklist": ("life-rotated-refresh-reuse", "accepted", Severity.HIGH),
    "refresh-after-logout": ("life-refresh-after-logout", "accepted", Severity.HIGH),
    "access-after-deactivation": ("life-access-after-deactivation", "data-returned", Severity.HIGH),
    "refresh-after-deactivation": ("life-refresh-after-deactivation", "accepted", Severity.HIGH),
    "user-enumeration": ("life-token-enumeration", "enumeration", Severity.MEDIUM),
    "no-login-throttle": ("life-login-throttle", "not-throttled", Severity.MEDIUM),
    "cacheable-token": ("life-token-no-store", "missing-header", Severity.MEDIUM),
    "no-www-authenticate": ("life-www-authenticate", "missing-header", Severity.LOW),
    "long-lived-access": ("life-access-lifetime", "long-lived-token", Severity.MEDIUM),
}


def audit(target: AuditTarget, cases: frozenset[str], policy: AuditPolicy = PROMISES) -> AuditOutcome:
    return run_audit(target, AuditOptions(cases=cases, budget=0, contract=False, policy=policy))


def results(outcome: AuditOutcome, case_id: str) -> list[AuditResult]:
    return [result for result in outcome.results if result.case_id == case_id]


@pytest.fixture(scope="module")
def clean(server_with: ServerFactory) -> AuditOutcome:
    return audit(embedded_target(server_with(seed=7)), LIFECYCLE)


def test_every_lifecycle_case_but_the_two_gaps_has_a_flaw_it_catches() -> None:
    caught = {case for case, _kind, _severity in CATCHERS.values()}
    assert LIFECYCLE - caught == {"life-access-after-logout", "life-refresh-after-password-change"}


@pytest.mark.parametrize("flaw", list(CATCHERS))
def test_each_lifecycle_flaw_is_caught_by_its_case(server_with: ServerFactory, flaw: str) -> None:
    case_id, kind, severity = CATCHERS[flaw]
    outcome = audit(embedded_target(server_with(flaws=(flaw,))), frozenset({case_id}))
    assert {(f.kind, f.severity) for f in outcome.findings if f.subject == case_id and f.tier == "new"} == {
        (kind, severity)
    }


def test_the_clean_server_passes_every_lifecycle_case_on_every_tier(clean: AuditOutcome) -> None:
    states = {(r.case_id, r.tier): r.state for r in clean.results}
    gaps = {("life-access-after-logout", "new"), ("life-access-after-logout", "proxy")}
    gaps.add(("life-refresh-after-password-change", "new"))
    assert {key for key, state in states.items() if state is not AuditState.PASS} == gaps
    assert {(case.id, tier) for case in CASES if case.id in LIFECYCLE for tier in case.tiers} <= set(states)


def test_an_access_token_after_logout_is_an_info_gap_with_its_lifetime_and_the_legacy_comparison(
    clean: AuditOutcome,
) -> None:
    (finding,) = [f for f in clean.findings if f.subject == "life-access-after-logout" and f.tier == "new"]
    assert (finding.kind, finding.severity) == ("documented-gap", Severity.INFO)
    assert "stays valid for another 14 minutes" in finding.title
    assert "the legacy session stopped working at logout (302 to the login page)" in finding.title


def test_a_refresh_after_a_password_change_fails_where_revocation_is_declared(server_with: ServerFactory) -> None:
    target = dataclasses.replace(embedded_target(server_with(seed=8)), revocation=True)
    outcome = audit(target, frozenset({"life-refresh-after-password-change"}))
    assert {(f.kind, f.severity) for f in outcome.findings} == {("accepted", Severity.HIGH)}


def test_undeclared_promises_make_the_missing_defence_an_info_note(server_with: ServerFactory) -> None:
    server = server_with(flaws=("no-rotation-blacklist", "no-login-throttle", "cacheable-token"))
    cases = frozenset({"life-rotated-refresh-reuse", "life-login-throttle", "life-token-no-store"})
    outcome = audit(embedded_target(server), cases, policy=AuditPolicy())
    assert {(f.subject, f.severity) for f in outcome.findings} == {(case, Severity.INFO) for case in cases}


def test_cases_whose_feature_the_target_lacks_are_not_applicable(server_with: ServerFactory) -> None:
    target = dataclasses.replace(
        embedded_target(server_with(seed=9)),
        blacklist_path="/api/v1/auth/no-such-logout/",
        user_admin_path=None,
    )
    cases = frozenset({"life-refresh-after-logout", "life-access-after-deactivation"})
    outcome = audit(target, cases)
    states = {(r.case_id, r.state) for r in outcome.results}
    assert states == {(case, AuditState.NOT_APPLICABLE) for case in cases}
    assert outcome.findings == []
    (logout,) = results(outcome, "life-refresh-after-logout")
    assert "no logout endpoint" in logout.detail
