"""Legacy is judged as legacy: Django's HTML refusals are info on old, a crash new fixes is info, a new 5xx fails."""

from __future__ import annotations

import pytest
from exchange_samples import exchange, messages_body, of, pair, run

from chatmigrate.records import Exchange
from chatmigrate.vocab import Check, FindingKind, Severity, Tier

ERROR = {"status": "error", "message": "Invalid request"}


def django_page(status: int) -> str:
    return f"<!doctype html><html><body><h1>Error ({status})</h1></body></html>"


def html_old(status: int, new_status: int, *, entry: str = "e1") -> list[Exchange]:
    return pair(
        lambda a: exchange(Tier.OLD, a, status=status, content_type="text/html", text=django_page(status), entry=entry),
        lambda a: exchange(Tier.NEW, a, ERROR, status=new_status, entry=entry),
    )


@pytest.mark.parametrize("status", [400, 403, 404, 405, 429])
def test_an_html_4xx_on_old_is_expected_legacy_behaviour_and_titled_with_its_status(status: int) -> None:
    comparison = run(html_old(status, status))
    (finding,) = of(comparison, "json")
    assert (finding.tier, finding.severity, finding.kind, finding.variant) == (
        Tier.OLD,
        Severity.INFO,
        FindingKind.HTML,
        str(status),
    )
    assert finding.title == f"old answers an HTML {status} page (expected legacy behaviour) (in 1 entry)"
    assert comparison.endpoints[0].failed == 0


def test_an_html_4xx_on_new_is_still_high() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, ERROR, status=400),
        lambda a: exchange(Tier.NEW, a, status=400, content_type="text/html", text=django_page(400)),
    )
    (finding,) = of(run(group), "json")
    assert (finding.tier, finding.severity, finding.kind, finding.variant) == (
        Tier.NEW,
        Severity.HIGH,
        FindingKind.HTML,
        "400",
    )


def test_an_old_crash_where_new_answers_a_clean_4xx_is_info_new_fixes_a_legacy_crash() -> None:
    comparison = run(html_old(500, 400))
    assert [(f.check, f.tier, f.severity, f.kind, f.variant) for f in comparison.findings] == [
        (Check.AUTH_OUTCOME, Tier.NEW, Severity.INFO, FindingKind.FIXED_CRASH, "500->400"),
        (Check.JSON, Tier.OLD, Severity.INFO, FindingKind.LEGACY_CRASH, "500"),
    ]
    assert all("new fixes a legacy crash" in finding.title for finding in comparison.findings)
    assert "old server-error (500), new client-error (400)" in comparison.findings[0].title
    assert comparison.endpoints[0].failed == 0


def test_an_old_crash_where_new_answers_html_is_not_a_fix() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, status=500, content_type="text/html", text=django_page(500)),
        lambda a: exchange(Tier.NEW, a, status=400, content_type="text/html", text=django_page(400)),
    )
    findings = {(f.check, f.tier): f for f in run(group).findings}
    legacy = findings[Check.JSON, Tier.OLD]
    assert (legacy.severity, legacy.kind, legacy.variant) == (Severity.HIGH, FindingKind.HTML, "500")
    assert findings["auth-outcome", Tier.NEW].severity is Severity.MEDIUM


def test_an_old_crash_is_not_fixed_when_the_proxy_crashes_too() -> None:
    group = html_old(500, 400) + [exchange(Tier.PROXY, a, ERROR, status=502) for a in (0, 1)]
    findings = {(f.check, f.tier): f for f in run(group).findings}
    assert findings["json", Tier.OLD].severity is Severity.HIGH
    assert findings["auth-outcome", Tier.NEW].severity is Severity.INFO
    assert findings["auth-outcome", Tier.PROXY].severity is Severity.HIGH


def test_a_new_5xx_fails_even_when_old_crashed_alike() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, {"detail": "boom"}, status=500),
        lambda a: exchange(Tier.NEW, a, {"detail": "boom"}, status=500),
    )
    (finding,) = of(run(group), "auth-outcome")
    assert (finding.severity, finding.kind, finding.variant) == (Severity.HIGH, FindingKind.SERVER_ERROR, "500")
    assert finding.title.startswith("new answers a server error (500), as old did (500)")


def test_a_400_and_a_500_on_one_endpoint_are_two_findings_each_titled_with_its_own_status() -> None:
    group_400 = html_old(400, 400, entry="bad-limit")
    group_500 = pair(
        lambda a: exchange(Tier.OLD, a, status=500, content_type="text/html", text=django_page(500), entry="neg"),
        lambda a: exchange(Tier.NEW, a, messages_body(), entry="neg"),
    )
    titles = sorted(finding.title for finding in of(run(group_400, group_500), "json"))
    assert titles == [
        "old answers an HTML 400 page (expected legacy behaviour) (in 1 entry)",
        "old answers an HTML page (500) where JSON was due (in 1 entry)",
    ]
