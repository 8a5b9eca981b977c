"""Explaining violations: every keyword reads as python-jsonschema words it, and a hostile body gives lines,
never an exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from contract_samples import RECENT, STORED_MESSAGE, answering, openapi, written
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from server_wire import (
    JWT_CHAT,
)

from chatmigrate.contracts import (
    openapi_contract,
    response_checker,
    validate_response,
)
from chatmigrate.openapi.explain import TOO_DEEP, describe

# Every keyword's violation reads as jsonschema words it --------------------------------------------------
KEYWORD_CASES = {
    "type": ({"type": "integer"}, "7"),
    "several-types": ({"type": ["string", "null"]}, 7),
    "required": ({"type": "object", "required": ["a", "b"]}, {"c": 1}),
    "enum": ({"enum": ["a", 1, None]}, "b"),
    "const": ({"const": {"k": [1]}}, {"k": [2]}),
    "minimum": ({"minimum": 1.5}, 1),
    "maximum": ({"maximum": 10}, 10.5),
    "exclusive-minimum": ({"exclusiveMinimum": 0}, 0),
    "exclusive-maximum": ({"exclusiveMaximum": 0}, 0),
    "multiple-of": ({"multipleOf": 3}, 7),
    "non-empty-string": ({"minLength": 1}, ""),
    "short-string": ({"minLength": 3}, "ab"),
    "empty-string": ({"maxLength": 0}, "a"),
    "long-string": ({"maxLength": 2}, "abc"),
    "non-empty-array": ({"minItems": 1}, []),
    "short-array": ({"minItems": 2}, [1]),
    "long-array": ({"maxItems": 1}, [1, 2]),
    "few-properties": ({"minProperties": 2}, {"a": 1}),
    "many-properties": ({"maxProperties": 1}, {"a": 1, "b": 2}),
    "unique-items": ({"uniqueItems": True}, [1, 1]),
    "pattern": ({"pattern": "^[0-9]+$"}, "12a"),
    "date-time": ({"format": "date-time"}, "26/11/2026"),
    "one-extra-property": ({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, "z": 2}),
    "extra-properties": ({"properties": {"a": {}}, "additionalProperties": False}, {"b": 1, "a": 1, "c": 2}),
    "extra-against-patterns": ({"patternProperties": {"^x": {}}, "additionalProperties": False}, {"y": 1}),
    "extra-property-schema": ({"additionalProperties": {"type": "integer"}}, {"a": "1"}),
    "same-problem-on-many-items": ({"items": {"properties": {"id": {"type": "integer"}}}}, [{"id": "1"}] * 3),
    "huge-instance": ({"type": "object"}, ["x" * 100]),
    "furthest-branch": (
        {"oneOf": [{"required": ["r"]}, {"properties": {"s": {"properties": {"t": {"type": "string"}}}}}]},
        {"s": {"t": 1}},
    ),
    "any-of": ({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5}]}, 3),
    "nested-discriminator": (
        {
            "properties": {
                "pet": {
                    "oneOf": [{"$ref": "#/$defs/cat"}, {"$ref": "#/$defs/dog"}],
                    "discriminator": {
                        "propertyName": "kind",
                        "mapping": {"cat": "#/$defs/cat", "dog": "#/$defs/dog"},
                    },
                }
            },
            "$defs": {"cat": {"required": ["purrs"]}, "dog": {"required": ["barks"]}},
        },
        {"pet": {"kind": "dog", "meows": True}},
    ),
    "nested-unknown-tag": (
        {
            "items": {
                "oneOf": [{"$ref": "#/$defs/cat"}],
                "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/$defs/cat"}},
            },
            "$defs": {"cat": {"required": ["purrs"]}},
        },
        [{"kind": "cow"}],
    ),
    "not": ({"not": {"type": "string"}}, "a"),
    "contains": ({"contains": {"type": "string"}}, [1]),
    "several-valid-branches": ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 1),
    "false-schema": ({"properties": {"a": False}}, {"a": 1}),
    "dependent-required": ({"dependentRequired": {"a": ["b"]}}, {"a": 1}),
    "format-only-jsonschema-rs-checks": ({"type": "string", "format": "uri"}, "not a uri"),
}


@pytest.mark.parametrize(("schema", "body"), KEYWORD_CASES.values(), ids=KEYWORD_CASES.keys())
def test_every_violation_reads_exactly_as_jsonschema_words_it(tmp_path: Path, schema: Any, body: Any) -> None:
    """jsonschema-rs explains most failures; where it cannot word one, jsonschema does: the line is the same."""
    expected = describe(
        Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(body)
    )
    written(tmp_path, schema, "schema.json")
    path = written(tmp_path, openapi(answering({"$ref": "schema.json"})))
    assert openapi_contract(path).violations("GET", "/x", 200, body) == expected


def test_a_user_contract_with_templated_paths_and_neighbouring_files_is_explained_the_same_way(
    user_contract: Path,
) -> None:
    body = [{"sku": 1}, {"sku": "a"}, {"sku": 2}, {}]
    item = json.loads((user_contract.parent / "item.json").read_text())
    expected = describe(Draft202012Validator({"type": "array", "items": item}).iter_errors(body))
    assert response_checker({"jwt": user_contract})("jwt", "GET", "/shops/42/items/", 200, body) == expected
    assert expected == [
        "$[0].sku: 1 is not of type 'string' (and 1 more like it at $[*].sku)",
        "$[3]: 'sku' is a required property",
    ]


# Hostile bodies: a line per problem, never an exception ----------------------------------------------------
def nested(depth: int, leaf: Any = 1) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


HOSTILE_BODIES = {
    "nested-deeper-than-python-recurses": (nested(100_000), [TOO_DEEP]),
    "deeper-than-jsonschema-rs-reads": (
        {**RECENT, "messages": [{**STORED_MESSAGE, "id": nested(500)}]},
        ["$.messages[0].id: array of 1 items is not of type 'integer'"],
    ),
    "nan": ({**RECENT, "count": float("nan")}, ["$.count: nan is not of type 'integer'"]),
    "infinity": (
        {**RECENT, "count": float("inf")},
        ["$.count: inf is not of type 'integer'", "$.count: inf is greater than the maximum of 200"],
    ),
    "number-too-long-to-print": (
        {**RECENT, "count": "x", "request_id": 10**5000},
        ["$.count: 'x' is not of type 'integer'", "$.request_id: int too large to show is not of type 'string'"],
    ),
    "lone-surrogate-value": (
        {**RECENT, "request_id": 5, "message": "\ud800"},
        ["$.request_id: 5 is not of type 'string'"],
    ),
    "lone-surrogate-in-a-bad-value": (
        {**RECENT, "messages": [{**STORED_MESSAGE, "id": "\udfff"}]},
        ["$.messages[0].id: '\\udfff' is not of type 'integer'"],
    ),
    "lone-surrogate-key": ({**RECENT, "\ud800": 1, "count": "x"}, ["$.count: 'x' is not of type 'integer'"]),
    "control-characters-in-a-summarised-object": (
        {**RECENT, "messages": {"a\nb\ud800": 1, "text": "y" * 80}},
        ["$.messages: object {a\\nb\\ud800, text} is not of type 'array'"],
    ),
    "non-json-values": (
        {**RECENT, "count": b"7", "messages": {1}, 3: None},
        ["$.messages: {1} is not of type 'array'", "$.count: b'7' is not of type 'integer'"],
    ),
}


@pytest.mark.parametrize(("body", "expected"), HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_hostile_body_gives_printable_lines_and_never_an_exception(body: Any, expected: list[str]) -> None:
    assert sorted(validate_response("jwt", "GET", JWT_CHAT, 200, body)) == sorted(expected)


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(codec=None), max_size=8)
    | st.sampled_from(["recent_messages", "purchases_list", "chat_list", "2026-01-05T10:00:00Z"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from([*RECENT, *STORED_MESSAGE, "chats", "\ud800"]), children, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=JSONISH, status=st.sampled_from([200, 400, 401, 404]))
def test_any_body_gives_a_list_of_one_line_utf8_violations(body: Any, status: int) -> None:
    violations = validate_response("jwt", "GET", JWT_CHAT, status, body)
    assert all(isinstance(line, str) and "\n" not in line for line in violations)
    assert all(line.encode("utf-8") for line in violations)
