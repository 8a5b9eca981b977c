"""The contracts folder and its loader: schemas are valid, documents are valid and in sync, and chatmigrate's
own files conform to their schemas."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from contract_samples import DOCUMENTS, SCHEMA_FILES, STORED_MESSAGE, documented_operations, operation_labels
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from chatmigrate import contracts
from chatmigrate.contracts import (
    contracts_dir,
    load_contract,
    schema_validator,
)
from chatmigrate.errors import ConfigError
from chatmigrate.records import (
    AuditResult,
    CorpusEntry,
    EndpointParity,
    Finding,
    LatencyStat,
    MatrixCell,
    NoisePath,
    PrincipalRow,
    RuleLedger,
    RunResult,
    TargetInfo,
    Verdict,
    to_dict,
)
from chatmigrate.vocab import AuditState, FindingKind, Severity, Tier


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
        ("results.json#/$defs/matrix_cell", MatrixCell),
        ("results.json#/$defs/principal_row", PrincipalRow),
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
