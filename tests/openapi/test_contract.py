"""Loading an OpenAPI document and checking bodies against it: the built-in tiers and a user's own contract,
which is checked whole when loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from contract_samples import RECENT, STORED_MESSAGE, USER_DOCUMENT, answering, openapi, written
from server_wire import (
    JWT_CHAT,
    LEGACY_CHAT,
)

from chatmigrate.contracts import (
    openapi_contract,
    response_checker,
    validate_response,
)
from chatmigrate.errors import ConfigError
from chatmigrate.redact import MASK, register_secret


# validate_response on bodies built by hand -----------------------------------------------------------
def test_a_conformant_body_has_no_violations() -> None:
    assert validate_response("jwt", "GET", JWT_CHAT, 200, RECENT) == []


def test_a_wrong_type_is_reported_with_its_json_path() -> None:
    body = {**RECENT, "messages": [{**STORED_MESSAGE, "id": "x"}]}
    assert validate_response("jwt", "GET", JWT_CHAT, 200, body) == ["$.messages[0].id: 'x' is not of type 'integer'"]


def test_the_same_violation_on_many_items_is_one_line_with_a_count() -> None:
    body = {**RECENT, "messages": [{**STORED_MESSAGE, "is_read": "yes"}] * 3}
    assert validate_response("jwt", "GET", JWT_CHAT, 200, body) == [
        "$.messages[0].is_read: 'yes' is not of type 'boolean' (and 2 more like it at $.messages[*].is_read)"
    ]


def test_a_body_is_judged_by_the_shape_its_request_type_names() -> None:
    body = {**RECENT, "request_type": "purchases_list"}
    violations = validate_response("jwt", "GET", JWT_CHAT, 200, body)
    assert "$.messages[0]: 'player_id' is a required property (and 1 more like it at $.messages[*])" in violations
    assert "$.messages[0]: 'amount' is a required property (and 1 more like it at $.messages[*])" in violations


def test_an_unknown_request_type_is_named_as_such() -> None:
    assert validate_response("jwt", "GET", JWT_CHAT, 200, {**RECENT, "request_type": "everything"}) == [
        "$.request_type: 'everything' is not one of 'recent_messages', 'purchases_list', 'chat_list'"
    ]


def test_a_malformed_timestamp_is_a_violation() -> None:
    body = {**RECENT, "generated_at": "26/11/2026 23:00"}
    assert validate_response("jwt", "GET", JWT_CHAT, 200, body) == [
        "$.generated_at: '26/11/2026 23:00' is not a 'date-time'"
    ]


def test_an_error_envelope_must_carry_the_message_of_its_status() -> None:
    body = {"status": "error", "message": "Not found", "detail": "Chatroom 9 not found"}
    assert validate_response("jwt", "GET", JWT_CHAT, 404, body) == []
    assert validate_response("jwt", "GET", JWT_CHAT, 400, body) == ["$.message: 'Invalid request' was expected"]


def test_a_huge_instance_is_summarised_in_the_message() -> None:
    violations = validate_response("jwt", "GET", JWT_CHAT, 200, ["x" * 500])
    assert violations == ["$: array of 1 items is not of type 'object'"]


def test_query_string_and_origin_are_ignored_when_finding_the_operation() -> None:
    body = {**RECENT, "count": -1}
    assert validate_response("jwt", "GET", f"http://127.0.0.1:9/{JWT_CHAT.lstrip('/')}?chatroom_id=1", 200, body) == [
        "$.count: -1 is less than the minimum of 0"
    ]


@pytest.mark.parametrize(
    ("tier", "method", "path", "status"),
    [
        ("legacy", "GET", LEGACY_CHAT, 404),
        ("legacy", "GET", LEGACY_CHAT, 302),
        ("jwt", "GET", JWT_CHAT, 500),
        ("jwt", "DELETE", JWT_CHAT, 200),
        ("jwt", "GET", "/api/v1/elsewhere/", 200),
    ],
)
def test_nothing_declared_means_no_violations(tier: str, method: str, path: str, status: int) -> None:
    assert validate_response(tier, method, path, status, {"anything": "goes"}) == []


def test_an_unknown_tier_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown tier 'graphql'"):
        validate_response("graphql", "GET", "/", 200, {})


def test_violations_never_show_a_registered_secret() -> None:
    secret = "hunter2-session-value"
    register_secret(secret)
    body = {**RECENT, "messages": [{**STORED_MESSAGE, "sender": secret}]}
    (violation,) = validate_response("jwt", "GET", JWT_CHAT, 200, body)
    assert secret not in violation
    assert MASK in violation


# validate_response on a user's own contract ----------------------------------------------------------


def test_a_user_contract_matches_path_templates_and_follows_references_to_neighbouring_files(
    user_contract: Path,
) -> None:
    check = response_checker({"jwt": user_contract})
    assert check("jwt", "GET", "/shops/42/items/", 200, [{"sku": "a"}]) == []
    assert check("jwt", "GET", "/shops/42/items/", 200, [{"sku": 1}]) == ["$[0].sku: 1 is not of type 'string'"]


def test_tiers_without_a_user_contract_keep_the_built_in_one(user_contract: Path) -> None:
    check = response_checker({"jwt": user_contract})
    assert check("proxy", "GET", "/api/chat-users", 401, {"status": "error"}) == [
        "$: 'message' is a required property",
        "$: 'detail' is a required property",
    ]


def test_a_user_contract_for_an_unknown_tier_is_a_config_error(user_contract: Path) -> None:
    with pytest.raises(ConfigError, match="unknown tier 'graphql'"):
        response_checker({"graphql": user_contract})


def test_a_user_contract_status_range_applies_to_every_status_in_it(user_contract: Path) -> None:
    assert response_checker({"jwt": user_contract})("jwt", "GET", "/shops/42/items/", 418, {}) == [
        "$: 'title' is a required property"
    ]


def test_without_a_discriminator_a_body_is_judged_by_the_branch_it_got_furthest_in(user_contract: Path) -> None:
    check = response_checker({"jwt": user_contract})
    assert check("jwt", "GET", "/shapes/", 200, {"side": 2, "colour": 3}) == ["$.colour: 3 is not of type 'string'"]


def test_a_user_contract_that_is_not_openapi_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"type": "object"}))
    with pytest.raises(ConfigError, match=r"not an OpenAPI 3\.x document"):
        openapi_contract(path)


def test_a_user_contract_that_is_not_json_is_a_config_error_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "openapi": "3.1.0",\n  oops\n}')
    with pytest.raises(ConfigError, match=r"broken.json:3: not valid JSON"):
        openapi_contract(path)


SCHEMA_AT = "#/paths/~1x/get/responses/200/content/application~1json/schema"
BROKEN_DOCUMENTS = {
    "paths-not-an-object": (openapi(["/x"]), "#/paths: must be an object of paths, not an array"),
    "path-item-not-an-object": (openapi({"/x": "GET"}), "#/paths/~1x: must be an object, not a string"),
    "operation-not-an-object": (openapi({"/x": {"get": []}}), "#/paths/~1x/get: must be an object, not an array"),
    "responses-not-an-object": (
        openapi({"/x": {"get": {"responses": [200]}}}),
        "#/paths/~1x/get/responses: must be an object, not an array",
    ),
    "response-not-an-object": (
        openapi({"/x": {"get": {"responses": {"200": "fine"}}}}),
        "#/paths/~1x/get/responses/200: must be an object, not a string",
    ),
    "content-not-an-object": (
        openapi({"/x": {"get": {"responses": {"200": {"description": "d", "content": None}}}}}),
        "#/paths/~1x/get/responses/200/content: must be an object, not null",
    ),
    "media-type-not-an-object": (
        openapi({"/x": {"get": {"responses": {"200": {"description": "d", "content": {"text/html": 1}}}}}}),
        "#/paths/~1x/get/responses/200/content/text~1html: must be an object, not a number",
    ),
    "response-reference-to-nowhere": (
        openapi({"/x": {"get": {"responses": {"200": {"$ref": "#/components/responses/Missing"}}}}}),
        "#/paths/~1x/get/responses/200/$ref: '#/components/responses/Missing' leads nowhere",
    ),
    "circular-response-references": (
        openapi(
            {"/x": {"get": {"responses": {"200": {"$ref": "#/components/responses/A"}}}}},
            {"responses": {"A": {"$ref": "#/components/responses/B"}, "B": {"$ref": "#/components/responses/A"}}},
        ),
        "#/components/responses/A: circular $ref",
    ),
    "schema-reference-to-nowhere": (
        openapi(answering({"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Gone"}}})),
        f"{SCHEMA_AT}/properties/a/$ref: '#/components/schemas/Gone' leads nowhere",
    ),
    "reference-to-nowhere-behind-a-reference": (
        openapi(
            answering({"$ref": "#/components/schemas/Page"}),
            {"schemas": {"Page": {"type": "array", "items": {"oneOf": [{"$ref": "#/components/schemas/Item"}]}}}},
        ),
        "#/components/schemas/Page/items/oneOf/0/$ref: '#/components/schemas/Item' leads nowhere",
    ),
    "reference-to-a-missing-file": (
        openapi(answering({"$ref": "schemas/item.json"})),
        f"{SCHEMA_AT}/$ref: 'schemas/item.json' leads nowhere (",
    ),
    "unknown-type": (openapi(answering({"type": "objekt"})), f"{SCHEMA_AT}/type: not a valid JSON Schema (2020-12): "),
    "broken-pattern": (
        openapi(answering({"type": "string", "pattern": "(("})),
        f"{SCHEMA_AT}/pattern: not a valid JSON Schema (2020-12): '((' is not a 'regex'",
    ),
    "pattern-property-not-a-regex": (
        openapi(answering({"type": "object", "patternProperties": {"[": {}}})),
        f"{SCHEMA_AT}/patternProperties/[: not a valid JSON Schema (2020-12): '[' is not a 'regex'",
    ),
    "schema-not-a-schema": (
        openapi(answering(5)),
        f"{SCHEMA_AT}: not a valid JSON Schema (2020-12): 5 is not of type 'object', 'boolean'",
    ),
    "discriminator-mapping-to-nowhere": (
        openapi(
            answering(
                {
                    "oneOf": [{"$ref": "#/components/schemas/Cat"}],
                    "discriminator": {"propertyName": "kind", "mapping": {"dog": "Dog"}},
                }
            ),
            {"schemas": {"Cat": {"type": "object"}}},
        ),
        f"{SCHEMA_AT}/discriminator/mapping/dog: 'Dog' leads nowhere",
    ),
}


@pytest.mark.parametrize(("document", "problem"), BROKEN_DOCUMENTS.values(), ids=BROKEN_DOCUMENTS.keys())
def test_a_broken_user_contract_is_one_config_error_line_naming_the_file_and_the_bad_spot(
    tmp_path: Path, document: dict[str, Any], problem: str
) -> None:
    path = written(tmp_path, document)
    with pytest.raises(ConfigError) as raised:
        openapi_contract(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: {problem}")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("api.yaml", "openapi: 3.1.0\npaths: {/x: [\n", "not valid YAML: "),
        ("api.yaml", "openapi: 3.1.0\npaths: &loop\n  /x: *loop\n", "not a JSON document: Circular reference detected"),
        ("api.json", "[" * 100_000 + "]" * 100_000, "nested too deeply to read"),
    ],
    ids=["yaml-syntax", "yaml-alias-loop", "nested-json"],
)
def test_an_unreadable_user_contract_is_one_config_error_line(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        openapi_contract(path)
    assert str(raised.value).startswith(f"{path}: {problem}")
    assert "\n" not in str(raised.value)


def test_a_bad_spot_in_a_neighbouring_file_names_that_file(tmp_path: Path) -> None:
    written(tmp_path, {"type": "object", "properties": {"sku": {"$ref": "#/$defs/Sku"}}}, "item.json")
    path = written(tmp_path, openapi(answering({"type": "array", "items": {"$ref": "item.json"}})))
    with pytest.raises(ConfigError) as raised:
        openapi_contract(path)
    assert str(raised.value) == f"{tmp_path / 'item.json'}: #/properties/sku/$ref: '#/$defs/Sku' leads nowhere"


def test_a_reference_cycle_between_schemas_is_a_recursive_shape_not_an_error(tmp_path: Path) -> None:
    node = {
        "type": "object",
        "properties": {"value": {"type": "integer"}, "child": {"$ref": "#/components/schemas/Node"}},
    }
    path = written(tmp_path, openapi(answering({"$ref": "#/components/schemas/Node"}), {"schemas": {"Node": node}}))
    check = openapi_contract(path)
    assert check.violations("GET", "/x", 200, {"value": 1, "child": {"value": 2, "child": {}}}) == []
    assert check.violations("GET", "/x", 200, {"child": {"child": {"value": "3"}}}) == [
        "$.child.child.value: '3' is not of type 'integer'"
    ]


def test_unquoted_yaml_status_codes_are_matched(user_contract: Path) -> None:
    path = user_contract.with_name("unquoted.yaml")
    path.write_text(USER_DOCUMENT.replace('"200":', "200:"))
    assert openapi_contract(path).violations("GET", "/shapes/", 200, {"radius": "big"}) == [
        "$.radius: 'big' is not of type 'number'"
    ]


def test_a_discriminator_may_map_a_tag_to_a_schema_name(tmp_path: Path) -> None:
    cat = {"type": "object", "required": ["kind", "purrs"], "properties": {"purrs": {"type": "boolean"}}}
    dog = {"type": "object", "required": ["kind", "barks"]}
    pets = {
        "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
        "discriminator": {"propertyName": "kind", "mapping": {"cat": "Cat", "dog": "Dog"}},
    }
    path = written(tmp_path, openapi(answering(pets), {"schemas": {"Cat": cat, "Dog": dog}}))
    assert openapi_contract(path).violations("GET", "/x", 200, {"kind": "cat", "purrs": "loudly"}) == [
        "$.purrs: 'loudly' is not of type 'boolean'"
    ]
    assert openapi_contract(path).violations("GET", "/x", 200, {"kind": "cow"}) == [
        "$.kind: 'cow' is not one of 'cat', 'dog'"
    ]
