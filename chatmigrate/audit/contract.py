"""The JWT API's OpenAPI contract, run by schemathesis with the genuine token.

Schemathesis generates requests from the declared contract: the user's own JWT document
(``[contracts] jwt``) or the built-in ``contracts/openapi-jwt.json`` (``seed``), and applies its own checks;
``ignored_auth`` replays each authenticated success without credentials and with
invalid ones. Its failures come back as plain records with schemathesis's curl
reproducer (already header-masked by schemathesis, and scrubbed again before it
becomes a finding).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.core.errors import LoaderError
from schemathesis.engine import Status, events
from schemathesis.specs.openapi.schemas import OpenApiSchema

from chatmigrate.contracts import load_contract, openapi_contract
from chatmigrate.errors import ConfigError

CONTRACT = "openapi-jwt"
CHECKS = (
    "not_a_server_error",
    "ignored_auth",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True, slots=True)
class ContractFailure:
    check: str
    operation: str
    title: str
    message: str
    curl: str


@dataclass(slots=True)
class ContractOutcome:
    operations: int = 0
    cases: int = 0
    failures: list[ContractFailure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    not_applicable: str | None = None
    """Why the run did not happen (no contract declared): a not-applicable result, not a warning."""


def settings_for(base_url: str, token: str, *, chatroom_id: int, seed: int, examples: int) -> dict[str, Any]:
    """Fuzzing only (coverage enumerates hundreds of cases), chatroom ids mostly real so successes happen."""
    return {
        "base-url": base_url,
        "headers": {"Authorization": f"Bearer {token}"},
        "seed": seed,
        "generation": {"max-examples": examples, "database": "none", "deterministic": True},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "dictionaries": {"chatrooms": {"values": [chatroom_id]}},
        "parameters": {
            "query.chatroom_id": {"dictionary": "chatrooms", "probability": 0.8},
            "body.chatroom_id": {"dictionary": "chatrooms", "probability": 0.8},
        },
    }


def run_contract(
    base_url: str,
    token: str,
    *,
    chatroom_id: int,
    seed: int,
    examples: int,
    allow_writes: bool,
    document: Path | None = None,
) -> ContractOutcome:
    """``document`` is the user's own JWT document; None runs the built-in seed contract."""
    config = schemathesis.Config.from_dict(
        settings_for(base_url, token, chatroom_id=chatroom_id, seed=seed, examples=examples)
    )
    try:
        loaded = _load(document, config)
    except ConfigError as broken:
        return ContractOutcome(errors=[f"contract run skipped: {broken}"])
    schema = loaded if allow_writes else loaded.exclude(method=list(UNSAFE_METHODS))
    outcome = ContractOutcome()
    seen: set[tuple[str, str, str]] = set()
    labels: set[str] = set()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            labels.add(event.recorder.label)
            outcome.cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    info = check.failure_info
                    if check.status != Status.FAILURE or info is None:
                        continue
                    key = (check.name, event.recorder.label, info.failure.title)
                    if key not in seen:
                        seen.add(key)
                        outcome.failures.append(
                            ContractFailure(
                                check.name,
                                event.recorder.label,
                                info.failure.title,
                                info.failure.message,
                                info.code_sample,
                            )
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            outcome.errors.append(f"schemathesis: {_error_text(event)}")
    outcome.operations = len(labels)
    return outcome


def _load(document: Path | None, config: schemathesis.Config) -> OpenApiSchema:
    """A user's document is checked by chatmigrate first (one line naming the bad spot), then read by
    schemathesis from its own file, so that references to neighbouring files resolve."""
    if document is None:
        return schemathesis.openapi.from_dict(load_contract(CONTRACT), config=config)
    openapi_contract(document)
    try:
        return schemathesis.openapi.from_path(document, config=config)
    except (OSError, LoaderError) as error:
        raise ConfigError(f"schemathesis cannot load it: {_first_line(error)}", file=str(document)) from error


def _error_text(event: events.NonFatalError | events.FatalError) -> str:
    error = event.value if isinstance(event, events.NonFatalError) else event.exception
    return f"{type(error).__name__}: {_first_line(error)}"


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""
