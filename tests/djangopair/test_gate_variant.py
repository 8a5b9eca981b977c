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
from chatmigrate.vocab import ExitCode, Severity, Tier

MESSAGES = "$.messages[*]"
PLANTED = {
    ("body", "key_removed", Severity.HIGH),
    ("body", "same_instant", Severity.MEDIUM),
    ("body", "decimal_string", Severity.HIGH),
    ("audit", "html", Severity.HIGH),
    ("audit", "data-returned", Severity.CRITICAL),
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


@pytest.mark.djangopair_pending(reason="issue 9 item 4: the same instant written differently is its own kind")
def test_an_offset_instead_of_z_is_the_same_instant_at_medium(variant_gate: GateRun) -> None:
    found = body_findings(variant_gate, f"{MESSAGES}.timestamp")
    assert {(f.kind, f.severity, "same instant" in f.title) for f in found} == {("same_instant", Severity.MEDIUM, True)}
    assert len(found) == 2  # recent_messages and purchases_list


@pytest.mark.djangopair_pending(reason="issue 9 item 4: a number vs a decimal string of equal value is its own kind")
def test_a_price_sent_as_a_string_is_a_decimal_string_at_high(variant_gate: GateRun) -> None:
    found = body_findings(variant_gate, f"{MESSAGES}.amount")
    assert [(f.kind, f.severity, f.endpoint) for f in found] == [
        ("decimal_string", Severity.HIGH, "GET /admin/chat/ [purchases_list]")
    ]


def test_an_html_401_on_the_jwt_api_is_caught_at_high(variant_gate: GateRun) -> None:
    html = [f for f in variant_gate.result.findings if f.check == "audit" and f.kind == "html" and f.tier == Tier.NEW]
    assert {f.severity for f in html} == {Severity.HIGH}
    assert any("observed status 401, text/html" in (f.evidence or "") for f in html)


def test_a_skipped_staff_check_is_critical(variant_gate: GateRun) -> None:
    granted = [f for f in variant_gate.result.findings if f.title.startswith("claim-non-staff-role")]
    assert [(f.kind, f.severity, f.tier) for f in granted] == [("data-returned", Severity.CRITICAL, Tier.NEW)]


@pytest.mark.djangopair_pending(reason="issue 9 items 1-4: only the planted differences at medium or above")
def test_nothing_but_the_planted_differences_is_medium_or_above(variant_gate: GateRun) -> None:
    raised = {(f.check, f.kind, f.severity) for f in variant_gate.at_or_above(Severity.MEDIUM)}
    unexpected = [f for f in variant_gate.at_or_above(Severity.MEDIUM) if (f.check, f.kind, f.severity) not in PLANTED]
    assert (raised, outline(unexpected)) == (PLANTED, [])
