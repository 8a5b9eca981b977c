"""``GET /openapi/<name>`` serves the contract files, and nothing outside them; the server keeps to them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import schemathesis
from schemathesis.engine import Status, events
from server_wire import access_token, stateless

from chatmigrate.contracts import contracts_dir, load_contract
from chatmigrate.embedded import EmbeddedServer


def raw_get_status(server: EmbeddedServer, target: bytes) -> int:
    """GET a request target byte for byte: clients normalise ``..`` away, an attacker does not."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_every_contract_file_is_served_byte_for_byte(server: EmbeddedServer) -> None:
    root = contracts_dir()
    files = sorted(root.rglob("*.json"))
    assert files
    for path in files:
        response = stateless.get(f"{server.base_url}/openapi/{path.relative_to(root).as_posix()}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.content == path.read_bytes()


def test_jwt_contract_is_served_at_its_documented_address(server: EmbeddedServer) -> None:
    assert stateless.get(f"{server.base_url}/openapi/openapi-jwt.json").json()["openapi"].startswith("3.1")


def test_unknown_contract_is_a_json_404(server: EmbeddedServer) -> None:
    response = stateless.get(f"{server.base_url}/openapi/openapi-graphql.json")
    assert response.status_code == 404
    assert response.json() == {"status": "error", "message": "Not found", "detail": "no such contract"}


def test_only_json_files_are_served(server: EmbeddedServer) -> None:
    others = [path for path in contracts_dir().rglob("*") if path.is_file() and path.suffix != ".json"]
    for path in others:
        assert (
            stateless.get(f"{server.base_url}/openapi/{path.relative_to(contracts_dir()).as_posix()}").status_code
            == 404
        )


@pytest.mark.parametrize(
    "target",
    [
        b"/openapi/../pyproject.toml",
        b"/openapi/..%2Fpyproject.toml",
        b"/openapi/%2e%2e/%2e%2e/etc/passwd",
        b"/openapi/schemas/..%2F..%2Fchatmigrate%2F__init__.py",
        b"/openapi/%2Fetc%2Fpasswd",
    ],
    ids=["dot-dot", "encoded-slash", "encoded-dots", "nested", "absolute"],
)
def test_path_traversal_is_a_404(server: EmbeddedServer, target: bytes) -> None:
    assert raw_get_status(server, target) == 404


def test_json_outside_the_contracts_folder_is_not_served(server: EmbeddedServer, tmp_path: Path) -> None:
    outside = tmp_path / "secret.json"
    outside.write_text('{"secret": true}')
    relative = Path("..") / Path(*[".."] * len(contracts_dir().parts)) / outside.relative_to("/")
    assert raw_get_status(server, b"/openapi/" + str(relative).replace("/", "%2F").encode()) == 404
    assert raw_get_status(server, b"/openapi/" + str(outside).replace("/", "%2F").encode()) == 404


def schemathesis_failures(server: EmbeddedServer, contract: str, token: str) -> list[str]:
    """Every failing check of a small, seeded schemathesis run of one of the server's own contracts.

    The coverage phase is kept: its boundary values (``{}`` where a string goes, ``7.0`` for an
    integer) are what find a spec and a server that disagree. Fuzzing is a handful of examples.
    """
    config = schemathesis.Config.from_dict(
        {
            "base-url": server.base_url,
            "headers": {"Authorization": f"Bearer {token}"},
            "seed": 2026,
            "generation": {"max-examples": 5, "database": "none", "deterministic": True},
            "phases": {"stateful": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_dict(load_contract(contract), config=config)
    failures = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            failures += [
                f"{event.recorder.label} {check.name}: {check.failure_info.failure.title}: "
                + check.failure_info.code_sample
                for checks in event.recorder.checks.values()
                for check in checks
                if check.status == Status.FAILURE and check.failure_info is not None
            ]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"schemathesis error: {event}")
    return failures


@pytest.mark.parametrize("contract", ["openapi-jwt", "openapi-proxy"])
def test_the_servers_own_bearer_contracts_pass_every_schemathesis_check(
    scratch_server: EmbeddedServer, contract: str
) -> None:
    assert schemathesis_failures(scratch_server, contract, access_token(scratch_server)) == []
