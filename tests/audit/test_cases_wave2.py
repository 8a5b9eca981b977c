"""Object and route level, proxy tier, legacy session hygiene and the client-side token: each case catches
its reference-server flaw at the severity it deserves, and the clean server passes all of them."""

from __future__ import annotations

import pytest
from server_wire import ServerFactory

from chatmigrate.audit import AuditOptions, AuditOutcome, embedded_target, run_audit
from chatmigrate.records import Finding
from chatmigrate.vocab import AuditState, Severity

NEW_CASES = (
    "op-bola-foreign-room",
    "op-route-path-variants",
    "op-route-verb-variants",
    "op-cors-credentialed-origin",
    "proxy-middleware-subrequest",
    "proxy-presence-only",
    "proxy-identity-headers",
    "legacy-session-fixation",
    "legacy-cookie-flags",
    "legacy-login-open-redirect",
    "client-active-html",
    "sig-alg-header-types",
    "sig-alg-asymmetric-forged",
)


def audit(server_with: ServerFactory, case: str, *flaws: str) -> AuditOutcome:
    options = AuditOptions(cases=frozenset({case}), budget=0, contract=False)
    return run_audit(embedded_target(server_with(flaws=flaws)), options)


def caught(server_with: ServerFactory, case: str, flaw: str) -> dict[tuple[str | None, str | None], Severity]:
    return {(f.tier, f.kind): f.severity for f in audit(server_with, case, flaw).findings if f.subject == case}


def findings_of(server_with: ServerFactory, case: str, flaw: str) -> list[Finding]:
    return [f for f in audit(server_with, case, flaw).findings if f.subject == case]


@pytest.fixture(scope="module")
def clean(server_with: ServerFactory) -> AuditOutcome:
    options = AuditOptions(cases=frozenset(NEW_CASES), budget=0, contract=False)
    return run_audit(embedded_target(server_with()), options)


def test_the_clean_server_gives_no_finding_on_any_new_case(clean: AuditOutcome) -> None:
    assert [f.title for f in clean.findings if f.subject in NEW_CASES] == []


def test_every_new_case_ran_on_the_clean_server(clean: AuditOutcome) -> None:
    ran = {r.case_id for r in clean.results if not r.detail.startswith(AuditState.NOT_APPLICABLE)}
    assert ran == set(NEW_CASES) - {"op-bola-foreign-room"}


def test_bola_is_not_applicable_where_the_api_refuses_non_staff_users_outright(clean: AuditOutcome) -> None:
    details = {r.tier: r.detail for r in clean.results if r.case_id == "op-bola-foreign-room"}
    assert set(details) == {"new", "proxy"}
    assert all(d.startswith(AuditState.NOT_APPLICABLE) and "refuses the non-staff" in d for d in details.values())


def test_a_non_staff_user_reading_another_users_room_is_critical(server_with: ServerFactory) -> None:
    found = caught(server_with, "op-bola-foreign-room", "non-staff-any-room")
    assert found == {("new", "data-returned"): Severity.CRITICAL, ("proxy", "data-returned"): Severity.CRITICAL}


def test_a_trailing_slash_that_skips_the_proxys_check_is_critical(server_with: ServerFactory) -> None:
    found = caught(server_with, "op-route-path-variants", "proxy-route-variant")
    assert found == {("proxy", "data-returned"): Severity.CRITICAL}


def test_a_method_override_that_skips_the_proxys_check_is_critical(server_with: ServerFactory) -> None:
    found = caught(server_with, "op-route-verb-variants", "proxy-method-override")
    assert found == {("proxy", "data-returned"): Severity.CRITICAL}


def test_a_reflected_origin_with_credentials_is_high_on_every_tier(server_with: ServerFactory) -> None:
    found = caught(server_with, "op-cors-credentialed-origin", "cors-reflect-credentials")
    assert found == {(tier, "cors-credentials"): Severity.HIGH for tier in ("old", "new", "proxy")}


def test_x_middleware_subrequest_skipping_the_proxys_auth_is_critical(server_with: ServerFactory) -> None:
    found = caught(server_with, "proxy-middleware-subrequest", "middleware-subrequest")
    assert found == {("proxy", "data-returned"): Severity.CRITICAL}


def test_a_presence_only_proxy_is_reported_as_refused_by_the_backend(server_with: ServerFactory) -> None:
    (finding,) = findings_of(server_with, "proxy-presence-only", "proxy-presence-only")
    assert (finding.tier, finding.kind, finding.severity) == ("proxy", "refused-downstream", Severity.LOW)
    assert "refused by the backend, not by the proxy" in finding.title


def test_a_proxy_that_trusts_a_loopback_forwarded_for_is_critical(server_with: ServerFactory) -> None:
    (finding,) = findings_of(server_with, "proxy-identity-headers", "proxy-trusts-loopback")
    assert (finding.tier, finding.kind, finding.severity) == ("proxy", "data-returned", Severity.CRITICAL)
    assert finding.probes == 2


def test_a_session_id_kept_across_login_is_high(server_with: ServerFactory) -> None:
    found = caught(server_with, "legacy-session-fixation", "session-fixation")
    assert found == {("old", "session-fixation"): Severity.HIGH}


def test_a_sessionid_cookie_without_httponly_is_medium(server_with: ServerFactory) -> None:
    (finding,) = findings_of(server_with, "legacy-cookie-flags", "session-cookie-flags")
    assert (finding.tier, finding.kind, finding.severity) == ("old", "cookie-flags", Severity.MEDIUM)
    assert "sessionid is set without HttpOnly" in finding.title


def test_a_login_that_redirects_to_a_foreign_next_is_medium(server_with: ServerFactory) -> None:
    found = caught(server_with, "legacy-login-open-redirect", "login-open-redirect")
    assert found == {("old", "open-redirect"): Severity.MEDIUM}


def test_stored_active_html_is_critical_on_every_tier_that_serves_it(server_with: ServerFactory) -> None:
    found = caught(server_with, "client-active-html", "stored-active-html")
    assert found == {(tier, "active-content"): Severity.CRITICAL for tier in ("old", "new", "proxy")}


def test_the_stored_payload_is_shown_escaped(server_with: ServerFactory) -> None:
    finding = next(f for f in findings_of(server_with, "client-active-html", "stored-active-html") if f.tier == "new")
    assert "&lt;script&gt;" in finding.title and "<script" not in finding.title
    assert "<script>" in finding.title.replace("&lt;", "<").replace("&gt;", ">")


def test_an_alg_list_read_as_its_first_item_is_critical(server_with: ServerFactory) -> None:
    found = caught(server_with, "sig-alg-header-types", "alg-list")
    assert found == {("new", "data-returned"): Severity.CRITICAL, ("proxy", "data-returned"): Severity.CRITICAL}


def test_an_unverified_switch_to_rs256_or_es256_is_critical(server_with: ServerFactory) -> None:
    found = findings_of(server_with, "sig-alg-asymmetric-forged", "asymmetric-alg-unverified")
    assert {(f.tier, f.kind, f.severity, f.probes) for f in found} == {
        (tier, "data-returned", Severity.CRITICAL, 2) for tier in ("new", "proxy")
    }
