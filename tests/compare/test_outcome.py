"""The JSON and auth-outcome checks: what kind of answer each side gave, and do they agree."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from exchange_samples import (
    LOGIN_PAGE,
    NOT_FOUND_PAGE,
    exchange,
    messages_body,
    of,
    pair,
    run,
)

from chatmigrate.auth import BearerAuth
from chatmigrate.compare import (
    CompareOptions,
    classify,
    compare_file,
)
from chatmigrate.config import Config
from chatmigrate.corpus import load_corpus
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.records import Exchange
from chatmigrate.replay import ReplayOptions, Target, run_replay, targets_from_config
from chatmigrate.vocab import Check, FindingKind, Outcome, Severity, Tier

# classify -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.OK),
        (201, Outcome.OK),
        (401, Outcome.UNAUTHENTICATED),
        (403, Outcome.FORBIDDEN),
        (404, Outcome.NOT_FOUND),
        (400, Outcome.CLIENT_ERROR),
        (422, Outcome.CLIENT_ERROR),
        (500, Outcome.SERVER_ERROR),
        (503, Outcome.SERVER_ERROR),
    ],
)
def test_status_codes_map_to_auth_outcomes(status: int, outcome: Outcome) -> None:
    assert classify(exchange(Tier.NEW, body={}, status=status)) is outcome


@pytest.mark.parametrize("status", [302, 303])
def test_redirect_to_a_login_url_is_unauthenticated(status: int) -> None:
    redirect = exchange(Tier.OLD, status=status, headers={"location": "/admin/login/?next=/admin/chat/"})
    assert classify(redirect) is Outcome.UNAUTHENTICATED


def test_redirect_elsewhere_is_a_client_error() -> None:
    assert classify(exchange(Tier.OLD, status=302, headers={"location": "/admin/"})) is Outcome.CLIENT_ERROR


def test_html_login_form_with_200_is_unauthenticated() -> None:
    page = exchange(Tier.OLD, content_type="text/html; charset=utf-8", text=LOGIN_PAGE)
    assert classify(page) is Outcome.UNAUTHENTICATED


def test_transport_failure_is_a_transport_error() -> None:
    assert classify(exchange(Tier.NEW, error="connection refused")) is Outcome.TRANSPORT_ERROR


# JSON check ------------------------------------------------------------------------------------------


def test_html_page_on_new_side_is_high_and_kept_as_evidence() -> None:
    page = "<!DOCTYPE html><html><body><h1>Server Error</h1></body></html>"
    group = pair(
        lambda a: exchange(Tier.OLD, a, messages_body()),
        lambda a: exchange(Tier.NEW, a, status=200, content_type="text/html", text=page),
    )
    (finding,) = of(run(group), "json")
    assert (finding.severity, finding.tier, finding.kind, finding.variant, finding.evidence) == (
        Severity.HIGH,
        Tier.NEW,
        FindingKind.HTML,
        "200",
        page,
    )
    assert "HTML page" in finding.title


def test_html_evidence_is_truncated_to_the_evidence_limit() -> None:
    page = "<html>" + "".join(f"<p>row {i}</p>" for i in range(4_000)) + "</html>"
    group = pair(
        lambda a: exchange(Tier.OLD, a, messages_body()),
        lambda a: exchange(Tier.NEW, a, content_type="text/html", text=page),
    )
    (finding,) = of(run(group, evidence_chars=20_000), "json")
    assert finding.evidence is not None
    assert (
        finding.evidence.startswith(page[:20_000])
        and f"truncated, {len(page) - 20_000} more characters" in finding.evidence
    )


def test_legacy_redirect_to_login_is_expected_and_only_info() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, status=302, headers={"location": "/admin/login/?next=/admin/chat/"}),
        lambda a: exchange(Tier.NEW, a, {"status": "error", "message": "Authentication failed"}, status=401),
    )
    comparison = run(group)
    (finding,) = of(comparison, "json")
    assert (finding.severity, finding.tier, finding.kind, finding.variant) == (
        Severity.INFO,
        Tier.OLD,
        FindingKind.LOGIN_REDIRECT,
        "302",
    )
    assert finding.evidence == "Location: /admin/login/?next=/admin/chat/"
    assert of(comparison, "auth-outcome") == []


def test_legacy_html_login_page_is_expected_and_only_info() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, content_type="text/html", text=LOGIN_PAGE),
        lambda a: exchange(Tier.NEW, a, {"status": "error"}, status=401),
    )
    (finding,) = of(run(group), "json")
    assert (finding.severity, finding.kind, finding.variant, finding.evidence) == (
        Severity.INFO,
        FindingKind.LOGIN_PAGE,
        "200",
        LOGIN_PAGE,
    )


def test_legacy_html_404_page_is_expected_and_only_info() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, status=404, content_type="text/html", text=NOT_FOUND_PAGE),
        lambda a: exchange(Tier.NEW, a, {"status": "error", "message": "Not found"}, status=404),
    )
    comparison = run(group)
    assert [(f.check, f.severity, f.kind, f.variant) for f in comparison.findings] == [
        (Check.JSON, Severity.INFO, FindingKind.HTML, "404")
    ]


def test_html_404_page_on_new_side_is_high() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, status=404, content_type="text/html", text=NOT_FOUND_PAGE),
        lambda a: exchange(Tier.NEW, a, status=404, content_type="text/html", text=NOT_FOUND_PAGE),
    )
    assert [(f.tier, f.severity) for f in of(run(group), "json")] == [
        (Tier.NEW, Severity.HIGH),
        (Tier.OLD, Severity.INFO),
    ]


def test_redirect_to_login_on_new_side_is_high() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, status=302, headers={"location": "/admin/login/"}),
        lambda a: exchange(Tier.NEW, a, status=302, headers={"location": "/admin/login/"}),
    )
    findings = {f.tier: f for f in of(run(group), "json")}
    assert (findings[Tier.NEW].severity, findings[Tier.OLD].severity) == (Severity.HIGH, Severity.INFO)
    assert "instead of a JSON 401" in findings[Tier.NEW].title


class PlainTextNew:
    """A new tier on loopback that answers every GET with ``body`` labelled text/plain."""

    def __init__(self, body: bytes) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads the recorded exchanges, not the access log."""

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> Target:
        self._thread.start()
        url = f"http://127.0.0.1:{self._http.server_address[1]}"
        return Target(side=Tier.NEW, base_url=url, auth=BearerAuth("static-test-token"), timeout=5.0)

    def __exit__(self, *exc_info: object) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.mark.parametrize(
    ("body", "severity", "kind"),
    [
        (json.dumps(messages_body()).encode(), Severity.MEDIUM, FindingKind.CONTENT_TYPE),
        (b"messages: m0, m1, m2", Severity.HIGH, FindingKind.NOT_JSON),
    ],
    ids=["json-labelled-text", "plain-words"],
)
def test_text_plain_answer_is_medium_when_its_body_is_json_and_high_when_not(
    server: EmbeddedServer, tmp_path: Path, body: bytes, severity: Severity, kind: FindingKind
) -> None:
    old = next(target for target in targets_from_config(Config.embedded(server)) if target.side == Tier.OLD)
    entries = [entry for entry in load_corpus() if entry.id == "room-1-recent_messages"]
    with PlainTextNew(body) as new:
        summary = run_replay(entries, [old, new], tmp_path, ReplayOptions(concurrency=1, retries=0))
    (finding,) = of(compare_file(summary.path, options=CompareOptions(schema_check=lambda *args: [])), "json")
    assert (finding.tier, finding.severity, finding.kind, finding.variant) == (Tier.NEW, severity, kind, "200")


# Auth-outcome parity -------------------------------------------------------------------------------


def test_outcome_mismatch_is_medium_and_names_both_outcomes_and_statuses() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, messages_body()),
        lambda a: exchange(Tier.NEW, a, {"status": "error"}, status=403),
    )
    (finding,) = of(run(group), "auth-outcome")
    assert finding.severity is Severity.MEDIUM
    assert finding.title.startswith("auth outcome differs: old ok (200), new forbidden (403)")
    assert (finding.old, finding.new, finding.kind, finding.variant) == (
        200,
        403,
        FindingKind.OUTCOME_CHANGED,
        "ok 200->forbidden 403",
    )


@pytest.mark.parametrize("refusal", [403, 302])
def test_new_granting_what_old_refused_is_critical(refusal: int) -> None:
    headers = {"location": "/admin/login/?next=/admin/chat/"} if refusal == 302 else {}
    group = pair(
        lambda a: exchange(Tier.OLD, a, None if refusal == 302 else {"detail": "no"}, status=refusal, headers=headers),
        lambda a: exchange(Tier.NEW, a, messages_body()),
    )
    (finding,) = of(run(group), "auth-outcome")
    assert finding.severity is Severity.CRITICAL
    assert finding.title.startswith("new grants what old refused: old ")


def test_server_error_where_old_succeeded_is_high() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, messages_body()),
        lambda a: exchange(Tier.NEW, a, {"detail": "boom"}, status=500),
    )
    (finding,) = of(run(group), "auth-outcome")
    assert finding.severity is Severity.HIGH


def test_same_outcome_with_other_status_on_json_both_sides_is_medium() -> None:
    error = {"status": "error", "message": "Invalid request"}
    group = pair(lambda a: exchange(Tier.OLD, a, error, status=400), lambda a: exchange(Tier.NEW, a, error, status=422))
    (finding,) = of(run(group), "auth-outcome")
    assert (finding.severity, finding.kind, finding.variant) == (
        Severity.MEDIUM,
        FindingKind.STATUS_CHANGED,
        "400->422",
    )
    assert "same outcome (client-error) but status 400 on old, 422 on new" in finding.title


def test_bodies_are_not_diffed_when_outcomes_differ() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, messages_body()),
        lambda a: exchange(Tier.NEW, a, {"status": "error"}, status=401),
    )
    assert of(run(group), "body") == []


def test_transport_error_on_new_is_an_outcome_mismatch_with_the_error_as_evidence() -> None:
    group = pair(lambda a: exchange(Tier.OLD, a, messages_body()), lambda a: exchange(Tier.NEW, a, error="timed out"))
    (finding,) = of(run(group), "auth-outcome")
    assert (finding.kind, finding.variant, finding.evidence) == (
        FindingKind.OUTCOME_CHANGED,
        "ok 200->transport-error",
        "timed out",
    )


def no_answer_on_either_side() -> list[Exchange]:
    return pair(
        lambda a: exchange(Tier.OLD, a, error="connection refused"), lambda a: exchange(Tier.NEW, a, error="timed out")
    )


def test_no_answer_is_a_high_transport_error_naming_the_side_and_the_error() -> None:
    findings = of(run(no_answer_on_either_side()), "json")
    assert [(f.tier, f.severity, f.kind, f.evidence) for f in findings] == [
        (Tier.NEW, Severity.HIGH, FindingKind.TRANSPORT_ERROR, "timed out"),
        (Tier.OLD, Severity.HIGH, FindingKind.TRANSPORT_ERROR, "connection refused"),
    ]
    assert [f.title for f in findings] == [
        "new gave no answer: timed out (in 1 entry)",
        "old gave no answer: connection refused (in 1 entry)",
    ]


def test_entry_with_no_answer_on_either_side_counts_as_failed() -> None:
    (row,) = run(no_answer_on_either_side()).endpoints
    assert (row.entries, row.passed, row.failed) == (1, 0, 1)


def test_unparseable_json_is_high_and_still_classified_by_its_status() -> None:
    broken = exchange(Tier.NEW, text='{"status": "succ', content_type="application/json")
    broken.error = "content-type says JSON but the body is not"
    group = pair(lambda a: exchange(Tier.OLD, a, messages_body()), lambda a: broken)
    comparison = run(group)
    assert classify(broken) is Outcome.OK
    assert [(f.check, f.severity, f.kind, f.variant) for f in comparison.findings] == [
        (Check.JSON, Severity.HIGH, FindingKind.NOT_JSON, "200")
    ]
