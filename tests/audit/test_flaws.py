"""Every auth flaw of the reference server is caught by a named case, at the severity it deserves."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cli_helpers import cli
from server_wire import ServerFactory

from chatmigrate.audit import AuditOptions, AuditOutcome, embedded_target, run_audit
from chatmigrate.audit.findings import SHAPE_SUBJECT
from chatmigrate.errors import UsageError
from chatmigrate.server.switches import FLAWS
from chatmigrate.targets import embedded_server_config
from chatmigrate.vocab import AuditState, ExitCode, Flaw, Severity, WsAuth

CATCHERS = {
    "accept-expired": "claim-exp-past",
    "alg-none": "sig-alg-none-variants",
    "skip-signature": "sig-altered-signature",
    "role-bypass": "claim-non-staff-role",
    "html-401": "hdr-no-authorization",
    "stack-trace": "hdr-no-authorization",
    "echo-token": "sig-altered-signature",
    "lowercase-bearer": "hdr-scheme-case-forged",
    "ws-missing-token": "ws-jwt-malformed-first-message",
    "ws-no-origin-check": "ws-origin-foreign",
    # the lifecycle flaws, each shown caught in test_lifecycle.py
    "refresh-as-access": "life-token-type-confusion",
    "no-rotation-blacklist": "life-rotated-refresh-reuse",
    "refresh-after-logout": "life-refresh-after-logout",
    "access-after-deactivation": "life-access-after-deactivation",
    "refresh-after-deactivation": "life-refresh-after-deactivation",
    "user-enumeration": "life-token-enumeration",
    "no-login-throttle": "life-login-throttle",
    "cacheable-token": "life-token-no-store",
    "no-www-authenticate": "life-www-authenticate",
    "stored-active-html": "client-active-html",
    "cors-reflect-credentials": "op-cors-credentialed-origin",
    "proxy-route-variant": "op-route-path-variants",
    "proxy-method-override": "op-route-verb-variants",
    "non-staff-any-room": "op-bola-foreign-room",
    "middleware-subrequest": "proxy-middleware-subrequest",
    "proxy-presence-only": "proxy-presence-only",
    "proxy-trusts-loopback": "proxy-identity-headers",
    "session-fixation": "legacy-session-fixation",
    "session-cookie-flags": "legacy-cookie-flags",
    "login-open-redirect": "legacy-login-open-redirect",
    "alg-list": "sig-alg-header-types",
    "asymmetric-alg-unverified": "sig-alg-asymmetric-forged",
    # the wave-3 flaws, each shown caught in test_cases_wave3.py
    "duplicate-header-params": "sig-duplicate-header-keys",
    "duplicate-claims-first-wins": "claim-duplicate-keys",
    "claim-substring-match": "claim-iss-aud-lookalike",
    "token-privilege-claims": "claim-privilege-claims",
    "user-secrets-exposed": "op-secret-in-response",
    "long-lived-access": "life-access-lifetime",
    "proxy-path-override": "proxy-path-override-headers",
    "public-cache-data": "op-shared-cache-data",
    # the socket over time and message-level authorisation, each shown caught in test_ws_session.py
    "ws-expired-token-kept": "ws-session-token-expiry",
    "ws-logout-kept": "ws-session-after-logout",
    "ws-deactivated-user-kept": "ws-session-after-deactivation",
    "ws-sender-from-message": "ws-message-foreign-sender",
    "ws-room-from-message": "ws-message-foreign-room",
    "ws-non-staff": "ws-non-staff-principal",
    # the legacy session and CSRF flaws, each shown failing every case it breaks in test_legacy_flaws.py
    "legacy-session-unchecked": "legacy-no-cookie",
    "legacy-non-staff": "legacy-non-staff-session",
    "legacy-session-survives-password-change": "legacy-session-before-password-change",
    "legacy-csrf-exempt": "legacy-csrf-token-missing",
    # the socket's identity and the JWT tier's robustness, each shown caught below
    "ws-token-unverified": "ws-jwt-invalid-token",
    "ws-token-user-mismatch": "ws-impersonate-url",
    "ws-default-user": "ws-no-user-id",
    "ws-room-id-overflow": "ws-chatroom-path-malformed",
    "claim-type-crash": "claim-odd-types",
    "bad-token-lockout": "persist-valid-credentials",
}


def audit(server_with: ServerFactory, flaw: str) -> AuditOutcome:
    if flaw.startswith("ws-"):
        server = server_with(flaws=(flaw,), ws_auth="jwt", ws_auth_timeout=1.0)
    else:
        server = server_with(flaws=(flaw,))
    options = AuditOptions(cases=frozenset({CATCHERS[flaw]}), budget=0, contract=False)
    return run_audit(embedded_target(server), options)


def caught(outcome: AuditOutcome, flaw: str) -> dict[tuple[str | None, str | None], Severity]:
    return {(f.tier, f.kind): f.severity for f in outcome.findings if f.subject == CATCHERS[flaw]}


def test_every_flaw_has_a_named_catcher() -> None:
    assert set(CATCHERS) == set(FLAWS)


def test_accepting_expired_tokens_is_critical_on_both_jwt_tiers(server_with: ServerFactory) -> None:
    found = caught(audit(server_with, "accept-expired"), "accept-expired")
    assert found == {("new", "data-returned"): Severity.CRITICAL, ("proxy", "data-returned"): Severity.CRITICAL}


def test_accepting_alg_none_is_critical(server_with: ServerFactory) -> None:
    found = caught(audit(server_with, "alg-none"), "alg-none")
    assert found[("new", "data-returned")] is Severity.CRITICAL


def test_skipping_the_signature_check_is_critical(server_with: ServerFactory) -> None:
    found = caught(audit(server_with, "skip-signature"), "skip-signature")
    assert found[("new", "data-returned")] is Severity.CRITICAL


def test_skipping_the_role_check_is_critical(server_with: ServerFactory) -> None:
    found = caught(audit(server_with, "role-bypass"), "role-bypass")
    assert found[("new", "data-returned")] is Severity.CRITICAL


def test_an_html_401_is_high_and_breaks_the_declared_envelope_once_per_tier(server_with: ServerFactory) -> None:
    outcome = audit(server_with, "html-401")
    assert caught(outcome, "html-401")[("new", "html")] is Severity.HIGH
    shapes = [(f.tier, f.kind, f.severity) for f in outcome.findings if f.subject == SHAPE_SUBJECT]
    assert ("new", "bad-envelope", Severity.MEDIUM) in shapes
    assert len(shapes) == len({tier for tier, _kind, _severity in shapes})


def test_a_stack_trace_in_an_auth_failure_is_high(server_with: ServerFactory) -> None:
    found = caught(audit(server_with, "stack-trace"), "stack-trace")
    assert found == {("new", "stack-trace"): Severity.HIGH}


def test_an_echoed_token_is_high(server_with: ServerFactory) -> None:
    found = caught(audit(server_with, "echo-token"), "echo-token")
    assert found == {("new", "token-echo"): Severity.HIGH}


def test_a_lowercase_scheme_that_skips_verification_is_critical(server_with: ServerFactory) -> None:
    found = caught(audit(server_with, "lowercase-bearer"), "lowercase-bearer")
    assert found[("new", "data-returned")] is Severity.CRITICAL


def test_a_websocket_auth_message_without_token_is_critical(server_with: ServerFactory) -> None:
    found = caught(audit(server_with, "ws-missing-token"), "ws-missing-token")
    assert found == {("ws", "data-returned"): Severity.CRITICAL}


def test_a_websocket_without_origin_check_is_high(server_with: ServerFactory) -> None:
    found = caught(audit(server_with, "ws-no-origin-check"), "ws-no-origin-check")
    assert found == {("ws", "data-returned"): Severity.HIGH}


def non_staff_socket(server_with: ServerFactory, mode: WsAuth, *flaws: Flaw) -> AuditOutcome:
    target = embedded_target(server_with(flaws=flaws, ws_auth=mode, ws_auth_timeout=1.0))
    options = AuditOptions(cases=frozenset({CATCHERS[Flaw.WS_NON_STAFF]}), budget=0, contract=False)
    return run_audit(target, options)


@pytest.mark.parametrize("mode", list(WsAuth))
def test_a_socket_that_lets_a_non_staff_user_in_is_critical_in_either_mode(
    server_with: ServerFactory, mode: WsAuth
) -> None:
    found = caught(non_staff_socket(server_with, mode, Flaw.WS_NON_STAFF), Flaw.WS_NON_STAFF)
    assert found == {("ws", "data-returned"): Severity.CRITICAL}


@pytest.mark.parametrize("mode", list(WsAuth))
def test_the_clean_socket_refuses_the_non_staff_principal_in_either_mode(
    server_with: ServerFactory, mode: WsAuth
) -> None:
    outcome = non_staff_socket(server_with, mode)
    assert outcome.findings == []
    assert [(r.tier, r.state) for r in outcome.results] == [("ws", AuditState.PASS)]


def test_without_a_non_staff_principal_the_socket_case_is_not_applicable(server_with: ServerFactory) -> None:
    target = dataclasses.replace(embedded_target(server_with()), forbidden_principal=None)
    options = AuditOptions(cases=frozenset({CATCHERS[Flaw.WS_NON_STAFF]}), budget=0, contract=False)
    (result,) = run_audit(target, options).results
    assert result.state is AuditState.NOT_APPLICABLE and "forbidden_principal" in result.detail


def test_a_finding_names_its_case_tier_and_endpoint(server_with: ServerFactory) -> None:
    outcome = audit(server_with, "alg-none")
    finding = next(f for f in outcome.findings if f.tier == "new" and f.subject == "sig-alg-none-variants")
    assert finding.check == "audit"
    assert finding.endpoint == "GET /admin/chat/ [recent_messages]"
    assert "alg" in (finding.evidence or "") and finding.reproducer


def test_a_flaw_that_acts_only_in_jwt_mode_switches_the_embedded_socket_to_jwt_mode() -> None:
    assert embedded_server_config((), (Flaw.WS_MISSING_TOKEN,), None).ws_auth is WsAuth.JWT


def test_a_flaw_in_a_mode_that_cannot_show_it_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="ws-missing-token acts only in --ws-auth jwt"):
        embedded_server_config((), (Flaw.WS_MISSING_TOKEN,), WsAuth.URL)


def test_the_missing_token_flaw_fails_the_audit_without_naming_a_mode(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("CHATMIGRATE_CONFIG", "CHATMIGRATE_PASSWORD", "CHATMIGRATE_JWT_SECRET", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    args = ["audit", "--flaw", Flaw.WS_MISSING_TOKEN, "--case", CATCHERS[Flaw.WS_MISSING_TOKEN], "--budget", "0"]
    code, _out, _err = cli([*args, "--no-contract", "--results", "results", "-o", "reports"], capsys)
    assert code == ExitCode.GATE_FAILED


def audit_in(server_with: ServerFactory, flaw: Flaw, mode: WsAuth, *cases: str) -> AuditOutcome:
    """The cases (the flaw's catcher by default) on a server with the flaw and the socket in ``mode``."""
    server = server_with(flaws=(flaw,), ws_auth=mode, ws_auth_timeout=1.0)
    options = AuditOptions(cases=frozenset(cases or {CATCHERS[flaw]}), budget=0, contract=False)
    return run_audit(embedded_target(server), options)


def found_by(outcome: AuditOutcome, case: str) -> dict[tuple[str | None, str | None], Severity]:
    return {(f.tier, f.kind): f.severity for f in outcome.findings if f.subject == case}


def test_a_socket_that_does_not_verify_its_token_is_critical(server_with: ServerFactory) -> None:
    outcome = audit_in(server_with, Flaw.WS_TOKEN_UNVERIFIED, WsAuth.JWT)
    assert caught(outcome, Flaw.WS_TOKEN_UNVERIFIED) == {("ws", "data-returned"): Severity.CRITICAL}


def test_a_socket_that_takes_any_valid_token_as_the_urls_user_is_critical(server_with: ServerFactory) -> None:
    outcome = audit_in(server_with, Flaw.WS_TOKEN_USER_MISMATCH, WsAuth.JWT)
    assert caught(outcome, Flaw.WS_TOKEN_USER_MISMATCH) == {("ws", "data-returned"): Severity.CRITICAL}


def test_a_socket_without_user_id_joining_as_a_default_user_is_critical(server_with: ServerFactory) -> None:
    outcome = audit_in(server_with, Flaw.WS_DEFAULT_USER, WsAuth.URL)
    assert caught(outcome, Flaw.WS_DEFAULT_USER) == {("ws", "data-returned"): Severity.CRITICAL}


def test_a_socket_with_a_non_numeric_user_id_joining_as_a_default_user_is_critical(
    server_with: ServerFactory,
) -> None:
    outcome = audit_in(server_with, Flaw.WS_DEFAULT_USER, WsAuth.URL, "ws-user-id-malformed")
    assert found_by(outcome, "ws-user-id-malformed") == {("ws", "data-returned"): Severity.CRITICAL}


@pytest.mark.parametrize("mode", list(WsAuth))
def test_a_room_id_that_crashes_the_socket_is_high_in_either_mode(server_with: ServerFactory, mode: WsAuth) -> None:
    outcome = audit_in(server_with, Flaw.WS_ROOM_ID_OVERFLOW, mode)
    assert caught(outcome, Flaw.WS_ROOM_ID_OVERFLOW) == {("ws", "server-error"): Severity.HIGH}


def test_a_claim_type_that_crashes_the_api_with_its_traceback_is_high(server_with: ServerFactory) -> None:
    outcome = audit_in(server_with, Flaw.CLAIM_TYPE_CRASH, WsAuth.URL)
    assert caught(outcome, Flaw.CLAIM_TYPE_CRASH)[("new", "stack-trace")] is Severity.HIGH


ATTACKS = ("sig-alg-none-variants", "hdr-scheme-case-forged", "sig-altered-signature")
"""Cases enough to send more refused tokens than the lockout tolerates, before the persistence case runs."""


def test_a_lockout_that_refuses_the_genuine_token_after_attacks_is_medium(server_with: ServerFactory) -> None:
    outcome = audit_in(server_with, Flaw.BAD_TOKEN_LOCKOUT, WsAuth.URL, *ATTACKS, CATCHERS[Flaw.BAD_TOKEN_LOCKOUT])
    assert caught(outcome, Flaw.BAD_TOKEN_LOCKOUT) == {
        ("new", "documented-behaviour"): Severity.MEDIUM,
        ("proxy", "documented-behaviour"): Severity.MEDIUM,
    }


def test_the_clean_server_keeps_the_genuine_token_after_the_same_attacks(server_with: ServerFactory) -> None:
    target = embedded_target(server_with(ws_auth=WsAuth.URL))
    options = AuditOptions(cases=frozenset({*ATTACKS, CATCHERS[Flaw.BAD_TOKEN_LOCKOUT]}), budget=0, contract=False)
    assert run_audit(target, options).findings == []


def test_a_flaw_of_the_urls_user_id_in_jwt_mode_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="ws-default-user acts only in --ws-auth url"):
        embedded_server_config((), (Flaw.WS_DEFAULT_USER,), WsAuth.JWT)
