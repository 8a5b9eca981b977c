"""The schema check: each side's JSON answer against its own published contract."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from chatmigrate.config import CompareOptions, SchemaCheck
from chatmigrate.records import Exchange, Finding
from chatmigrate.vocab import Check, FindingKind, Severity, Tier

CONTRACTS = {Tier.OLD: "legacy", Tier.NEW: "jwt", Tier.PROXY: "proxy"}
"""The contract each side answers to, by the name ``[contracts]`` and ``contracts.TIER_DOCUMENTS`` use."""

_VIOLATION_PATH = re.compile(r"(\$\S*?):\s")
_LEADING_VALUE = re.compile(
    r"^(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|-?[\d.][\w.+-]*|True|False|None|\[.*?\]|\{.*?\})\s+"
)
_INDEX = re.compile(r"\[\d+\]")


def schema_check_for(options: CompareOptions) -> SchemaCheck:
    """The caller's own check, else the user's contract documents (config ``[contracts]``) over the built-in ones;
    imported on first use, so that compare does not load jsonschema until it must."""
    from chatmigrate.contracts import response_checker

    return options.schema_check or response_checker(options.contracts)


def _violation_path(violation: str) -> str | None:
    """The JSON path a violation starts with, positions as ``[*]``: the same defect on any item is one finding."""
    match = _VIOLATION_PATH.match(violation)
    return _INDEX.sub("[*]", match.group(1)) if match else None


def _violation_kind(violation: str) -> str:
    """The problem without the offending value, so that two defects at one path stay two findings (and two
    baseline entries) while the same defect with other values stays one."""
    problem = _VIOLATION_PATH.sub("", violation, count=1).split(" (and ", 1)[0]
    if not problem.endswith(" is a required property"):
        problem = _LEADING_VALUE.sub("", problem, count=1)
    return problem[:120]


def check_schema(exchange: Exchange, schema_check: SchemaCheck) -> list[Finding]:
    """Each side must conform to its own published contract."""
    contract = CONTRACTS.get(Tier(exchange.side)) if exchange.side in CONTRACTS else None
    if contract is None or not exchange.is_json or exchange.status is None:
        return []
    path = urlsplit(exchange.url).path
    return [
        Finding(
            check=Check.SCHEMA,
            severity=Severity.MEDIUM,
            subject=exchange.entry_id,
            endpoint=exchange.endpoint,
            tier=Tier(exchange.side),
            path=_violation_path(violation),
            kind=FindingKind.SCHEMA_VIOLATION,
            variant=_violation_kind(violation),
            title=f"{exchange.side} {exchange.status} response breaks the {contract} contract: {violation}",
        )
        for violation in schema_check(contract, exchange.method, path, exchange.status, exchange.body)
    ]
