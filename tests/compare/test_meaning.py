"""Same-meaning differences: classified apart, titled for what they are, and accepted by the block they offer."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from exchange_samples import ENDPOINT, json_pair, messages_body, of, run, with_change

from chatmigrate.compare import NormaliseRule, same_meaning
from chatmigrate.errors import ConfigError
from chatmigrate.jsondiff import diff
from chatmigrate.records import Finding
from chatmigrate.vocab import FindingKind, Severity


def meaning_of(old: Any, new: Any, key: str = "value") -> FindingKind | None:
    (difference,) = diff({key: old}, {key: new})
    return same_meaning(difference)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("2026-01-05T10:00:00+00:00", "2026-01-05T10:00:00Z"),
        ("2026-01-05T10:00:00Z", "2026-01-05T10:00:00.000Z"),
        ("2026-01-05T10:00:00.5Z", "2026-01-05T10:00:00.500000Z"),
        ("2026-01-05T12:00:00+02:00", "2026-01-05T10:00:00Z"),
        ("2026-01-05T10:00:00Z", 1767607200),
        ("2026-01-05T10:00:00.250Z", 1767607200.25),
        ("2026-01-05T10:00:00Z", 1767607200000),
        (1767607200, "2026-01-05 10:00:00+00:00"),
        ("2026-01-05T10:00:00", "2026-01-05T10:00:00.000"),
    ],
)
def test_one_instant_written_two_ways_is_same_instant(old: Any, new: Any) -> None:
    assert meaning_of(old, new) is FindingKind.SAME_INSTANT


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("2026-01-05T10:00:00Z", "2026-01-05T10:00:01Z"),
        ("2026-01-05T10:00:00.123456789Z", "2026-01-05T10:00:00.123456Z"),
        ("2026-01-05T10:00:00", "2026-01-05T10:00:00Z"),
        ("2026-01-05T10:00:00", 1767607200),
        ("2026-01-05T10:00:00Z", 1767607201),
        ("2026-01-05T10:00:00Z", True),
        ("2026-01-05", "2026-01-05T00:00:00Z"),
    ],
)
def test_different_instants_or_no_offset_against_an_offset_are_not_the_same_instant(old: Any, new: Any) -> None:
    assert meaning_of(old, new) is not FindingKind.SAME_INSTANT


@pytest.mark.parametrize(
    ("old", "new"), [(29.97, "29.97"), ("29.97", 29.97), (29.97, "29.970"), (5, "5"), (-1.5, "-1.5")]
)
def test_a_number_and_a_decimal_string_of_equal_value_are_decimal_string(old: Any, new: Any) -> None:
    assert meaning_of(old, new, key="price") is FindingKind.DECIMAL_STRING


@pytest.mark.parametrize(("old", "new"), [(29.97, "29.98"), (29.97, "$29.97"), (1, "1.0e"), (True, "1"), (1, "one")])
def test_a_number_and_another_string_are_not_the_same_value(old: Any, new: Any) -> None:
    assert meaning_of(old, new, key="price") is None


@pytest.mark.parametrize("key", ["id", "sender_id", "chatroomId", "member_ids", "pk"])
def test_an_integer_and_its_numeric_string_at_an_id_key_are_numeric_string_id(key: str) -> None:
    assert meaning_of(1, "1", key=key) is FindingKind.NUMERIC_STRING_ID
    assert meaning_of("17", 17, key=key) is FindingKind.NUMERIC_STRING_ID


def test_a_non_canonical_numeric_string_id_is_a_decimal_string_not_the_same_id() -> None:
    assert meaning_of(1, "01", key="id") is FindingKind.DECIMAL_STRING


def test_an_added_or_removed_key_is_never_same_meaning() -> None:
    (difference,) = diff({}, {"id": "1"})
    assert same_meaning(difference) is None


def body_finding(old: dict[str, Any], new: dict[str, Any], **options: Any) -> Finding:
    (finding,) = of(run(json_pair(old, new), **options), "body")
    return finding


def epoch_timestamps(body: dict[str, Any]) -> None:
    for item, minute in zip(body["messages"], range(3), strict=True):
        item["timestamp"] = 1767607200 + 60 * minute


def z_as_offset(body: dict[str, Any]) -> None:
    for item in body["messages"]:
        item["timestamp"] = item["timestamp"].replace("Z", "+00:00")


def test_epoch_for_iso_is_a_same_instant_finding_with_the_type_change_severity() -> None:
    finding = body_finding(messages_body(), with_change(messages_body(), epoch_timestamps))
    assert (finding.kind, finding.severity, finding.path) == ("same_instant", Severity.HIGH, "$.messages[*].timestamp")
    assert finding.title.startswith("$.messages[*].timestamp is the same instant written differently on new")
    assert "string -> number" in finding.title


def test_offset_for_z_is_a_medium_same_instant_finding() -> None:
    finding = body_finding(messages_body(), with_change(messages_body(), z_as_offset))
    assert (finding.kind, finding.severity) == ("same_instant", Severity.MEDIUM)
    assert "same instant" in finding.title


def test_a_decimal_string_price_is_its_own_kind_at_the_type_change_severity() -> None:
    finding = body_finding({"price": 29.97}, {"price": "29.97"})
    assert (finding.kind, finding.severity, finding.old, finding.new) == (
        "decimal_string",
        Severity.HIGH,
        29.97,
        "29.97",
    )
    assert finding.title.startswith("$.price is the same decimal value as a string instead of a number on new")


def test_a_numeric_string_id_is_its_own_kind_at_the_type_change_severity() -> None:
    finding = body_finding({"sender_id": 1}, {"sender_id": "1"})
    assert (finding.kind, finding.severity) == ("numeric_string_id", Severity.HIGH)
    assert finding.title.startswith("$.sender_id is the same id as a string instead of a number on new")


def test_a_same_meaning_finding_offers_a_normalise_block_with_a_reason_to_fill_in() -> None:
    finding = body_finding(messages_body(), with_change(messages_body(), epoch_timestamps))
    assert tomllib.loads(finding.accept_toml or "") == {
        "compare": {
            "normalise": [
                {"kind": "same_instant", "path": "$.messages[*].timestamp", "endpoint": ENDPOINT, "reason": ""}
            ]
        }
    }


def test_the_offered_block_with_its_reason_filled_in_accepts_the_difference() -> None:
    old, new = messages_body(), with_change(messages_body(), epoch_timestamps)
    block = tomllib.loads(body_finding(old, new).accept_toml or "")["compare"]["normalise"][0]
    rule = NormaliseRule(**dict(block, reason="mobile clients parse both since 4.2"))
    assert run(json_pair(old, new), normalise=(rule,)).findings == []


def test_a_normaliser_accepts_only_its_own_kind_at_its_path() -> None:
    rule = NormaliseRule("$.price", "clients read both", kind=FindingKind.DECIMAL_STRING)
    findings = of(run(json_pair({"price": 29.97}, {"price": 29.98}), normalise=(rule,)), "body")
    assert [finding.kind for finding in findings] == ["value_changed"]


def test_a_normaliser_that_accepted_nothing_is_flagged() -> None:
    rule = NormaliseRule("$.price", "clients read both", kind="decimal_string")
    (finding,) = of(run(json_pair(messages_body(), messages_body()), normalise=(rule,)), "normalise-rule")
    assert (finding.severity, finding.kind, finding.path) == (Severity.INFO, "unused", "$.price")
    assert finding.title == "normalise rule $.price matched nothing: remove it or fix its path"


def test_a_normaliser_without_a_reason_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"normalise rule '\$.price' needs a non-empty reason"):
        NormaliseRule("$.price", "", kind="decimal_string")


def test_a_normaliser_of_an_unknown_kind_is_a_config_error_naming_the_kinds() -> None:
    with pytest.raises(ConfigError, match="kind must be one of same_instant, decimal_string, numeric_string_id"):
        NormaliseRule("$.price", "because", kind="close_enough")
