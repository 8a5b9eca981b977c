"""Is each answer JSON, and do the sides reach the same auth outcome: the checks on status and content type.

The legacy tier is judged as legacy. Django answers a bad request, a refusal or a missing page with an HTML page
and sends the anonymous to a login page; none of that is a migration defect, so on ``old`` it is info. An old 5xx
where every other side answers a clean JSON 4xx is info too: the new tier fixes a legacy crash. A 5xx on a new
side is always a failure. A finding's variant carries the status its title states, so entries that answered
differently never share one finding (and one title).
"""

from __future__ import annotations

from functools import partial

from chatmigrate.compare.outcome import (
    classify,
    is_html,
    is_json_answer,
    is_json_text,
    is_login_page,
    is_login_redirect,
    location,
    status_text,
)
from chatmigrate.records import Exchange, Finding
from chatmigrate.redact import redact
from chatmigrate.vocab import Check, Credential, FindingKind, Outcome, Severity, Tier

LEGACY = "expected legacy behaviour"
FIXED_CRASH = "new fixes a legacy crash"


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}\n… [truncated, {len(text) - limit} more characters]"


def is_server_error(exchange: Exchange) -> bool:
    return (exchange.status or 0) >= 500


def is_clean_client_error(exchange: Exchange) -> bool:
    """A 4xx in JSON labelled JSON: the answer a JSON API owes a bad request."""
    return 400 <= (exchange.status or 0) < 500 and is_json_answer(exchange)


def fixes_legacy_crash(old: Exchange, candidates: list[Exchange]) -> bool:
    """Old crashed where every other side refused the request cleanly."""
    return is_server_error(old) and bool(candidates) and all(map(is_clean_client_error, candidates))


def check_json(exchange: Exchange, evidence_chars: int = 20_000, *, crash_fixed: bool = False) -> Finding | None:
    """A JSON API must answer JSON with a JSON content type; the legacy tier's known answers are info.

    No answer at all fails too, on any side: two sides that both fail to answer are not in parity.
    ``crash_fixed`` says that this is the old side's 5xx and every other side answered a clean 4xx.
    """
    status = exchange.status
    side = exchange.side
    finding = partial(Finding, check=Check.JSON, subject=exchange.entry_id, endpoint=exchange.endpoint, tier=Tier(side))
    if status is None:
        error = exchange.error or "no error recorded"
        return finding(
            severity=Severity.HIGH,
            kind=FindingKind.TRANSPORT_ERROR,
            evidence=error,
            title=f"{side} gave no answer: {error}",
        )
    if is_json_answer(exchange):
        return None
    legacy = side == Tier.OLD
    finding = partial(finding, variant=str(status))
    if 300 <= status < 400:
        return _redirect(exchange, status, legacy, finding)
    page = truncate(exchange.text or "", evidence_chars)
    finding = partial(finding, evidence=page)
    if legacy and crash_fixed:
        return finding(
            severity=Severity.INFO,
            kind=FindingKind.LEGACY_CRASH,
            title=f"old crashes with a {status} where new answers a clean 4xx ({FIXED_CRASH})",
        )
    if is_html(exchange):
        return _html(exchange, status, legacy, finding)
    content_type = exchange.content_type or "no content type"
    if is_json_text(exchange.text):
        return finding(
            severity=Severity.MEDIUM,
            kind=FindingKind.CONTENT_TYPE,
            evidence=None,
            old="application/json",
            new=content_type,
            title=f"{side} answers JSON labelled {content_type!r} ({status})",
        )
    return finding(
        severity=Severity.HIGH,
        kind=FindingKind.NOT_JSON,
        title=f"{side} answers a non-JSON body ({content_type}, {status}) where JSON was due",
    )


def _redirect(exchange: Exchange, status: int, legacy: bool, finding: partial[Finding]) -> Finding:
    finding = partial(finding, evidence=f"Location: {location(exchange)}")
    if not is_login_redirect(exchange):
        return finding(
            severity=Severity.HIGH,
            kind=FindingKind.REDIRECT,
            title=f"{exchange.side} answers a {status} redirect where JSON was due",
        )
    if legacy:
        return finding(
            severity=Severity.INFO,
            kind=FindingKind.LOGIN_REDIRECT,
            title=f"old answers {status} to the login page ({LEGACY})",
        )
    return finding(
        severity=Severity.HIGH,
        kind=FindingKind.LOGIN_REDIRECT,
        title=f"{exchange.side} answers {status} to a login page instead of a JSON 401",
    )


def _html(exchange: Exchange, status: int, legacy: bool, finding: partial[Finding]) -> Finding:
    if legacy and is_login_page(exchange):
        return finding(
            severity=Severity.INFO,
            kind=FindingKind.LOGIN_PAGE,
            title=f"old answers an HTML login page ({status}) ({LEGACY})",
        )
    if legacy and 400 <= status < 500:
        return finding(
            severity=Severity.INFO,
            kind=FindingKind.HTML,
            title=f"old answers an HTML {status} page ({LEGACY})",
        )
    return finding(
        severity=Severity.HIGH,
        kind=FindingKind.HTML,
        title=f"{exchange.side} answers an HTML page ({status}) where JSON was due",
    )


def _labelled(outcome: Outcome, exchange: Exchange) -> str:
    return outcome.value if exchange.status is None else f"{outcome.value} {exchange.status}"


REFUSALS = frozenset({Outcome.UNAUTHENTICATED, Outcome.FORBIDDEN})
"""Old's answers that deny the principal: the candidate answering the same request with data is a breach."""
NOT_SERVED = REFUSALS | {Outcome.NOT_FOUND}
"""A request sent without a credential, refused by old in any form (Django's CSRF 403 for an anonymous POST,
its login redirect), is refused as well by any of these: a 404 hides what the principal may not see."""


def check_outcome(old: Exchange, candidate: Exchange) -> Finding | None:
    """Auth outcomes must match; with JSON on both sides, so must the status code (400 vs 422 breaks clients).
    For a request old refused that went without a credential (the anonymous principal, or one old refused at
    login), any refusal on the candidate is as good as old's.

    A 5xx on the candidate fails even when old failed alike; old's 5xx answered by a clean 4xx is info."""
    before, after = classify(old), classify(candidate)
    side = candidate.side
    finding = partial(
        Finding,
        check=Check.AUTH_OUTCOME,
        subject=old.entry_id,
        endpoint=old.endpoint,
        tier=Tier(side),
        old=old.status,
        new=candidate.status,
    )
    refused_at_login = old.credential is Credential.REFUSED_AT_LOGIN
    legacy = f"refused {old.principal or 'it'} at login" if refused_at_login else before.value
    statuses = f"old {legacy} ({status_text(old)}), {side} {after.value} ({status_text(candidate)})"
    if fixes_legacy_crash(old, [candidate]):
        return finding(
            severity=Severity.INFO,
            kind=FindingKind.FIXED_CRASH,
            variant=f"{old.status}->{candidate.status}",
            title=f"{FIXED_CRASH}: {statuses}",
        )
    if old.credential is not Credential.OWN and before in REFUSALS and after in NOT_SERVED:
        return None
    if before != after:
        grants = before in REFUSALS and after is Outcome.OK
        return finding(
            severity=Severity.CRITICAL
            if grants
            else Severity.HIGH
            if after is Outcome.SERVER_ERROR
            else Severity.MEDIUM,
            kind=FindingKind.OUTCOME_CHANGED,
            variant=f"{_labelled(before, old)}->{_labelled(after, candidate)}",
            evidence=redact(candidate.error or old.error or "") or None,
            title=f"{side} grants what old refused: {statuses}" if grants else f"auth outcome differs: {statuses}",
        )
    if is_server_error(candidate):
        return finding(
            severity=Severity.HIGH,
            kind=FindingKind.SERVER_ERROR,
            variant=str(candidate.status),
            title=f"{side} answers a server error ({candidate.status}), as old did ({old.status}): a 5xx never passes",
        )
    if old.status != candidate.status and old.is_json and candidate.is_json:
        return finding(
            severity=Severity.MEDIUM,
            kind=FindingKind.STATUS_CHANGED,
            variant=f"{old.status}->{candidate.status}",
            title=f"same outcome ({after.value}) but status {old.status} on old, {candidate.status} on {side}",
        )
    return None
