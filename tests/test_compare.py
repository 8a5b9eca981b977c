"""Parity checks over synthetic recorded exchanges (the live-server runs are the replay tests)."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chatmigrate.auth import BearerAuth
from chatmigrate.compare import (
    CompareOptions,
    Comparison,
    SchemaCheck,
    check_schema,
    classify,
    compare_exchanges,
    compare_file,
    read_exchanges,
)
from chatmigrate.config import Config
from chatmigrate.corpus import load_corpus
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError
from chatmigrate.noise import IgnoreRule
from chatmigrate.records import Exchange, Finding, to_dict
from chatmigrate.redact import register_secret
from chatmigrate.replay import ReplayOptions, Target, run_replay, targets_from_config
from chatmigrate.vocab import Outcome, Severity

ENDPOINT = "GET /admin/chat/ [recent_messages]"
URLS = {
    "old": "http://old.test/admin/chat/?chatroom_id=1",
    "new": "http://new.test/api/v1/admin/chat/?chatroom_id=1",
    "proxy": "http://proxy.test/api/chat-messages?chatroom_id=1",
}
LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Log in | Django site admin</title></head><body>"
    '<form action="/admin/login/" method="post"><input type="text" name="username">'
    '<input type="password" name="password"></form></body></html>'
)
NOT_FOUND_PAGE = "<!DOCTYPE html><html><head><title>Page not found</title></head><body><h1>Not Found</h1></body></html>"


def messages_body(count: int = 3) -> dict[str, Any]:
    items = [
        {
            "id": 100 - i,
            "chatroom_id": 1,
            "sender": "player",
            "message": f"m{i}",
            "timestamp": f"2026-01-05T10:0{i}:00Z",
            "is_read": True,
        }
        for i in range(count)
    ]
    return {"status": "success", "messages": items, "count": count, "has_more": False}


def exchange(
    side: str,
    attempt: int = 0,
    body: Any = None,
    *,
    entry: str = "e1",
    status: int = 200,
    content_type: str = "application/json",
    text: str | None = None,
    headers: dict[str, str] | None = None,
    elapsed_ms: float = 10.0,
    error: str | None = None,
    endpoint: str = ENDPOINT,
) -> Exchange:
    is_json = text is None and error is None and status != 302
    return Exchange(
        entry_id=entry,
        side=side,
        attempt=attempt,
        method="GET",
        url=URLS[side],
        endpoint=endpoint,
        status=None if error else status,
        content_type=content_type if is_json else (content_type or ""),
        headers=headers or {},
        body=copy.deepcopy(body) if is_json else None,
        text=text,
        is_json=is_json,
        elapsed_ms=elapsed_ms,
        error=error,
    )


def pair(old: Callable[[int], Exchange], new: Callable[[int], Exchange]) -> list[Exchange]:
    """One corpus entry: each side called twice (attempts 0 and 1), as the runner does."""
    return [old(0), old(1), new(0), new(1)]


def json_pair(old_body: Any, new_body: Any, *, entry: str = "e1", **kwargs: Any) -> list[Exchange]:
    return pair(
        lambda a: exchange("old", a, old_body, entry=entry, **kwargs),
        lambda a: exchange("new", a, new_body, entry=entry, **kwargs),
    )


def run(*groups: list[Exchange], rules: tuple[IgnoreRule, ...] = (), **options: Any) -> Comparison:
    options.setdefault("schema_check", lambda *args: [])
    return compare_exchanges(list(groups), rules, CompareOptions(**options))


def of(comparison: Comparison, check: str) -> list[Finding]:
    return [finding for finding in comparison.findings if finding.check == check]


def with_change(body: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    change(changed)
    return changed


def rename_message_to_text(body: dict[str, Any]) -> None:
    for item in body["messages"]:
        item["text"] = item.pop("message")


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
    assert classify(exchange("new", body={}, status=status)) is outcome


@pytest.mark.parametrize("status", [302, 303])
def test_redirect_to_a_login_url_is_unauthenticated(status: int) -> None:
    redirect = exchange("old", status=status, headers={"location": "/admin/login/?next=/admin/chat/"})
    assert classify(redirect) is Outcome.UNAUTHENTICATED


def test_redirect_elsewhere_is_a_client_error() -> None:
    assert classify(exchange("old", status=302, headers={"location": "/admin/"})) is Outcome.CLIENT_ERROR


def test_html_login_form_with_200_is_unauthenticated() -> None:
    page = exchange("old", content_type="text/html; charset=utf-8", text=LOGIN_PAGE)
    assert classify(page) is Outcome.UNAUTHENTICATED


def test_transport_failure_is_a_transport_error() -> None:
    assert classify(exchange("new", error="connection refused")) is Outcome.TRANSPORT_ERROR


# A clean pair --------------------------------------------------------------------------------------


def test_clean_pair_has_no_findings_and_passes() -> None:
    comparison = run(json_pair(messages_body(), messages_body()))
    assert comparison.findings == []
    assert [(row.endpoint, row.entries, row.passed, row.failed) for row in comparison.endpoints] == [
        (ENDPOINT, 1, 1, 0)
    ]
    assert comparison.entries == ["e1"]


# JSON check ------------------------------------------------------------------------------------------


def test_html_page_on_new_side_is_high_and_kept_as_evidence() -> None:
    page = "<!DOCTYPE html><html><body><h1>Server Error</h1></body></html>"
    group = pair(
        lambda a: exchange("old", a, messages_body()),
        lambda a: exchange("new", a, status=200, content_type="text/html", text=page),
    )
    (finding,) = of(run(group), "json")
    assert (finding.severity, finding.tier, finding.kind, finding.evidence) == (Severity.HIGH, "new", "html", page)
    assert "HTML page" in finding.title


def test_html_evidence_is_truncated_to_the_evidence_limit() -> None:
    page = "<html>" + "".join(f"<p>row {i}</p>" for i in range(4_000)) + "</html>"
    group = pair(
        lambda a: exchange("old", a, messages_body()), lambda a: exchange("new", a, content_type="text/html", text=page)
    )
    (finding,) = of(run(group, evidence_chars=20_000), "json")
    assert finding.evidence is not None
    assert (
        finding.evidence.startswith(page[:20_000])
        and f"truncated, {len(page) - 20_000} more characters" in finding.evidence
    )


def test_legacy_redirect_to_login_is_expected_and_only_info() -> None:
    group = pair(
        lambda a: exchange("old", a, status=302, headers={"location": "/admin/login/?next=/admin/chat/"}),
        lambda a: exchange("new", a, {"status": "error", "message": "Authentication failed"}, status=401),
    )
    comparison = run(group)
    (finding,) = of(comparison, "json")
    assert (finding.severity, finding.tier, finding.kind) == (Severity.INFO, "old", "login-redirect")
    assert finding.evidence == "Location: /admin/login/?next=/admin/chat/"
    assert of(comparison, "auth-outcome") == []


def test_legacy_html_login_page_is_expected_and_only_info() -> None:
    group = pair(
        lambda a: exchange("old", a, content_type="text/html", text=LOGIN_PAGE),
        lambda a: exchange("new", a, {"status": "error"}, status=401),
    )
    (finding,) = of(run(group), "json")
    assert (finding.severity, finding.kind, finding.evidence) == (Severity.INFO, "login-page", LOGIN_PAGE)


def test_legacy_html_404_page_is_expected_and_only_info() -> None:
    group = pair(
        lambda a: exchange("old", a, status=404, content_type="text/html", text=NOT_FOUND_PAGE),
        lambda a: exchange("new", a, {"status": "error", "message": "Not found"}, status=404),
    )
    comparison = run(group)
    assert [(f.check, f.severity, f.kind) for f in comparison.findings] == [("json", Severity.INFO, "html-404")]


def test_html_404_page_on_new_side_is_high() -> None:
    group = pair(
        lambda a: exchange("old", a, status=404, content_type="text/html", text=NOT_FOUND_PAGE),
        lambda a: exchange("new", a, status=404, content_type="text/html", text=NOT_FOUND_PAGE),
    )
    assert [(f.tier, f.severity) for f in of(run(group), "json")] == [("new", Severity.HIGH), ("old", Severity.INFO)]


def test_redirect_to_login_on_new_side_is_high() -> None:
    group = pair(
        lambda a: exchange("old", a, status=302, headers={"location": "/admin/login/"}),
        lambda a: exchange("new", a, status=302, headers={"location": "/admin/login/"}),
    )
    findings = {f.tier: f for f in of(run(group), "json")}
    assert (findings["new"].severity, findings["old"].severity) == (Severity.HIGH, Severity.INFO)
    assert "instead of a JSON 401" in findings["new"].title


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
        return Target(side="new", base_url=url, auth=BearerAuth("static-test-token"), timeout=5.0)

    def __exit__(self, *exc_info: object) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.mark.parametrize(
    ("body", "severity", "kind"),
    [
        (json.dumps(messages_body()).encode(), Severity.MEDIUM, "content-type"),
        (b"messages: m0, m1, m2", Severity.HIGH, "not-json"),
    ],
    ids=["json-labelled-text", "plain-words"],
)
def test_text_plain_answer_is_medium_when_its_body_is_json_and_high_when_not(
    server: EmbeddedServer, tmp_path: Path, body: bytes, severity: Severity, kind: str
) -> None:
    old = next(target for target in targets_from_config(Config.embedded(server)) if target.side == "old")
    entries = [entry for entry in load_corpus() if entry.id == "room-1-recent_messages"]
    with PlainTextNew(body) as new:
        summary = run_replay(entries, [old, new], tmp_path, ReplayOptions(concurrency=1, retries=0))
    (finding,) = of(compare_file(summary.path, options=CompareOptions(schema_check=lambda *args: [])), "json")
    assert (finding.tier, finding.severity, finding.kind) == ("new", severity, kind)


# Auth-outcome parity -------------------------------------------------------------------------------


def test_outcome_mismatch_is_medium_and_names_both_outcomes_and_statuses() -> None:
    group = pair(
        lambda a: exchange("old", a, messages_body()), lambda a: exchange("new", a, {"status": "error"}, status=403)
    )
    (finding,) = of(run(group), "auth-outcome")
    assert finding.severity is Severity.MEDIUM
    assert finding.title.startswith("auth outcome differs: old ok (200), new forbidden (403)")
    assert (finding.old, finding.new, finding.kind, finding.variant) == (200, 403, "outcome-changed", "ok->forbidden")


def test_server_error_where_old_succeeded_is_high() -> None:
    group = pair(
        lambda a: exchange("old", a, messages_body()), lambda a: exchange("new", a, {"detail": "boom"}, status=500)
    )
    (finding,) = of(run(group), "auth-outcome")
    assert finding.severity is Severity.HIGH


def test_same_outcome_with_other_status_on_json_both_sides_is_medium() -> None:
    error = {"status": "error", "message": "Invalid request"}
    group = pair(lambda a: exchange("old", a, error, status=400), lambda a: exchange("new", a, error, status=422))
    (finding,) = of(run(group), "auth-outcome")
    assert (finding.severity, finding.kind, finding.variant) == (Severity.MEDIUM, "status-changed", "400->422")
    assert "same outcome (client-error) but status 400 on old, 422 on new" in finding.title


def test_bodies_are_not_diffed_when_outcomes_differ() -> None:
    group = pair(
        lambda a: exchange("old", a, messages_body()), lambda a: exchange("new", a, {"status": "error"}, status=401)
    )
    assert of(run(group), "body") == []


def test_transport_error_on_new_is_an_outcome_mismatch_with_the_error_as_evidence() -> None:
    group = pair(lambda a: exchange("old", a, messages_body()), lambda a: exchange("new", a, error="timed out"))
    (finding,) = of(run(group), "auth-outcome")
    assert (finding.kind, finding.variant, finding.evidence) == ("outcome-changed", "ok->transport-error", "timed out")


def no_answer_on_either_side() -> list[Exchange]:
    return pair(
        lambda a: exchange("old", a, error="connection refused"), lambda a: exchange("new", a, error="timed out")
    )


def test_no_answer_is_a_high_transport_error_naming_the_side_and_the_error() -> None:
    findings = of(run(no_answer_on_either_side()), "json")
    assert [(f.tier, f.severity, f.kind, f.evidence) for f in findings] == [
        ("new", Severity.HIGH, "transport-error", "timed out"),
        ("old", Severity.HIGH, "transport-error", "connection refused"),
    ]
    assert [f.title for f in findings] == [
        "new gave no answer: timed out (in 1 entry)",
        "old gave no answer: connection refused (in 1 entry)",
    ]


def test_entry_with_no_answer_on_either_side_counts_as_failed() -> None:
    (row,) = run(no_answer_on_either_side()).endpoints
    assert (row.entries, row.passed, row.failed) == (1, 0, 1)


def test_unparseable_json_is_high_and_still_classified_by_its_status() -> None:
    broken = exchange("new", text='{"status": "succ', content_type="application/json")
    broken.error = "content-type says JSON but the body is not"
    group = pair(lambda a: exchange("old", a, messages_body()), lambda a: broken)
    comparison = run(group)
    assert classify(broken) is Outcome.OK
    assert [(f.check, f.severity, f.kind) for f in comparison.findings] == [("json", Severity.HIGH, "not-json")]


# Body parity ------------------------------------------------------------------------------------------


def test_changed_value_is_high_and_the_title_names_the_path() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][1].update(message="edited"))
    (finding,) = of(run(json_pair(messages_body(), new)), "body")
    assert (finding.severity, finding.kind, finding.path) == (Severity.HIGH, "value_changed", "$.messages[*].message")
    assert finding.title.startswith("$.messages[*].message value changed on new")
    assert (finding.old, finding.new) == ("m1", "edited")
    assert "$.messages[id=99].message" in (finding.evidence or "")


def test_renamed_field_is_a_removed_key_high_and_an_added_key_low() -> None:
    renamed = with_change(messages_body(), rename_message_to_text)
    findings = {f.kind: f for f in of(run(json_pair(messages_body(), renamed)), "body")}
    assert (findings["key_removed"].severity, findings["key_removed"].path) == (Severity.HIGH, "$.messages[*].message")
    assert (findings["key_added"].severity, findings["key_added"].path) == (Severity.LOW, "$.messages[*].text")
    assert "3 items in this entry" in (findings["key_removed"].evidence or "")


def test_type_change_title_names_both_json_types() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(timestamp=1767607200))
    (finding,) = of(run(json_pair(messages_body(), new)), "body")
    assert "type changed on new: string -> number" in finding.title


def test_reordered_items_are_one_medium_order_only_finding() -> None:
    new = with_change(messages_body(), lambda b: b["messages"].reverse())
    (finding,) = of(run(json_pair(messages_body(), new)), "body")
    assert (finding.severity, finding.kind, finding.path) == (Severity.MEDIUM, "order_only", "$.messages")


def test_shorter_list_is_a_high_length_change() -> None:
    new = with_change(messages_body(), lambda b: b["messages"].pop())
    findings = {f.kind: f for f in of(run(json_pair(messages_body(), new)), "body")}
    assert (findings["length_changed"].severity, findings["length_changed"].old, findings["length_changed"].new) == (
        Severity.HIGH,
        3,
        2,
    )


def test_large_values_in_a_finding_are_capped() -> None:
    old, new = {"blob": "a" * 5_000}, {"blob": "b" * 5_000}
    (finding,) = of(run(json_pair(old, new), value_chars=100), "body")
    assert len(finding.old) < 200 and "truncated" in finding.old


def test_a_grouped_finding_keeps_its_fingerprint_when_an_entry_with_a_smaller_id_joins() -> None:
    renamed = with_change(messages_body(), rename_message_to_text)
    alone = run(json_pair(messages_body(), renamed, entry="m-room"))
    joined = run(
        json_pair(messages_body(), renamed, entry="a-room"), json_pair(messages_body(), renamed, entry="m-room")
    )
    assert {f.fingerprint for f in of(alone, "body")} == {f.fingerprint for f in of(joined, "body")}


# Noise and ignore rules -----------------------------------------------------------------------------------


def noisy_pair(entry: str, stamps: tuple[str, str, str, str], **kwargs: Any) -> list[Exchange]:
    """Four calls of one entry, each with its own generated_at, like the reference server."""
    bodies = [dict(messages_body(), generated_at=stamp) for stamp in stamps]
    return [
        exchange(side, attempt, body, entry=entry, **kwargs)
        for (side, attempt), body in zip([("old", 0), ("old", 1), ("new", 0), ("new", 1)], bodies, strict=True)
    ]


def test_field_that_differs_between_attempts_is_noise_not_a_finding() -> None:
    comparison = run(noisy_pair("e1", ("t1", "t2", "t3", "t4")))
    assert [f.check for f in comparison.findings if f.severity is not Severity.INFO] == []
    assert comparison.endpoints[0].passed == 1


def test_learned_noise_is_reported_with_examples_and_as_info() -> None:
    comparison = run(noisy_pair("e1", ("t1", "t2", "t3", "t4")))
    assert [(n.side, n.path, n.examples) for n in comparison.noise] == [
        ("new", "$.generated_at", ['"t3" then "t4"']),
        ("old", "$.generated_at", ['"t1" then "t2"']),
    ]
    (finding,) = of(comparison, "noise")
    assert (finding.severity, finding.path) == (Severity.INFO, "$.generated_at")
    assert finding.title == "$.generated_at differs between two identical calls on new, old: learned as noise"


def test_entries_of_an_endpoint_teach_each_other_noise_before_comparison() -> None:
    steady = noisy_pair("a-steady", ("same", "same", "other", "other"))
    teaching = noisy_pair("b-teaching", ("t1", "t2", "t3", "t4"))
    assert of(run(steady, teaching), "body") == []


def test_without_noise_the_same_difference_is_a_finding() -> None:
    steady = noisy_pair("a-steady", ("same", "same", "other", "other"))
    assert [f.path for f in of(run(steady), "body")] == ["$.generated_at"]


def message_arrives(body: dict[str, Any]) -> None:
    """A player's message lands on the server between two calls of one entry."""
    body["messages"].insert(0, dict(body["messages"][0], id=101, message="just sent"))
    body["count"] += 1


def live_traffic_pair(entry: str = "e1", drift: Callable[[dict[str, Any]], None] = lambda body: None) -> list[Exchange]:
    """Old's second call sees one message more than its first; new answers after it arrived, with ``drift``."""
    before = messages_body()
    after = with_change(before, message_arrives)
    drifted = with_change(after, drift)
    return pair(
        lambda a: exchange("old", a, after if a else before, entry=entry),
        lambda a: exchange("new", a, drifted, entry=entry),
    )


def test_a_message_arriving_between_two_calls_is_not_a_finding() -> None:
    assert of(run(live_traffic_pair()), "body") == []


def test_a_message_arriving_between_two_calls_does_not_hide_a_renamed_field() -> None:
    findings = {(f.kind, f.path) for f in of(run(live_traffic_pair(drift=rename_message_to_text)), "body")}
    assert ("key_removed", "$.messages[*].message") in findings


def test_a_message_arriving_in_one_entry_does_not_hide_a_message_missing_in_another() -> None:
    shorter = with_change(messages_body(), lambda body: body["messages"].pop())
    findings = of(run(live_traffic_pair("e1"), json_pair(messages_body(), shorter, entry="e2")), "body")
    assert {(f.kind, f.path, f.subject) for f in findings} == {
        ("key_removed", "$.messages[*]", "e2"),
        ("length_changed", "$.messages", "e2"),
    }


def test_declared_rule_suppresses_and_is_counted_in_the_ledger() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(timestamp="later"))
    groups = [json_pair(messages_body(), new, entry=f"e{i}") for i in range(3)]
    comparison = run(*groups, rules=(IgnoreRule("/messages/*/timestamp", "clock skew between hosts"),))
    assert of(comparison, "body") == []
    assert [(r.path, r.reason, r.suppressed) for r in comparison.rules] == [
        ("/messages/*/timestamp", "clock skew between hosts", 3)
    ]


def test_declared_rule_scoped_to_another_endpoint_does_not_apply() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(timestamp="later"))
    rule = IgnoreRule("$..timestamp", "clock", endpoint="GET /admin/chat/ [chat_list]")
    comparison = run(json_pair(messages_body(), new), rules=(rule,))
    assert len(of(comparison, "body")) == 1
    assert comparison.rules[0].suppressed == 0


def test_rule_that_suppressed_nothing_is_flagged() -> None:
    comparison = run(json_pair(messages_body(), messages_body()), rules=(IgnoreRule("$.gone", "old field"),))
    (finding,) = of(comparison, "ignore-rule")
    assert (finding.severity, finding.kind, finding.path) == (Severity.INFO, "unused", "$.gone")
    assert comparison.rules[0].suppressed == 0


# Schema conformance ----------------------------------------------------------------------------------------


def test_schema_check_gets_each_sides_tier_and_concrete_path() -> None:
    calls: list[tuple[str, str, str, int]] = []

    def schema_check(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
        calls.append((tier, method, path, status))
        return []

    group = [*json_pair(messages_body(), messages_body()), exchange("proxy", 0, messages_body())]
    run(group, schema_check=schema_check)
    assert sorted(calls) == [
        ("jwt", "GET", "/api/v1/admin/chat/", 200),
        ("legacy", "GET", "/admin/chat/", 200),
        ("proxy", "GET", "/api/chat-messages", 200),
    ]


def test_schema_violation_is_a_medium_finding_for_that_side() -> None:
    def schema_check(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
        return ["$.messages[0].id: '100' is not of type 'integer'"] if tier == "jwt" else []

    (finding,) = of(run(json_pair(messages_body(), messages_body()), schema_check=schema_check), "schema")
    assert (finding.severity, finding.tier) == (Severity.MEDIUM, "new")
    assert "breaks the jwt contract: $.messages[0].id" in finding.title


def test_same_schema_violation_on_any_item_is_one_finding_per_path() -> None:
    def schema_check(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
        return [f"$.messages[{body['count']}].id: 'x' is not of type 'integer'"] if tier == "jwt" else []

    groups = [json_pair(messages_body(count), messages_body(count), entry=f"e{count}") for count in (1, 2, 3)]
    (finding,) = of(run(*groups, schema_check=schema_check), "schema")
    assert (finding.path, finding.subject) == ("$.messages[*].id", "e1")
    assert finding.title.endswith("(in 3 entries)")


def test_published_contracts_are_the_default_schema_check() -> None:
    conformant = {
        "status": "success",
        "request_type": "recent_messages",
        "chatroom_id": 1,
        "count": 1,
        "has_more": False,
        "generated_at": "2026-11-26T23:00:00Z",
        "request_id": "5f0c",
        "messages": [
            {
                "id": 7,
                "chatroom_id": 1,
                "sender": "player",
                "sender_id": 1001,
                "sender_name": "Player 1001",
                "message": "hi",
                "timestamp": "2026-01-05T10:00:00Z",
                "is_read": True,
            }
        ],
    }
    string_ids = with_change(conformant, lambda b: b["messages"][0].update(id="7"))
    comparison = compare_exchanges([json_pair(conformant, string_ids)])
    (finding,) = of(comparison, "schema")
    assert (finding.tier, finding.path) == ("new", "$.messages[*].id")


def test_schema_check_is_skipped_for_non_json_responses() -> None:
    group = pair(
        lambda a: exchange("old", a, status=302, headers={"location": "/admin/login/"}),
        lambda a: exchange("new", a, {"status": "error"}, status=401),
    )
    seen: list[str] = []

    def schema_check(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
        seen.append(tier)
        return []

    run(group, schema_check=schema_check)
    assert seen == ["jwt"]


# Latency -------------------------------------------------------------------------------------------------------


def timed_entry(entry: str, old_ms: float, new_ms: float) -> list[Exchange]:
    return pair(
        lambda a: exchange("old", a, messages_body(), entry=entry, elapsed_ms=old_ms),
        lambda a: exchange("new", a, messages_body(), entry=entry, elapsed_ms=new_ms),
    )


def timed_entries(old_ms: float, new_ms: float, count: int) -> list[list[Exchange]]:
    return [timed_entry(f"e{i}", old_ms, new_ms) for i in range(count)]


def test_p95_regression_past_limit_and_floor_is_medium() -> None:
    (finding,) = of(run(*timed_entries(20, 200, 5)), "latency")
    assert (finding.severity, finding.tier, finding.old, finding.new) == (Severity.MEDIUM, "new", 20, 200)
    assert finding.title == "p95 latency 200 ms on new vs 20 ms on old (10.0x)"


def test_slower_but_under_the_absolute_floor_is_not_a_regression() -> None:
    assert of(run(*timed_entries(2, 40, 5)), "latency") == []


def test_too_few_samples_give_no_latency_verdict() -> None:
    assert of(run(*timed_entries(20, 200, 2), latency_min_samples=5), "latency") == []


def test_latency_limit_is_configurable() -> None:
    assert of(run(*timed_entries(100, 180, 5), latency_limit=1.0), "latency") == []
    assert len(of(run(*timed_entries(100, 180, 5), latency_limit=0.5), "latency")) == 1


def test_latency_percentiles_are_reported_per_endpoint_and_side() -> None:
    groups = [timed_entry(f"e{i}", float(i + 1), 10.0) for i in range(10)]
    stats = {stat.side: stat for stat in run(*groups).latency}
    assert (stats["old"].count, stats["old"].p50_ms, stats["old"].p95_ms) == (20, 5.5, 10.0)
    assert (stats["new"].p50_ms, stats["new"].p95_ms) == (10.0, 10.0)


# Aggregation and bounded output -------------------------------------------------------------------------------


def test_systematic_drift_is_one_finding_per_path_with_an_entry_count() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    comparison = run(*[json_pair(messages_body(), new, entry=f"e{i:03d}") for i in range(50)])
    (finding,) = of(comparison, "body")
    assert finding.title.endswith("(in 50 entries)")
    assert comparison.endpoints[0].failed == 50


def test_kept_instance_is_the_smallest_entry_id_whatever_the_order() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    forward = run(*[json_pair(messages_body(), new, entry=name) for name in ("b", "a", "c")])
    assert [f.subject for f in of(forward, "body")] == ["a"]


def test_distinct_paths_beyond_the_cap_are_counted_in_one_summary_finding() -> None:
    old = {f"k{i}": i for i in range(10)}
    new = {f"k{i}": i + 1 for i in range(10)}
    findings = of(run(json_pair(old, new), max_paths_per_endpoint=4), "body")
    assert len(findings) == 5
    (summary,) = [f for f in findings if f.kind == "overflow"]
    assert summary.title.startswith("6 more body findings on new")


def test_endpoint_table_counts_passed_and_failed_entries() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    comparison = run(
        json_pair(messages_body(), messages_body(), entry="ok"), json_pair(messages_body(), new, entry="x")
    )
    assert [(row.entries, row.passed, row.failed) for row in comparison.endpoints] == [(2, 1, 1)]


def test_proxy_side_is_compared_against_old_too() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    group = json_pair(messages_body(), messages_body()) + [exchange("proxy", a, new) for a in (0, 1)]
    assert [(f.tier, f.path) for f in of(run(group), "body")] == [("proxy", "$.messages[*].message")]


def test_registered_secrets_never_reach_findings() -> None:
    register_secret("s3cr3t-session-value")
    page = "<html><body>session s3cr3t-session-value expired</body></html>"
    group = pair(
        lambda a: exchange("old", a, messages_body()), lambda a: exchange("new", a, content_type="text/html", text=page)
    )
    (finding,) = of(run(group), "json")
    assert "s3cr3t-session-value" not in (finding.evidence or "")


def test_one_shot_iterator_of_groups_is_accepted() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    groups = iter([json_pair(messages_body(), new)])
    comparison = compare_exchanges(groups, (), CompareOptions(schema_check=lambda *args: []))
    assert len(of(comparison, "body")) == 1


# compare_file ---------------------------------------------------------------------------------------------------


def write_jsonl(path: Path, groups: list[list[Exchange]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for group in groups:
            for item in group:
                handle.write(json.dumps(to_dict(item)) + "\n")
    return path


def test_compare_file_gives_the_same_result_as_in_memory_groups(tmp_path: Path) -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    groups = [noisy_pair("e1", ("t1", "t2", "t3", "t4")), json_pair(messages_body(), new, entry="e2")]
    options = CompareOptions(schema_check=lambda *args: [])
    from_file = compare_file(write_jsonl(tmp_path / "exchanges.jsonl", groups), (), options)
    assert from_file == compare_exchanges(groups, (), options)
    assert from_file.entries == ["e1", "e2"]


def test_compare_file_rejects_a_bad_line_with_its_line_number(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "exchanges.jsonl", [json_pair(messages_body(), messages_body())])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"entry_id": "x", "surprise": 1}\n')
    with pytest.raises(ConfigError, match=r"exchanges.jsonl:5: not an exchange record"):
        compare_file(path, (), CompareOptions(schema_check=lambda *args: []))


def test_compare_file_on_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read exchanges"):
        compare_file(tmp_path / "nope.jsonl")


def test_two_schema_problems_at_one_path_are_two_findings_with_distinct_fingerprints() -> None:
    def two_missing(tier: str, method: str, path: str, status: int, body: object) -> list[str]:
        return ["$: 'message' is a required property", "$: 'detail' is a required property"]

    exchange = Exchange(
        "e1",
        "new",
        0,
        "GET",
        "http://x/api/v1/admin/chat/",
        "GET /admin/chat/",
        401,
        "application/json",
        body={},
        is_json=True,
    )
    first, second = check_schema(exchange, two_missing)
    assert first.fingerprint != second.fingerprint


def test_the_same_schema_problem_with_other_values_keeps_its_fingerprint() -> None:
    def bad_id(value: str) -> SchemaCheck:
        return lambda *_: [f"$.messages[0].id: {value!r} is not of type 'integer'"]

    exchange = Exchange(
        "e1",
        "new",
        0,
        "GET",
        "http://x/api/v1/admin/chat/",
        "GET /admin/chat/",
        200,
        "application/json",
        body={},
        is_json=True,
    )
    (first,) = check_schema(exchange, bad_id("7"))
    (second,) = check_schema(exchange, bad_id("8"))
    assert first.fingerprint == second.fingerprint


def test_recorded_lines_orjson_refuses_are_still_read(tmp_path: Path) -> None:
    record = to_dict(
        Exchange(
            "e1",
            "old",
            0,
            "GET",
            URLS["old"],
            ENDPOINT,
            200,
            "application/json",
            body={"big": 2**70, "nan": float("nan")},
            is_json=True,
        )
    )
    path = tmp_path / "exchanges.jsonl"
    path.write_text(json.dumps(record) + "\n")
    (exchange,) = read_exchanges(path)
    assert exchange.body["big"] == 2**70
