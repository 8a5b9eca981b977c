"""The body check: typed differences, learned noise and ignore rules."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from typing import Any

from exchange_samples import (
    ENDPOINT,
    exchange,
    json_pair,
    messages_body,
    noisy_pair,
    of,
    pair,
    rename_message_to_text,
    run,
    with_change,
)

from chatmigrate.noise import IgnoreRule
from chatmigrate.records import Exchange
from chatmigrate.vocab import Severity, Tier

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
    new = with_change(messages_body(), lambda b: b["messages"][0].update(is_read=1))
    (finding,) = of(run(json_pair(messages_body(), new)), "body")
    assert "type changed on new: boolean -> number" in finding.title


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


def test_field_that_differs_between_attempts_is_noise_not_a_finding() -> None:
    comparison = run(noisy_pair("e1", ("t1", "t2", "t3", "t4")))
    assert [f.check for f in comparison.findings if f.severity is not Severity.INFO] == []
    assert comparison.endpoints[0].passed == 1


def test_learned_noise_is_reported_with_examples_and_as_info() -> None:
    comparison = run(noisy_pair("e1", ("t1", "t2", "t3", "t4")))
    assert [(n.side, n.path, n.examples) for n in comparison.noise] == [
        (Tier.NEW, "$.generated_at", ['"t3" then "t4"']),
        (Tier.OLD, "$.generated_at", ['"t1" then "t2"']),
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
        lambda a: exchange(Tier.OLD, a, after if a else before, entry=entry),
        lambda a: exchange(Tier.NEW, a, drifted, entry=entry),
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


def test_each_learned_noise_path_offers_the_ignore_block_that_declares_it() -> None:
    comparison = run(noisy_pair("e1", ("t1", "t2", "t3", "t4")))
    (finding,) = of(comparison, "noise")
    block = {"ignore": [{"path": "$.generated_at", "endpoint": ENDPOINT, "reason": ""}]}
    assert tomllib.loads(finding.accept_toml or "") == block
    assert [tomllib.loads(path.ignore_toml) for path in comparison.noise] == [block, block]


def test_the_offered_ignore_block_with_its_reason_filled_in_is_a_working_rule() -> None:
    (finding,) = of(run(noisy_pair("e1", ("t1", "t2", "t3", "t4"))), "noise")
    rule = IgnoreRule(**dict(tomllib.loads(finding.accept_toml or "")["ignore"][0], reason="generation time"))
    declared = run(
        json_pair(dict(messages_body(), generated_at="t1"), dict(messages_body(), generated_at="t2")), rules=(rule,)
    )
    assert (declared.findings, declared.rules[0].suppressed) == ([], 1)
