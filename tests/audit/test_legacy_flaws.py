"""The legacy tier's session and CSRF flaws: each fails every legacy case it breaks, at that case's severity, and
no other case of the legacy group; the clean server passes them all."""

from __future__ import annotations

from server_wire import ServerFactory

from chatmigrate.audit import AuditOptions, AuditOutcome, embedded_target, run_audit
from chatmigrate.audit.catalogue import CASES, Group
from chatmigrate.vocab import FindingKind, Flaw, Severity, Tier

LEGACY = frozenset(case.id for case in CASES if case.group is Group.LEGACY)
Failures = dict[str, tuple[FindingKind, Severity]]


def failures(server_with: ServerFactory, *flaws: Flaw) -> Failures:
    """Every legacy-group case that failed on the legacy tier, with its finding; info notes are not failures."""
    outcome: AuditOutcome = run_audit(
        embedded_target(server_with(flaws=flaws)), AuditOptions(cases=LEGACY, budget=0, contract=False)
    )
    found = [f for f in outcome.findings if f.severity is not Severity.INFO]
    assert all(f.tier == Tier.OLD and f.subject and f.kind for f in found), [f.title for f in found]
    return {str(f.subject): (FindingKind(f.kind), f.severity) for f in found}


def served(*cases: str, severity: Severity = Severity.CRITICAL) -> Failures:
    return {case: (FindingKind.DATA_RETURNED, severity) for case in cases}


def test_the_clean_server_fails_no_legacy_case(server_with: ServerFactory) -> None:
    assert failures(server_with) == {}


def test_a_chat_view_that_serves_requests_without_a_valid_session_fails_every_bad_session_case(
    server_with: ServerFactory,
) -> None:
    """A stale session is an anonymous request too, so the auto-login serves it; the bearer token is medium."""
    assert failures(server_with, Flaw.LEGACY_SESSION_UNCHECKED) == {
        **served(
            "legacy-no-cookie",
            "legacy-tampered-session",
            "legacy-deleted-session",
            "legacy-session-before-password-change",
        ),
        **served("legacy-jwt-on-legacy-tier", severity=Severity.MEDIUM),
    }


def test_a_chat_view_that_serves_any_logged_in_user_fails_only_the_non_staff_session_case(
    server_with: ServerFactory,
) -> None:
    assert failures(server_with, Flaw.LEGACY_NON_STAFF) == served("legacy-non-staff-session")


def test_sessions_that_survive_a_password_change_fail_only_the_stale_session_case(server_with: ServerFactory) -> None:
    assert failures(server_with, Flaw.LEGACY_SESSION_SURVIVES_PASSWORD_CHANGE) == served(
        "legacy-session-before-password-change"
    )


def test_a_login_exempt_from_csrf_fails_every_csrf_case_as_a_high_bypass(server_with: ServerFactory) -> None:
    bypassed = (FindingKind.CSRF_BYPASSED, Severity.HIGH)
    assert failures(server_with, Flaw.LEGACY_CSRF_EXEMPT) == {
        "legacy-csrf-cookie-missing": bypassed,
        "legacy-csrf-token-missing": bypassed,
        "legacy-csrf-token-malformed": bypassed,
        "legacy-csrf-bad-origin": bypassed,
    }
