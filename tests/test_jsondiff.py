"""The typed JSON diff: kinds, paths, id alignment and JSON (not Python) equality."""

from __future__ import annotations

from typing import Any

from chatmigrate.jsondiff import Difference, DiffKind, diff


def message(ident: Any, text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"id": ident, "message": text, "timestamp": "2026-01-05T10:00:00Z", "is_read": True, **extra}


def summary(differences: list[Difference]) -> list[tuple[str, str]]:
    return [(d.kind.value, d.path) for d in differences]


def test_equal_documents_have_no_differences() -> None:
    doc = {"status": "success", "messages": [message(1), message(2)], "count": 2}
    assert diff(doc, {"status": "success", "messages": [message(1), message(2)], "count": 2}) == []


def test_changed_scalar_is_value_changed_at_its_json_path() -> None:
    (difference,) = diff({"meta": {"count": 2}}, {"meta": {"count": 3}})
    assert (difference.kind, difference.path, difference.old, difference.new) == (
        DiffKind.VALUE_CHANGED,
        "$.meta.count",
        2,
        3,
    )


def test_true_versus_one_is_a_type_change_because_bool_is_not_an_int() -> None:
    assert summary(diff({"is_read": True}, {"is_read": 1})) == [("type_changed", "$.is_read")]


def test_bool_hidden_in_an_otherwise_equal_subtree_is_still_found() -> None:
    old = {"rows": [[{"flag": True}]], "other": {"flag": False}}
    new = {"rows": [[{"flag": 1}]], "other": {"flag": 0}}
    assert summary(diff(old, new)) == [("type_changed", "$.rows[0][0].flag"), ("type_changed", "$.other.flag")]


def test_bool_and_int_swapped_between_keys_listed_in_another_order_are_type_changes() -> None:
    old = {"x": 1, "y": True}
    new = {"y": 1, "x": True}
    assert summary(diff(old, new)) == [("type_changed", "$.x"), ("type_changed", "$.y")]


def test_int_and_equal_float_are_the_same_json_number() -> None:
    assert diff({"amount": 1}, {"amount": 1.0}) == []


def test_string_versus_number_is_type_changed() -> None:
    assert summary(diff({"amount": "0.99"}, {"amount": 0.99})) == [("type_changed", "$.amount")]


def test_object_versus_array_is_type_changed_not_a_walk_inside() -> None:
    assert summary(diff({"meta": {"a": 1}}, {"meta": [1]})) == [("type_changed", "$.meta")]


def test_key_only_on_new_is_key_added() -> None:
    (difference,) = diff({"a": 1}, {"a": 1, "b": 2})
    assert (difference.kind, difference.path, difference.new) == (DiffKind.KEY_ADDED, "$.b", 2)


def test_key_missing_on_new_is_key_removed() -> None:
    (difference,) = diff({"a": 1, "message": "hi"}, {"a": 1})
    assert (difference.kind, difference.path, difference.old) == (DiffKind.KEY_REMOVED, "$.message", "hi")


def test_scalar_array_of_other_length_is_length_changed() -> None:
    (difference,) = diff({"tags": ["a", "b"]}, {"tags": ["a", "b", "c"]})
    assert (difference.kind, difference.path, difference.old, difference.new) == (
        DiffKind.LENGTH_CHANGED,
        "$.tags",
        2,
        3,
    )


def test_reordered_scalar_array_is_one_order_only_difference() -> None:
    assert summary(diff({"tags": ["a", "b", "c"]}, {"tags": ["c", "a", "b"]})) == [("order_only", "$.tags")]


def test_objects_carrying_ids_are_addressed_by_id() -> None:
    old = {"messages": [message(17), message(16)]}
    new = {"messages": [message(17, "hello"), message(16)]}
    assert summary(diff(old, new)) == [("value_changed", "$.messages[id=17].message")]


def test_removed_item_is_one_key_removed_not_a_shifted_tail_of_changes() -> None:
    old = {"messages": [message(3, "c"), message(2, "b"), message(1, "a")]}
    new = {"messages": [message(3, "c"), message(1, "a")]}
    assert summary(diff(old, new)) == [("length_changed", "$.messages"), ("key_removed", "$.messages[id=2]")]


def test_item_only_on_new_is_key_added_by_id() -> None:
    old = {"messages": [message(1)]}
    new = {"messages": [message(2), message(1)]}
    assert summary(diff(old, new)) == [("length_changed", "$.messages"), ("key_added", "$.messages[id=2]")]


def test_same_ids_in_another_order_is_one_order_only_difference() -> None:
    old = {"messages": [message(i) for i in (5, 4, 3, 2, 1)]}
    new = {"messages": [message(i) for i in (1, 2, 3, 4, 5)]}
    (difference,) = diff(old, new)
    assert (difference.kind, difference.path) == (DiffKind.ORDER_ONLY, "$.messages")
    assert (difference.old, difference.new) == ([5, 4, 3, 2, 1], [1, 2, 3, 4, 5])


def test_ids_of_another_type_are_type_changes_on_id_not_items_added_and_removed() -> None:
    old = {"messages": [message(17), message(16)]}
    new = {"messages": [message("17"), message("16")]}
    assert summary(diff(old, new)) == [
        ("type_changed", "$.messages[id=17].id"),
        ("type_changed", "$.messages[id=16].id"),
    ]


def test_duplicate_ids_fall_back_to_positions() -> None:
    old = {"rows": [{"id": 1, "v": "a"}, {"id": 1, "v": "b"}]}
    new = {"rows": [{"id": 1, "v": "a"}, {"id": 1, "v": "c"}]}
    assert summary(diff(old, new)) == [("value_changed", "$.rows[1].v")]


def test_pattern_turns_positions_and_ids_into_wildcards() -> None:
    (by_id,) = diff({"messages": [message(17)]}, {"messages": [message(17, "x")]})
    (by_index,) = diff({"rows": [[1, 2]]}, {"rows": [[1, 3]]})
    assert (by_id.pattern, by_index.pattern) == ("$.messages[*].message", "$.rows[*][*]")


def test_keys_that_are_not_identifiers_are_quoted() -> None:
    (difference,) = diff({"a b": {"x.y": 1}}, {"a b": {"x.y": 2}})
    assert difference.path == '$["a b"]["x.y"]'


def test_string_ids_are_quoted_in_paths() -> None:
    (difference,) = diff({"items": [{"id": "a1", "v": 1}]}, {"items": [{"id": "a1", "v": 2}]})
    assert difference.path == '$.items[id="a1"].v'
