"""Learned noise and declared ignore rules, with their ledger."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

import pytest

from chatmigrate.errors import ConfigError
from chatmigrate.jsondiff import Difference, diff
from chatmigrate.noise import IgnoreRule, NoiseModel, RuleBook, ignore_block
from chatmigrate.vocab import Tier

ENDPOINT = "GET /admin/chat/ [recent_messages]"
OTHER = "GET /admin/chat/ [chat_list]"


def response(generated_at: Any = "t1", **extra: Any) -> dict[str, Any]:
    messages = [{"id": i, "message": f"m{i}", "timestamp": f"2026-01-0{i}T00:00:00Z"} for i in (3, 2, 1)]
    return {"status": "success", "messages": messages, "generated_at": generated_at, **extra}


def only(old: Any, new: Any) -> Difference:
    (difference,) = diff(old, new)
    return difference


def test_value_that_differs_between_two_calls_is_noise_for_that_endpoint() -> None:
    noise = NoiseModel()
    noise.learn(ENDPOINT, Tier.OLD, response("t1"), response("t2"), entry="e1")
    assert noise.is_noise(ENDPOINT, only(response("a"), response("b")), entry="e1")


def test_noise_is_scoped_to_the_endpoint_that_showed_it() -> None:
    noise = NoiseModel()
    noise.learn(ENDPOINT, Tier.OLD, response("t1"), response("t2"), entry="e1")
    assert not noise.is_noise(OTHER, only(response("a"), response("b")), entry="e1")


def test_noise_learned_on_one_item_covers_every_item() -> None:
    first, second = response(), response()
    second["messages"][0]["timestamp"] = "changed"
    noise = NoiseModel()
    noise.learn(ENDPOINT, Tier.NEW, first, second, entry="e1")
    old, new = response(), response()
    new["messages"][2]["timestamp"] = "other"
    assert noise.is_noise(ENDPOINT, only(old, new), entry="e1")
    assert [path.path for path in noise.paths()] == ["$.messages[*].timestamp"]


def test_noisy_value_does_not_hide_a_type_change_there() -> None:
    noise = NoiseModel()
    noise.learn(ENDPOINT, Tier.OLD, response("t1"), response("t2"), entry="e1")
    assert not noise.is_noise(ENDPOINT, only(response("t1"), response(12345)), entry="e1")


def test_field_that_comes_and_goes_hides_its_whole_subtree() -> None:
    noise = NoiseModel()
    noise.learn(ENDPOINT, Tier.OLD, response(), response(debug={"sql": 3}), entry="e1")
    assert noise.is_noise(ENDPOINT, only(response(debug={"sql": 3}), response(debug={"sql": 4})), entry="e1")


def with_arrival(body: dict[str, Any]) -> dict[str, Any]:
    """The same response after one more chat message arrived."""
    arrived = {"id": 4, "message": "just sent", "timestamp": "2026-01-04T00:00:00Z"}
    return {**body, "messages": [arrived, *body["messages"]]}


def live_traffic_noise() -> NoiseModel:
    """Entry e1 saw a message arrive between its two calls on old."""
    noise = NoiseModel()
    noise.learn(ENDPOINT, Tier.OLD, response(), with_arrival(response()), entry="e1")
    return noise


def test_item_that_arrives_between_two_calls_hides_items_coming_and_going_in_that_list() -> None:
    noise = live_traffic_noise()
    arrivals = diff(response(), with_arrival(response()))
    assert [d.kind.value for d in arrivals] == ["length_changed", "key_added"]
    assert all(noise.is_noise(ENDPOINT, d, entry="e1") for d in arrivals)


def test_item_that_arrives_between_two_calls_does_not_hide_changes_inside_items() -> None:
    noise = live_traffic_noise()
    renamed = response()
    for item in renamed["messages"]:
        item["text"] = item.pop("message")
    assert not any(noise.is_noise(ENDPOINT, d, entry="e1") for d in diff(response(), renamed))


def test_item_that_arrives_between_two_calls_hides_nothing_in_another_entry() -> None:
    noise = live_traffic_noise()
    assert not any(noise.is_noise(ENDPOINT, d, entry="e2") for d in diff(response(), with_arrival(response())))


def test_item_that_arrives_is_reported_as_noise_naming_its_entry() -> None:
    reported = {path.path: path.examples for path in live_traffic_noise().paths()}
    assert reported["$.messages[*]"][0].startswith('in e1: null then {"id": 4')


def test_noise_paths_carry_examples_per_side() -> None:
    noise = NoiseModel()
    noise.learn(ENDPOINT, Tier.OLD, response("t1"), response("t2"), entry="e1")
    noise.learn(ENDPOINT, Tier.NEW, response("t3"), response("t4"), entry="e1")
    reported = {(path.side, path.path): path.examples for path in noise.paths()}
    assert reported == {
        (Tier.NEW, "$.generated_at"): ['"t3" then "t4"'],
        (Tier.OLD, "$.generated_at"): ['"t1" then "t2"'],
    }


def test_pointer_rule_with_star_matches_every_item() -> None:
    rule = IgnoreRule("/messages/*/timestamp", reason="clock skew between hosts")
    old, new = response(), response()
    new["messages"][1]["timestamp"] = "x"
    assert rule.matches(only(old, new).segments)


def test_pointer_rule_unescapes_tilde_sequences() -> None:
    rule = IgnoreRule("/a~1b/c~0d", reason="odd keys")
    assert rule.matches(only({"a/b": {"c~d": 1}}, {"a/b": {"c~d": 2}}).segments)


def test_json_path_rule_with_recursive_descent_matches_at_any_depth() -> None:
    rule = IgnoreRule("$..generated_at", reason="server clock")
    assert rule.matches(only({"meta": {"generated_at": 1}}, {"meta": {"generated_at": 2}}).segments)
    assert rule.matches(only(response("a"), response("b")).segments)


def test_json_path_rule_with_wildcard_items_matches_id_aligned_items() -> None:
    rule = IgnoreRule("$.messages[*].timestamp", reason="clock skew")
    old, new = response(), response()
    new["messages"][0]["timestamp"] = "x"
    assert rule.matches(only(old, new).segments)


def test_id_selector_matches_only_that_item() -> None:
    rule = IgnoreRule("$.messages[id=2].message", reason="known bad row")
    old, new_two, new_three = response(), response(), response()
    new_two["messages"][1]["message"] = "x"
    new_three["messages"][0]["message"] = "x"
    assert rule.matches(only(old, new_two).segments)
    assert not rule.matches(only(old, new_three).segments)


def test_glob_inside_a_key_name_matches_keys_of_that_shape() -> None:
    rule = IgnoreRule("$.meta.*_at", reason="timestamps")
    assert rule.matches(only({"meta": {"built_at": 1}}, {"meta": {"built_at": 2}}).segments)
    assert not rule.matches(only({"meta": {"count": 1}}, {"meta": {"count": 2}}).segments)


def test_rule_ignores_the_whole_subtree_below_its_path() -> None:
    rule = IgnoreRule("$.meta", reason="debug block")
    assert rule.matches(only({"meta": {"a": {"b": 1}}}, {"meta": {"a": {"b": 2}}}).segments)


def test_rule_does_not_match_a_sibling_path() -> None:
    rule = IgnoreRule("$.messages[*].timestamp", reason="clock skew")
    old, new = response(), response()
    new["messages"][0]["message"] = "x"
    assert not rule.matches(only(old, new).segments)


def test_endpoint_glob_treats_brackets_literally() -> None:
    rule = IgnoreRule("$.x", reason="r", endpoint="GET /admin/chat/ [recent_*]")
    assert rule.applies_to(ENDPOINT)
    assert not rule.applies_to(OTHER)


@pytest.mark.parametrize("reason", ["", "   "])
def test_rule_without_a_reason_is_a_config_error(reason: str) -> None:
    with pytest.raises(ConfigError, match="reason"):
        IgnoreRule("$.generated_at", reason=reason)


@pytest.mark.parametrize("path", ["generated_at", "$.messages[", "$..", ""])
def test_rule_with_an_unreadable_path_is_a_config_error(path: str) -> None:
    with pytest.raises(ConfigError, match="path"):
        IgnoreRule(path, reason="r")


def test_ledger_counts_what_each_rule_suppressed() -> None:
    book = RuleBook([IgnoreRule("$..generated_at", "clock"), IgnoreRule("/nothing", "stale")])
    for value in ("b", "c", "d"):
        assert book.suppresses(ENDPOINT, only(response("a"), response(value)))
    assert [(entry.path, entry.suppressed) for entry in book.ledger()] == [("$..generated_at", 3), ("/nothing", 0)]


def test_rule_that_suppressed_nothing_is_listed_as_unused() -> None:
    book = RuleBook([IgnoreRule("$..generated_at", "clock"), IgnoreRule("/nothing", "stale")])
    book.suppresses(ENDPOINT, only(response("a"), response("b")))
    assert [rule.path for rule in book.unused()] == ["/nothing"]


def test_rule_scoped_to_another_endpoint_suppresses_nothing_here() -> None:
    book = RuleBook([IgnoreRule("$..generated_at", "clock", endpoint=OTHER)])
    assert not book.suppresses(ENDPOINT, only(response("a"), response("b")))


def test_rule_book_accepts_rule_shaped_entries_and_validates_them() -> None:
    @dataclass(frozen=True)
    class ConfigEntry:
        path: str
        reason: str
        endpoint: str | None = None

    assert RuleBook([ConfigEntry("$.x", "why")]).rules == [IgnoreRule("$.x", "why")]
    with pytest.raises(ConfigError):
        RuleBook([ConfigEntry("$.x", "")])


@pytest.mark.parametrize(
    "path", ['$["a key"].b', "$.caf\u00e9", '$["quote \\" and \\\\ back"]', "$['\x7f']", "$.emoji\U0001f600"]
)
def test_an_ignore_block_reads_back_as_the_path_it_declares(path: str) -> None:
    block = tomllib.loads(ignore_block(path, "GET /admin/chat/ [chat_list]"))
    assert block == {"ignore": [{"path": path, "endpoint": "GET /admin/chat/ [chat_list]", "reason": ""}]}


def test_an_ignore_block_without_an_endpoint_covers_every_endpoint() -> None:
    assert ignore_block("$.generated_at") == '[[ignore]]\npath = "$.generated_at"\nreason = ""\n'
