"""The schemathesis run of the JWT API contract, through its Python API, with the genuine token."""

from __future__ import annotations

from server_wire import ServerFactory, token_pair

from chatmigrate.audit import AuditOptions, embedded_target, run_audit
from chatmigrate.audit.contract import ContractOutcome, run_contract
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.records import Severity


def contract(server: EmbeddedServer, seed: int = 0) -> ContractOutcome:
    return run_contract(
        server.base_url, token_pair(server)["access"], chatroom_id=1, seed=seed, examples=6, allow_writes=True
    )


def test_the_clean_server_gives_no_server_error_and_no_schema_violation(server_with: ServerFactory) -> None:
    outcome = contract(server_with(seed=2024))
    assert outcome.failures == []
    assert outcome.errors == []
    assert outcome.operations == 4 and outcome.cases > 0


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
    assert found and {f.kind for f in found} == {"content_type_conformance"}
    assert all(f.severity is Severity.MEDIUM for f in found)
    token = token_pair(server)["access"]
    assert all("curl" in (f.reproducer or "") and token not in (f.reproducer or "") for f in found)
