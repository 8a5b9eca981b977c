"""The WebSocket over time and message-level authorisation: each case catches its reference-server flaw at the
severity it deserves, the clean socket passes them in both auth modes, and a case the target cannot run is not
applicable with its reason, never passed."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from server_wire import PASSWORD, ServerFactory
from token_wire import TOKEN

from chatmigrate.audit import AuditOptions, AuditOutcome, AuditTarget, embedded_target, run_audit
from chatmigrate.audit.catalogue import ws_session
from chatmigrate.audit.policy import AuditPolicy
from chatmigrate.errors import UsageError
from chatmigrate.targets import embedded_server_config
from chatmigrate.vocab import AuditState, Flaw, Severity, WsAuth

CASES = frozenset(case.id for case in ws_session.cases.declared)
TOKEN_CASES = {"ws-session-token-expiry", "ws-session-after-logout"}
DECLARED = AuditPolicy(ws_session_revocation=True)
CATCHERS = {
    "ws-expired-token-kept": ("ws-session-token-expiry", {("accepted", Severity.HIGH)}),
    "ws-logout-kept": ("ws-session-after-logout", {("accepted", Severity.HIGH)}),
    "ws-deactivated-user-kept": ("ws-session-after-deactivation", {("accepted", Severity.HIGH)}),
    "ws-sender-from-message": ("ws-message-foreign-sender", {("impersonation", Severity.CRITICAL)}),
    "ws-room-from-message": (
        "ws-message-foreign-room",
        {("accepted", Severity.CRITICAL), ("impersonation", Severity.CRITICAL)},
    ),
}
BOTH_MODES = {"ws-deactivated-user-kept", "ws-sender-from-message", "ws-room-from-message"}


def audit(target: AuditTarget, cases: frozenset[str] = CASES, policy: AuditPolicy = DECLARED) -> AuditOutcome:
    return run_audit(target, AuditOptions(cases=cases, budget=0, contract=False, policy=policy))


def states(outcome: AuditOutcome) -> dict[str, AuditState]:
    return {result.case_id: result.state for result in outcome.results}


@pytest.fixture(scope="module")
def jwt_clean(own_server_with: ServerFactory) -> AuditOutcome:
    return audit(embedded_target(own_server_with(ws_auth="jwt")))


@pytest.fixture(scope="module")
def url_clean(own_server_with: ServerFactory) -> AuditOutcome:
    return audit(embedded_target(own_server_with()))


def test_every_case_has_a_flaw_it_catches() -> None:
    assert {case for case, _found in CATCHERS.values()} == CASES


def test_the_clean_jwt_socket_passes_every_case(jwt_clean: AuditOutcome) -> None:
    assert jwt_clean.findings == []
    assert states(jwt_clean) == dict.fromkeys(CASES, AuditState.PASS)


def test_the_clean_url_socket_passes_every_case_but_the_token_ones(url_clean: AuditOutcome) -> None:
    assert url_clean.findings == []
    assert states(url_clean) == {
        case: AuditState.NOT_APPLICABLE if case in TOKEN_CASES else AuditState.PASS for case in CASES
    }


def test_in_url_mode_the_token_cases_say_the_socket_takes_no_token(url_clean: AuditOutcome) -> None:
    details = [result.detail for result in url_clean.results if result.case_id in TOKEN_CASES]
    assert len(details) == 2 and all("url mode: the socket takes no token" in detail for detail in details)


@pytest.mark.parametrize(
    ("flaw", "mode"),
    [(flaw, "jwt") for flaw in CATCHERS] + [(flaw, "url") for flaw in sorted(BOTH_MODES)],
)
def test_each_socket_flaw_is_caught_by_its_case(own_server_with: ServerFactory, flaw: str, mode: str) -> None:
    case, expected = CATCHERS[flaw]
    outcome = audit(embedded_target(own_server_with(flaws=(flaw,), ws_auth=mode)), frozenset({case}))
    assert {(f.kind, f.severity) for f in outcome.findings if f.subject == case and f.tier == "ws"} == expected


def test_undeclared_a_socket_that_outlives_logout_is_an_info_gap_compared_with_the_legacy_session(
    own_server_with: ServerFactory,
) -> None:
    target = embedded_target(own_server_with(flaws=("ws-logout-kept",), ws_auth="jwt"))
    (finding,) = audit(target, frozenset({"ws-session-after-logout"}), AuditPolicy()).findings
    assert (finding.kind, finding.severity) == ("documented-gap", Severity.INFO)
    assert "serves its user for another 14 minutes" in finding.title
    assert "the legacy session stopped working at logout" in finding.title
    assert "declare ws_session_revocation" in finding.title


def test_undeclared_a_socket_that_outlives_deactivation_is_an_info_gap(own_server_with: ServerFactory) -> None:
    target = embedded_target(own_server_with(flaws=("ws-deactivated-user-kept",)))
    (finding,) = audit(target, frozenset({"ws-session-after-deactivation"}), AuditPolicy()).findings
    assert (finding.kind, finding.severity) == ("documented-gap", Severity.INFO)


def test_undeclared_a_socket_that_outlives_its_tokens_expiry_is_an_info_gap(own_server_with: ServerFactory) -> None:
    """Django Channels authenticates at connect only: a stock consumer never looks at ``exp`` again."""
    target = embedded_target(own_server_with(flaws=("ws-expired-token-kept",), ws_auth="jwt"))
    outcome = audit(target, frozenset({"ws-session-token-expiry"}), AuditPolicy())
    assert {(f.kind, f.severity) for f in outcome.findings} == {("documented-gap", Severity.INFO)}


def test_the_deactivated_user_ends_deactivated(own_server_with: ServerFactory) -> None:
    server = own_server_with(flaws=("ws-deactivated-user-kept",), ws_auth="jwt")
    audit(embedded_target(server), frozenset({"ws-session-after-deactivation"}))
    answer = httpx.post(f"{server.base_url}{TOKEN}", json={"username": "former", "password": PASSWORD})
    assert answer.status_code == 401


def test_without_the_signing_secret_the_expiry_case_is_not_applicable(own_server_with: ServerFactory) -> None:
    target = dataclasses.replace(embedded_target(own_server_with(ws_auth="jwt")), signing_secret=None)
    (result,) = audit(target, frozenset({"ws-session-token-expiry"})).results
    assert result.state is AuditState.NOT_APPLICABLE and "signing secret" in result.detail


def test_without_writes_the_message_cases_are_not_applicable(own_server_with: ServerFactory) -> None:
    target = dataclasses.replace(embedded_target(own_server_with()), allow_writes=False)
    cases = frozenset({"ws-message-foreign-sender", "ws-message-foreign-room"})
    outcome = audit(target, cases)
    assert {(r.case_id, r.state) for r in outcome.results} == {(case, AuditState.NOT_APPLICABLE) for case in cases}
    assert all("--allow-writes" in r.detail for r in outcome.results)


def test_without_a_way_to_deactivate_a_user_the_deactivation_case_is_not_applicable(
    own_server_with: ServerFactory,
) -> None:
    target = dataclasses.replace(embedded_target(own_server_with()), user_admin_path=None)
    (result,) = audit(target, frozenset({"ws-session-after-deactivation"})).results
    assert result.state is AuditState.NOT_APPLICABLE and "user_admin_path" in result.detail


def test_the_deactivation_case_never_overlaps_the_cases_that_need_the_user_deactivated(
    own_server_with: ServerFactory,
) -> None:
    cases = frozenset({"ws-session-after-deactivation", "claim-inactive-user", "life-access-after-deactivation"})
    outcome = audit(embedded_target(own_server_with(ws_auth="jwt")), cases)
    assert outcome.findings == []
    assert {r.state for r in outcome.results} == {AuditState.PASS}


def test_a_finding_reproduces_the_socket_step_by_step_without_the_token(own_server_with: ServerFactory) -> None:
    target = embedded_target(own_server_with(flaws=("ws-logout-kept",), ws_auth="jwt"))
    (finding,) = audit(target, frozenset({"ws-session-after-logout"})).findings
    reproducer = finding.reproducer or ""
    assert "now make it so that its user logged out" in reproducer
    assert "chatmigrate audit probe" in reproducer and "os.environ['WS_LOGOUT_TOKEN']" in reproducer


@pytest.mark.parametrize("flaw", [Flaw.WS_EXPIRED_TOKEN_KEPT, Flaw.WS_LOGOUT_KEPT])
def test_a_token_flaw_of_the_socket_in_url_mode_is_a_usage_error(flaw: Flaw) -> None:
    with pytest.raises(UsageError, match=f"{flaw} acts only in --ws-auth jwt"):
        embedded_server_config((), (flaw,), WsAuth.URL)


@pytest.mark.parametrize("flaw", sorted(BOTH_MODES))
def test_a_flaw_of_the_socket_user_or_message_acts_in_either_mode(flaw: str) -> None:
    assert embedded_server_config((), (flaw,), WsAuth.URL).ws_auth is WsAuth.URL
