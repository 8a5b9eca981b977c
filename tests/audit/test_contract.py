"""The schemathesis run of the JWT API contract, through its Python API, with the genuine token."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from server_wire import ServerFactory, token_pair

from chatmigrate.audit import AuditOptions, embedded_target, run_audit
from chatmigrate.audit.contract import ContractOutcome, run_contract
from chatmigrate.audit.target import target_from_config
from chatmigrate.config import load_config
from chatmigrate.contracts import load_contract
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.vocab import Severity

CHAT = "/api/v1/admin/chat/"
CONFIG = """
[targets.old]
base_url = "http://127.0.0.1:9"
[targets.old.auth]
kind = "session"
username = "admin"
password_env = "CONTRACT_TEST_PASSWORD"

[targets.new]
base_url = "http://127.0.0.1:9"
[targets.new.auth]
kind = "token-endpoint"
username = "admin"
password_env = "CONTRACT_TEST_PASSWORD"

[contracts]
jwt = "api/openapi.json"
"""
ENV = {"CONTRACT_TEST_PASSWORD": "unused"}


def contract(server: EmbeddedServer, seed: int = 0) -> ContractOutcome:
    return run_contract(
        server.base_url, token_pair(server)["access"], chatroom_id=1, seed=seed, examples=6, allow_writes=True
    )


def own_jwt_document(folder: Path) -> Path:
    """The built-in JWT document cut down to the chat read, whose 200 (in a neighbouring file) wants a ``shop``
    key the server never sends: a run of this document, and of no other, finds schema violations."""
    document = load_contract("openapi-jwt")
    document["paths"] = {CHAT: document["paths"][CHAT]}
    content = document["paths"][CHAT]["get"]["responses"]["200"]["content"]["application/json"]
    content["schema"] = {"$ref": "page.json"}
    (folder / "page.json").write_text(json.dumps({"type": "object", "required": ["shop"]}))
    path = folder / "openapi.json"
    path.write_text(json.dumps(document))
    return path


def test_the_clean_server_gives_no_server_error_and_no_schema_violation(server_with: ServerFactory) -> None:
    outcome = contract(server_with(seed=2024))
    assert outcome.failures == []
    assert outcome.errors == []
    assert outcome.operations == 5 and outcome.cases > 0


def test_read_only_runs_leave_unsafe_operations_out(server_with: ServerFactory) -> None:
    server = server_with(seed=2024)
    outcome = run_contract(
        server.base_url, token_pair(server)["access"], chatroom_id=1, seed=0, examples=3, allow_writes=False
    )
    assert outcome.operations == 1


def test_contract_failures_become_findings_with_a_masked_curl(server_with: ServerFactory) -> None:
    server = server_with(flaws=("html-401",))
    options = AuditOptions(cases=frozenset({"contract-jwt"}), budget=0)
    outcome = run_audit(embedded_target(server), options)
    found = [f for f in outcome.findings if f.subject == "contract-jwt"]
    assert found and {f.variant for f in found} == {"content_type_conformance"}
    assert all(f.severity is Severity.MEDIUM for f in found)
    token = token_pair(server)["access"]
    assert all("curl" in (f.reproducer or "") and token not in (f.reproducer or "") for f in found)


def test_a_users_own_jwt_document_is_the_one_schemathesis_runs(server_with: ServerFactory, tmp_path: Path) -> None:
    server = server_with(seed=2024)
    outcome = run_contract(
        server.base_url,
        token_pair(server)["access"],
        chatroom_id=1,
        seed=0,
        examples=3,
        allow_writes=True,
        document=own_jwt_document(tmp_path),
    )
    assert outcome.errors == []
    assert outcome.operations == 1
    assert {failure.check for failure in outcome.failures} == {"response_schema_conformance"}


def test_a_broken_own_jwt_document_skips_the_run_with_one_line_naming_the_bad_spot(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": [CHAT]}))
    outcome = run_contract(
        server.base_url, "a.b.c", chatroom_id=1, seed=0, examples=3, allow_writes=False, document=path
    )
    assert outcome.errors == [f"contract run skipped: {path}: #/paths: must be an object of paths, not an array"]
    assert outcome.operations == 0 and outcome.failures == []


def test_the_configs_own_jwt_document_reaches_the_audit_target(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    document = own_jwt_document(tmp_path / "api")
    config = tmp_path / "chatmigrate.toml"
    config.write_text(CONFIG)
    assert target_from_config(load_config(config, env=ENV), env=ENV).jwt_contract == document


def test_the_audit_runs_the_targets_own_jwt_document(server_with: ServerFactory, tmp_path: Path) -> None:
    target = dataclasses.replace(embedded_target(server_with(seed=2024)), jwt_contract=own_jwt_document(tmp_path))
    outcome = run_audit(target, AuditOptions(cases=frozenset({"contract-jwt"}), budget=0, contract_examples=3))
    assert outcome.contract_operations == 1
    assert {f.variant for f in outcome.findings if f.subject == "contract-jwt"} == {"response_schema_conformance"}
