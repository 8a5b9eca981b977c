"""Parser differentials, lookalike and privilege claims, secrets and shared caches in answers, token lifetime and
path-override headers: each case catches its reference-server flaw at the severity it deserves, and the clean
server passes all of them."""

from __future__ import annotations

import dataclasses
import json

import pytest
from server_wire import ServerFactory

from chatmigrate.audit import AuditOptions, AuditOutcome, embedded_target, run_audit
from chatmigrate.audit.catalogue.claim_edges import _authenticated, _reason
from chatmigrate.audit.policy import AuditPolicy
from chatmigrate.audit.probe import HttpObservation
from chatmigrate.records import Finding
from chatmigrate.server.tokens import AUDIENCE
from chatmigrate.vocab import AuditState, Severity

NEW_CASES = (
    "sig-duplicate-header-keys",
    "claim-duplicate-keys",
    "claim-iss-aud-lookalike",
    "claim-privilege-claims",
    "op-secret-in-response",
    "op-shared-cache-data",
    "life-access-lifetime",
    "proxy-path-override-headers",
)
DECLARED_AUDIENCE = AuditPolicy(audience=AUDIENCE)


def options(*cases: str, policy: AuditPolicy = DECLARED_AUDIENCE) -> AuditOptions:
    return AuditOptions(cases=frozenset(cases), budget=0, contract=False, policy=policy)


def findings_of(server_with: ServerFactory, case: str, *flaws: str) -> list[Finding]:
    outcome = run_audit(embedded_target(server_with(flaws=flaws)), options(case))
    return [f for f in outcome.findings if f.subject == case]


def found(server_with: ServerFactory, case: str, *flaws: str) -> set[tuple[str | None, str | None, Severity]]:
    return {(f.tier, f.kind, f.severity) for f in findings_of(server_with, case, *flaws)}


@pytest.fixture(scope="module")
def clean(server_with: ServerFactory) -> AuditOutcome:
    return run_audit(embedded_target(server_with()), options(*NEW_CASES))


def test_the_clean_server_gives_no_finding_on_any_new_case(clean: AuditOutcome) -> None:
    assert [f.title for f in clean.findings if f.subject in NEW_CASES] == []


def test_every_new_case_ran_on_the_clean_server(clean: AuditOutcome) -> None:
    ran = {r.case_id for r in clean.results if not r.detail.startswith(AuditState.NOT_APPLICABLE)}
    assert ran == set(NEW_CASES)


def test_an_alg_checked_by_its_first_and_verified_by_its_last_copy_is_critical(server_with: ServerFactory) -> None:
    assert found(server_with, "sig-duplicate-header-keys", "duplicate-header-params") == {
        (tier, "data-returned", Severity.CRITICAL) for tier in ("new", "proxy")
    }


def test_duplicate_claims_read_first_wins_are_high(server_with: ServerFactory) -> None:
    findings = findings_of(server_with, "claim-duplicate-keys", "duplicate-claims-first-wins")
    assert {(f.tier, f.kind, f.severity, f.probes) for f in findings} == {
        (tier, "data-returned", Severity.HIGH, 2) for tier in ("new", "proxy")
    }


def test_an_issuer_or_audience_matched_as_a_substring_is_high(server_with: ServerFactory) -> None:
    assert (
        "new",
        "data-returned",
        Severity.HIGH,
    ) in found(server_with, "claim-iss-aud-lookalike", "claim-substring-match")


def test_every_lookalike_of_the_declared_issuer_and_audience_is_accepted_by_substring_matching(
    server_with: ServerFactory,
) -> None:
    new = [f for f in findings_of(server_with, "claim-iss-aud-lookalike", "claim-substring-match") if f.tier == "new"]
    evidence = " ".join(f.evidence or "" for f in new)
    for label in (
        "iss superstring",
        "iss prefixed",
        "iss substring",
        "aud superstring",
        "aud lookalike array",
        "aud object",
    ):
        assert label in evidence


def test_lookalike_claims_are_not_applicable_without_a_declared_issuer_or_audience(
    server_with: ServerFactory,
) -> None:
    target = embedded_target(server_with())
    outcome = run_audit(
        dataclasses.replace(target, issuer=None), options("claim-iss-aud-lookalike", policy=AuditPolicy())
    )
    details = {r.detail for r in outcome.results}
    assert details and all(d.startswith(AuditState.NOT_APPLICABLE) and "issuer or audience" in d for d in details)


def test_staff_rights_taken_from_token_claims_are_high(server_with: ServerFactory) -> None:
    assert found(server_with, "claim-privilege-claims", "token-privilege-claims") == {
        (tier, "data-returned", Severity.HIGH) for tier in ("new", "proxy")
    }


def test_raised_claims_under_the_original_signature_are_critical_where_the_signature_is_not_checked(
    server_with: ServerFactory,
) -> None:
    findings = findings_of(server_with, "claim-privilege-claims", "skip-signature", "token-privilege-claims")
    kept = {(f.tier, f.kind, f.severity) for f in findings if "signature kept" in (f.evidence or "")}
    assert kept == {(tier, "data-returned", Severity.CRITICAL) for tier in ("new", "proxy")}


def test_a_broken_signature_answered_like_the_genuine_token_is_reported_as_unchecked(
    server_with: ServerFactory,
) -> None:
    findings = findings_of(server_with, "claim-privilege-claims", "skip-signature")
    unchecked = [f for f in findings if f.kind == "accepted"]
    assert {(f.tier, f.severity) for f in unchecked} == {(tier, Severity.CRITICAL) for tier in ("new", "proxy")}
    assert all("the signature is not checked" in f.title for f in unchecked)


def test_a_password_hash_in_an_answer_is_critical_on_every_tier_that_relays_it(server_with: ServerFactory) -> None:
    findings = findings_of(server_with, "op-secret-in-response", "user-secrets-exposed")
    assert {(f.tier, f.kind, f.severity) for f in findings} == {
        (tier, "secret-exposed", Severity.CRITICAL) for tier in ("new", "proxy")
    }
    assert all("pbkdf2_sha256" in f.title or "pbkdf2_sha256" in (f.evidence or "") for f in findings)


def test_a_public_cache_control_on_chat_data_is_high(server_with: ServerFactory) -> None:
    assert found(server_with, "op-shared-cache-data", "public-cache-data") == {("new", "shared-cache", Severity.HIGH)}


def test_a_thirty_day_access_token_is_medium_with_its_lifetime_in_words(server_with: ServerFactory) -> None:
    (finding,) = findings_of(server_with, "life-access-lifetime", "long-lived-access")
    assert (finding.tier, finding.kind, finding.severity) == ("new", "long-lived-token", Severity.MEDIUM)
    assert "30 days" in finding.title and "1 day" in finding.title


def test_a_shorter_declared_maximum_fails_the_stock_lifetime(server_with: ServerFactory) -> None:
    outcome = run_audit(
        embedded_target(server_with()), options("life-access-lifetime", policy=AuditPolicy(max_access_lifetime=60))
    )
    assert [(f.kind, f.severity) for f in outcome.findings] == [("long-lived-token", Severity.MEDIUM)]


def test_a_proxy_routing_by_path_override_headers_is_critical(server_with: ServerFactory) -> None:
    (finding,) = findings_of(server_with, "proxy-path-override-headers", "proxy-path-override")
    assert (finding.tier, finding.kind, finding.severity, finding.probes) == (
        "proxy",
        "data-returned",
        Severity.CRITICAL,
        3,
    )


PERMISSION = {"detail": "You do not have permission to perform this action."}


def test_a_bad_token_refused_403_for_its_own_reason_is_not_taken_for_an_unchecked_signature() -> None:
    """DRF with SessionAuthentication listed first answers a bad token 403: the reason tells it apart."""
    invalid = HttpObservation(status=403, text=json.dumps({"detail": "Token is invalid", "code": "token_not_valid"}))
    assert _authenticated(403, _reason(PERMISSION), invalid) == []


def test_a_bad_token_refused_with_the_genuine_tokens_own_reason_is_an_unchecked_signature() -> None:
    same = HttpObservation(status=403, text=json.dumps(PERMISSION))
    assert [severity for severity, _kind, _text in _authenticated(403, _reason(PERMISSION), same)] == [
        Severity.CRITICAL
    ]
