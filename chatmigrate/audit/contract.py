"""The JWT API's OpenAPI contract, run by schemathesis with the genuine token.

Schemathesis generates requests from ``contracts/openapi-jwt.json`` and applies
its own checks; ``ignored_auth`` replays each authenticated success without
credentials and with invalid ones. Its failures come back as plain records with
schemathesis's curl reproducer (already header-masked by schemathesis, and
scrubbed again before it becomes a finding).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.engine import Status, events

from chatmigrate.contracts import load_contract
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
    base_url: str, token: str, *, chatroom_id: int, seed: int, examples: int, allow_writes: bool
) -> ContractOutcome:
    try:
        raw = load_contract(CONTRACT)
    except ConfigError as missing:
        return ContractOutcome(errors=[f"contract run skipped: {missing}"])
    config = schemathesis.Config.from_dict(
        settings_for(base_url, token, chatroom_id=chatroom_id, seed=seed, examples=examples)
    )
    loaded = schemathesis.openapi.from_dict(raw, config=config)
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


def _error_text(event: events.NonFatalError | events.FatalError) -> str:
    error = event.value if isinstance(event, events.NonFatalError) else event.exception
    first = str(error).strip().splitlines()
    return f"{type(error).__name__}: {first[0] if first else ''}"
