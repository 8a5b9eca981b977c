"""The contracts folder and its loader: schemas are valid, documents are valid and in sync, and the
reference server's real answers, over the wire, conform to them (while its drifts do not)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.schemas import OpenApiSchema
from server_wire import (
    JWT_CHAT,
    LEGACY_CHAT,
    access_token,
    bearer,
    joined,
    logged_in,
    receive,
    token_pair,
    ws_connect,
    ws_path,
)

from chatmigrate import contracts
from chatmigrate.contracts import (
    TOO_DEEP,
    contracts_dir,
    describe,
    load_contract,
    openapi_contract,
    response_checker,
    schema_validator,
    validate_response,
)
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError
from chatmigrate.records import (
    AuditResult,
    CorpusEntry,
    EndpointParity,
    Finding,
    LatencyStat,
    NoisePath,
    RuleLedger,
    RunResult,
    TargetInfo,
    Verdict,
    to_dict,
)
from chatmigrate.redact import MASK, register_secret
from chatmigrate.vocab import AuditState, FindingKind, Severity, Tier

SCHEMA_FILES = sorted(path.name for path in (contracts_dir() / "schemas").glob("*.json"))
DOCUMENTS = ["openapi-legacy.json", "openapi-jwt.json", "openapi-proxy.json"]
REQUEST_TYPES = ["recent_messages", "purchases_list", "chat_list"]
PROXY_ROUTES = {
    "recent_messages": "/api/chat-messages",
    "purchases_list": "/api/chat-purchases",
    "chat_list": "/api/chat-users",
}
STORED_MESSAGE = {
    "id": 7,
    "chatroom_id": 1,
    "sender": "player",
    "sender_id": 1001,
    "sender_name": "Player 1001",
    "message": "hi",
    "timestamp": "2026-01-05T10:00:00Z",
    "is_read": True,
}
RECENT = {
    "status": "success",
    "request_type": "recent_messages",
    "chatroom_id": 1,
    "messages": [STORED_MESSAGE, {**STORED_MESSAGE, "id": 6}],
    "count": 2,
    "has_more": False,
    "generated_at": "2026-11-26T23:00:00.123456Z",
    "request_id": "5f0c",
}


def operation_labels(schema: OpenApiSchema) -> list[str]:
    """Every operation as schemathesis sees it; an operation it cannot load fails here with its reason."""
    labels = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        labels.append(result.ok().label)
    return labels


def documented_operations(name: str) -> list[str]:
    return [f"{method.upper()} {path}" for path, item in load_contract(name)["paths"].items() for method in item]


def chat_query(request_type: str) -> dict[str, Any]:
    return {"request_type": request_type, "chatroom_id": 1, "limit": 5}


# The files themselves ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_schema_is_valid_against_its_metaschema(name: str) -> None:
    Draft202012Validator.check_schema(load_contract(f"schemas/{name}"))


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_schema_has_an_id_named_after_its_file(name: str) -> None:
    schema = load_contract(f"schemas/{name}")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/schemas/{name}")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_openapi_document_is_a_valid_openapi_3_1_document(name: str) -> None:
    path = contracts_dir() / name
    document = load_contract(name)
    assert document["openapi"].startswith("3.1")
    validate_openapi(document, base_uri=path.as_uri())


@pytest.mark.parametrize("name", DOCUMENTS)
def test_schemathesis_loads_every_document_from_disk(name: str) -> None:
    schema = schemathesis.openapi.from_path(str(contracts_dir() / name))
    assert operation_labels(schema) == documented_operations(name)


def test_the_openapi_documents_embed_the_current_schema_files() -> None:
    script = contracts_dir() / "embed_schemas.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_the_embed_check_notices_a_schema_change(tmp_path: Path) -> None:
    copy = tmp_path / "contracts"
    shutil.copytree(contracts_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    message = copy / "schemas" / "message.json"
    schema = json.loads(message.read_text())
    schema["properties"]["edited"] = {"type": "boolean"}
    message.write_text(json.dumps(schema))
    result = subprocess.run(
        [sys.executable, str(copy / "embed_schemas.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "openapi-jwt.json" in result.stdout


def test_only_protected_jwt_operations_require_the_bearer_scheme() -> None:
    document = load_contract("openapi-jwt")
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert "security" not in document
    security = {path: op.get("security") for path, item in document["paths"].items() for op in item.values()}
    assert security == {
        "/api/v1/auth/token/": [],
        "/api/v1/auth/token/refresh/": [],
        "/api/v1/auth/token/blacklist/": [],
        "/api/v1/admin/chat/": [{"bearerAuth": []}],
        "/api/v1/chat/send/": [{"bearerAuth": []}],
    }


def test_contracts_dir_prefers_the_folder_packed_into_a_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site-packages" / "chatmigrate"
    (package / "contracts").mkdir(parents=True)
    monkeypatch.setattr(contracts, "__file__", str(package / "contracts.py"))
    assert contracts_dir() == (package / "contracts").resolve()


def test_contracts_dir_is_the_checkout_folder_in_a_source_tree() -> None:
    assert contracts_dir() == Path(__file__).resolve().parents[1] / "contracts"


def test_loading_an_unknown_contract_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no contract named 'openapi-nope'"):
        load_contract("openapi-nope")


def test_a_loaded_contract_is_a_private_copy() -> None:
    load_contract("openapi-jwt")["paths"].clear()
    assert load_contract("openapi-jwt")["paths"]


# JSON Schemas for chatmigrate's own files ----------------------------------------------------------
def _field_names(cls: type) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


def _schema_at(pointer: str) -> dict[str, Any]:
    """The subschema a ``file#/json/pointer`` name designates, read from the schema file."""
    file_name, _, fragment = pointer.partition("#")
    schema: dict[str, Any] = load_contract(f"schemas/{file_name.removesuffix('.json')}.json")
    for token in filter(None, fragment.split("/")):
        schema = schema[token]
    return schema


@pytest.mark.parametrize(
    ("pointer", "record"),
    [
        ("results", RunResult),
        ("results.json#/$defs/target", TargetInfo),
        ("results.json#/$defs/finding", Finding),
        ("results.json#/$defs/noise_path", NoisePath),
        ("results.json#/$defs/rule_ledger", RuleLedger),
        ("results.json#/$defs/latency_stat", LatencyStat),
        ("results.json#/$defs/endpoint_parity", EndpointParity),
        ("results.json#/$defs/audit_result", AuditResult),
        ("results.json#/$defs/verdict", Verdict),
        ("corpus.json#/$defs/entry", CorpusEntry),
    ],
)
def test_file_schemas_name_exactly_the_fields_of_their_record(pointer: str, record: type) -> None:
    assert set(_schema_at(pointer)["properties"]) == _field_names(record)


def _full_run() -> RunResult:
    return RunResult(
        tool_version="0.1.0",
        started_at="2026-11-26T23:00:00Z",
        finished_at="2026-11-26T23:00:09Z",
        targets=[TargetInfo("old", "http://127.0.0.1:8000", "session", "admin")],
        warnings=["one"],
        entries=["e1"],
        findings=[
            Finding(
                "body",
                Severity.HIGH,
                "id changed type",
                "e1",
                endpoint="GET /admin/chat/",
                path="$.messages[0].id",
                kind=FindingKind.TYPE_CHANGED,
                tier=Tier.NEW,
                old=7,
                new="7",
            )
        ],
        noise=[NoisePath("GET /admin/chat/", "$.request_id", "old", ["a", "b"])],
        rules=[RuleLedger("$.generated_at", "clock", suppressed=4)],
        latency=[LatencyStat("GET /admin/chat/", "new", 2, 1.5, 2.0)],
        endpoints=[EndpointParity("GET /admin/chat/", 1, 0, 1)],
        audit=[AuditResult("alg-none", "signature", "jwt", "alg none refused", True, 401, state=AuditState.PASS)],
        stale_baseline=["0123456789abcdef"],
        verdict=Verdict(False, 1, "1 high finding"),
    )


def test_a_complete_run_result_conforms_to_the_results_schema() -> None:
    assert list(schema_validator("results").iter_errors(to_dict(_full_run()))) == []


def test_a_run_result_still_in_progress_conforms_to_the_results_schema() -> None:
    run = RunResult(tool_version="0.1.0", started_at="2026-11-26T23:00:00+00:00")
    assert list(schema_validator("results").iter_errors(to_dict(run))) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"schema_version": 3}, "schema_version"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"surprise": True}, ""),
    ],
)
def test_the_results_schema_refuses_a_foreign_run_file(change: dict[str, Any], where: str) -> None:
    document = {**to_dict(_full_run()), **change}
    errors = list(schema_validator("results.json").iter_errors(document))
    assert [".".join(map(str, error.absolute_path)) for error in errors] == [where]


def test_the_results_schema_refuses_an_unknown_severity() -> None:
    document = to_dict(_full_run())
    document["findings"][0]["severity"] = "urgent"
    assert [list(e.absolute_path) for e in schema_validator("results").iter_errors(document)] == [
        ["findings", 0, "severity"]
    ]


def test_a_corpus_file_and_its_jsonl_entries_conform_to_the_corpus_schema() -> None:
    entry = to_dict(
        CorpusEntry("recent-1", query={"chatroom_id": "1", "request_type": "recent_messages"}, tags=["smoke"])
    )
    assert list(schema_validator("corpus").iter_errors({"version": 1, "entries": [entry]})) == []
    assert list(schema_validator("corpus.json#/$defs/entry").iter_errors(entry)) == []


@pytest.mark.parametrize(
    "entry",
    [
        {"method": "GET"},
        {"id": "x", "methd": "GET"},
        {"id": "x", "path": "admin/chat/"},
        {"id": "x", "method": "FETCH"},
    ],
)
def test_the_corpus_schema_refuses_a_broken_entry(entry: dict[str, Any]) -> None:
    assert not schema_validator("corpus.json#/$defs/entry").is_valid(entry)


def test_a_baseline_with_a_reason_per_finding_conforms_and_one_without_does_not() -> None:
    accepted = {
        "fingerprint": _full_run().findings[0].fingerprint,
        "check": "body",
        "subject": "e1",
        "title": "id changed type",
        "reason": "ids become strings in v2, agreed with mobile",
    }
    validator = schema_validator("baseline")
    assert validator.is_valid({"version": 1, "accepted": [accepted]})
    assert not validator.is_valid({"version": 1, "accepted": [{**accepted, "reason": ""}]})


WS_CLIENT_EVENTS = [
    {"type": "auth", "token": "a.b.c"},
    {"type": "message", "message": "hello", "client_id": "c1"},
    {"type": "typing", "is_typing": True},
    {"type": "read", "message_id": 7},
]
WS_SERVER_EVENTS = [
    {"type": "connected", "chatroom": "P1001Chat", "user_id": 1},
    {"type": "live_status", "player_id": 1001, "is_online": True},
    {"type": "ack", "client_id": "c1", "message": STORED_MESSAGE},
    {"type": "message", "message": STORED_MESSAGE},
    {"type": "typing", "user_id": 1, "is_typing": True},
    {"type": "read", "message_id": 7, "user_id": 1},
    {"type": "error", "detail": "unknown message_id"},
]


@pytest.mark.parametrize("event", WS_CLIENT_EVENTS, ids=lambda event: event["type"])
def test_every_documented_client_event_conforms_to_the_client_event_schema(event: dict[str, Any]) -> None:
    assert list(schema_validator("ws-events.json#/$defs/client_event").iter_errors(event)) == []


@pytest.mark.parametrize("event", WS_SERVER_EVENTS, ids=lambda event: event["type"])
def test_every_documented_server_event_conforms_to_the_server_event_schema(event: dict[str, Any]) -> None:
    assert list(schema_validator("ws-events.json#/$defs/server_event").iter_errors(event)) == []


@pytest.mark.parametrize(
    "event",
    [
        {"type": "typing"},
        {"type": "message", "message": "   "},
        {"type": "message", "message": {"id": "7"}},
        {"type": "shout"},
    ],
)
def test_malformed_websocket_events_are_refused(event: dict[str, Any]) -> None:
    assert not schema_validator("ws-events").is_valid(event)


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
USER_DOCUMENT = """\
openapi: 3.1.0
info: {title: shop, version: "1"}
paths:
  /shops/{shop_id}/items/:
    get:
      responses:
        "200":
          description: items
          content:
            application/json:
              schema: {type: array, items: {$ref: "item.json"}}
        4XX:
          description: any client error
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
  /shapes/:
    get:
      responses:
        "200":
          description: a circle or a square, told apart by nothing but their keys
          content:
            application/json:
              schema:
                oneOf:
                  - {type: object, required: [radius], properties: {radius: {type: number}}}
                  - {type: object, required: [side, colour], properties: {side: {type: number}, colour: {type: string}}}
components:
  schemas:
    Problem: {type: object, required: [title]}
"""


@pytest.fixture
def user_contract(tmp_path: Path) -> Path:
    (tmp_path / "item.json").write_text(
        json.dumps({"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}})
    )
    document = tmp_path / "shop.yaml"
    document.write_text(USER_DOCUMENT)
    return document


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


def openapi(paths: Any, components: dict[str, Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths}
    if components is not None:
        document["components"] = components
    return document


def answering(schema: Any) -> dict[str, Any]:
    """``GET /x`` answering 200 with ``schema``."""
    content = {"application/json": {"schema": schema}}
    return {"/x": {"get": {"responses": {"200": {"description": "d", "content": content}}}}}


def written(folder: Path, document: dict[str, Any], name: str = "api.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(document))
    return path


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


# Real answers over the wire -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def admin_token(server: EmbeddedServer) -> str:
    return access_token(server)


@pytest.fixture(scope="module")
def legacy_client(server: EmbeddedServer) -> httpx.Client:
    return logged_in(server)


def assert_conforms(tier: str, response: httpx.Response, expected_status: int) -> None:
    assert response.status_code == expected_status, response.text
    violations = validate_response(
        tier, response.request.method, str(response.request.url), response.status_code, response.json()
    )
    assert violations == []


@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_jwt_tier_success_bodies_conform(server: EmbeddedServer, admin_token: str, request_type: str) -> None:
    response = httpx.get(f"{server.base_url}{JWT_CHAT}", params=chat_query(request_type), headers=bearer(admin_token))
    assert_conforms("jwt", response, 200)


@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_legacy_tier_success_bodies_conform(legacy_client: httpx.Client, request_type: str) -> None:
    assert_conforms("legacy", legacy_client.get(LEGACY_CHAT, params=chat_query(request_type)), 200)


@pytest.mark.parametrize("request_type", REQUEST_TYPES)
def test_proxy_tier_success_bodies_conform(server: EmbeddedServer, admin_token: str, request_type: str) -> None:
    response = httpx.get(
        f"{server.base_url}{PROXY_ROUTES[request_type]}",
        params={"chatroom_id": 1, "limit": 5},
        headers=bearer(admin_token),
    )
    assert_conforms("proxy", response, 200)


@pytest.mark.parametrize(
    ("params", "who", "status"),
    [
        ({"chatroom_id": 1}, None, 401),
        ({"chatroom_id": 1}, "garbage", 401),
        ({"chatroom_id": 1}, "viewer", 403),
        ({"chatroom_id": "x"}, "admin", 400),
        ({"request_type": "everything", "chatroom_id": 1}, "admin", 400),
        ({"chatroom_id": 999_999}, "admin", 404),
    ],
)
def test_jwt_tier_error_bodies_conform(
    server: EmbeddedServer, params: dict[str, Any], who: str | None, status: int
) -> None:
    token = who if who in (None, "garbage") else access_token(server, who)
    headers = bearer(token) if token else {}
    assert_conforms("jwt", httpx.get(f"{server.base_url}{JWT_CHAT}", params=params, headers=headers), status)


def test_legacy_tier_bad_parameters_conform(legacy_client: httpx.Client) -> None:
    assert_conforms("legacy", legacy_client.get(LEGACY_CHAT, params={"limit": "0", "chatroom_id": 1}), 400)


@pytest.mark.parametrize(
    ("route", "params", "who", "status"),
    [
        ("/api/chat-messages", {"chatroom_id": 1}, None, 401),
        ("/api/chat-messages", {"chatroom_id": 1}, "garbage", 401),
        ("/api/chat-purchases", {"chatroom_id": 1}, "viewer", 403),
        ("/api/chat-messages", {}, "admin", 400),
        ("/api/chat-purchases", {"chatroom_id": 999_999}, "admin", 404),
    ],
)
def test_proxy_tier_error_bodies_conform(
    server: EmbeddedServer, route: str, params: dict[str, Any], who: str | None, status: int
) -> None:
    token = who if who in (None, "garbage") else access_token(server, who)
    headers = bearer(token) if token else {}
    assert_conforms("proxy", httpx.get(f"{server.base_url}{route}", params=params, headers=headers), status)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "admin", "password": "seed-Passw0rd"}, 200),
        ({"username": "admin", "password": "wrong"}, 401),
        ({"username": "admin"}, 400),
    ],
)
def test_token_endpoint_bodies_conform(server: EmbeddedServer, body: dict[str, str], status: int) -> None:
    assert_conforms("jwt", httpx.post(f"{server.base_url}/api/v1/auth/token/", json=body), status)


def test_refresh_endpoint_bodies_conform(server: EmbeddedServer) -> None:
    url = f"{server.base_url}/api/v1/auth/token/refresh/"
    assert_conforms("jwt", httpx.post(url, json={"refresh": token_pair(server)["refresh"]}), 200)
    assert_conforms("jwt", httpx.post(url, json={"refresh": "not-a-token"}), 401)
    assert_conforms("jwt", httpx.post(url, content=b"[]"), 400)


def test_blacklist_endpoint_bodies_conform(server: EmbeddedServer) -> None:
    url = f"{server.base_url}/api/v1/auth/token/blacklist/"
    assert_conforms("jwt", httpx.post(url, json={"refresh": token_pair(server)["refresh"]}), 200)
    assert_conforms("jwt", httpx.post(url, json={"refresh": "not-a-token"}), 401)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"chatroom_id": 2, "message": "contract check", "client_id": "c1"}, 201),
        ({"chatroom_id": 2, "message": "   "}, 400),
        ({"chatroom_id": 999_999, "message": "hello?"}, 404),
    ],
)
def test_send_endpoint_bodies_conform(
    server: EmbeddedServer, admin_token: str, body: dict[str, Any], status: int
) -> None:
    response = httpx.post(f"{server.base_url}/api/v1/chat/send/", json=body, headers=bearer(admin_token))
    assert_conforms("jwt", response, status)


@pytest.mark.parametrize(
    ("drift", "request_type", "expected"),
    [
        ("rename-field", "recent_messages", "$.messages[0]: 'message' is a required property"),
        ("timestamp-format", "recent_messages", "$.messages[0].timestamp: "),
        ("string-ids", "purchases_list", "$.messages[0].id: "),
        ("purchases-key", "purchases_list", "$: 'messages' is a required property"),
    ],
)
def test_each_shape_drift_of_the_reference_server_breaks_the_jwt_contract(
    server_with: Any, drift: str, request_type: str, expected: str
) -> None:
    drifted = server_with(drifts=(drift,))
    response = httpx.get(
        f"{drifted.base_url}{JWT_CHAT}", params=chat_query(request_type), headers=bearer(access_token(drifted))
    )
    violations = validate_response("jwt", "GET", JWT_CHAT, response.status_code, response.json())
    assert any(violation.startswith(expected) for violation in violations), violations


def test_the_status_change_drift_breaks_the_jwt_contract(server_with: Any) -> None:
    drifted = server_with(drifts=("status-change",))
    response = httpx.get(
        f"{drifted.base_url}{JWT_CHAT}", params={"chatroom_id": 999_999}, headers=bearer(access_token(drifted))
    )
    assert validate_response("jwt", "GET", JWT_CHAT, response.status_code, response.json()) == [
        "$.message: 'Invalid request' was expected"
    ]


def test_real_websocket_frames_conform_to_the_event_schema(server: EmbeddedServer) -> None:
    async def conversation() -> list[dict[str, Any]]:
        async with ws_connect(server, ws_path(1003, 1)) as admin, ws_connect(server, ws_path(1003, 2)) as support:
            events = [*await joined(admin), *await joined(support)]
            await support.send(json.dumps({"type": "typing", "is_typing": True}))
            events.append(await receive(admin))
            await admin.send(json.dumps({"type": "message", "message": "schema check", "client_id": "c9"}))
            events += [await receive(admin), await receive(admin), await receive(support)]
            stored = next(event["message"]["id"] for event in events if event["type"] == "ack")
            await support.send(json.dumps({"type": "read", "message_id": stored}))
            events.append(await receive(support))
            await support.send(json.dumps({"type": "dance"}))
            events.append(await receive(support))
            return events

    events = asyncio.run(conversation())
    validator = schema_validator("ws-events.json#/$defs/server_event")
    assert {event["type"] for event in events} == {
        "connected",
        "live_status",
        "typing",
        "ack",
        "message",
        "read",
        "error",
    }
    assert [list(validator.iter_errors(event)) for event in events] == [[] for _ in events]


@pytest.mark.parametrize("name", [*DOCUMENTS, "schemas/message.json", "schemas/results.json"])
def test_the_server_serves_each_contract_file_under_openapi(server: EmbeddedServer, name: str) -> None:
    response = httpx.get(f"{server.base_url}/openapi/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == load_contract(name)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_schemathesis_loads_every_document_from_the_server(server: EmbeddedServer, name: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi/{name}")
    assert operation_labels(schema) == documented_operations(name)
