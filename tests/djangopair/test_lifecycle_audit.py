"""The token lifecycle cases against a stock Django + DRF + simplejwt site: what it has is checked, what it
lacks (logout, rotation, user administration) is not applicable, and its stock gaps are info only."""

from __future__ import annotations

import pytest
from djangopair.pair import INACTIVE_USER_ID, DjangoSite
from djangopair.pairconfig import ADMIN, SPARE

from chatmigrate.audit import AuditOptions, AuditOutcome, AuditTarget, Principal, run_audit
from chatmigrate.audit.catalogue import CASES, Group
from chatmigrate.vocab import AuditState, Severity

LIFECYCLE = frozenset(case.id for case in CASES if case.group is Group.LIFECYCLE)


@pytest.fixture(scope="module")
def outcome(django_site: DjangoSite) -> AuditOutcome:
    target = AuditTarget(
        principal=Principal(ADMIN, django_site.password),
        new_url=django_site.base_url,
        old_url=django_site.base_url,
        spare_principal=Principal(SPARE, django_site.password),
        inactive_user_id=INACTIVE_USER_ID,
    )
    return run_audit(target, AuditOptions(cases=LIFECYCLE, budget=0, contract=False))


def test_the_stock_site_fails_no_lifecycle_case(outcome: AuditOutcome) -> None:
    assert [f.title for f in outcome.findings if f.severity.rank > Severity.INFO.rank] == []


def test_what_the_stock_site_lacks_is_not_applicable_with_its_reason(outcome: AuditOutcome) -> None:
    skipped = {r.case_id: r.detail for r in outcome.results if r.state is AuditState.NOT_APPLICABLE}
    assert set(skipped) == {
        "life-refresh-after-logout",
        "life-access-after-logout",
        "life-rotated-refresh-reuse",
        "life-refresh-after-deactivation",
        "life-access-after-deactivation",
    }
    assert "TokenBlacklistView is not routed" in skipped["life-refresh-after-logout"]
    assert "ROTATE_REFRESH_TOKENS is off" in skipped["life-rotated-refresh-reuse"]


def test_the_stock_site_passes_what_any_correct_server_does(outcome: AuditOutcome) -> None:
    passed = {r.case_id for r in outcome.results if r.state is AuditState.PASS}
    assert {"life-token-type-confusion", "life-token-enumeration", "life-www-authenticate"} <= passed


def test_the_stock_gaps_are_info_notes(outcome: AuditOutcome) -> None:
    notes = {f.subject for f in outcome.findings if f.severity is Severity.INFO}
    assert notes == {"life-refresh-after-password-change", "life-login-throttle", "life-token-no-store"}
