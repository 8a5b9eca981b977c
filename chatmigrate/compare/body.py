"""The body check: a typed diff of both sides' JSON, after ignore rules, learned noise and normalisers.

Differences are grouped per entry by kind and path pattern, so a drift on every message is one finding with a
count. Same-meaning differences (see ``meaning``) get their own kinds and carry the block that accepts them.
"""

from __future__ import annotations

import json
from typing import Any

from chatmigrate.compare.answers import truncate
from chatmigrate.compare.meaning import Normalisers, normalise_block, same_meaning
from chatmigrate.jsondiff import Difference, DiffKind, diff, json_type
from chatmigrate.noise import NoiseModel, RuleBook
from chatmigrate.records import Exchange, Finding
from chatmigrate.vocab import Check, FindingKind, Severity, Tier

_SEVERITY = {
    DiffKind.VALUE_CHANGED: Severity.HIGH,
    DiffKind.TYPE_CHANGED: Severity.HIGH,
    DiffKind.KEY_REMOVED: Severity.HIGH,
    DiffKind.LENGTH_CHANGED: Severity.HIGH,
    DiffKind.ORDER_ONLY: Severity.MEDIUM,
    DiffKind.KEY_ADDED: Severity.LOW,
}
_FORMAT_ONLY = Severity.MEDIUM
"""The same instant in another format, same JSON type: a client parsing with a fixed format string breaks."""


def _cap(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return truncate(value, limit)
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return value if len(text) <= limit else truncate(text, limit)
    return value


def _describe(difference: Difference, pattern: str, side: str) -> str:
    kind = difference.kind
    if kind is DiffKind.VALUE_CHANGED:
        return f"{pattern} value changed on {side}"
    if kind is DiffKind.TYPE_CHANGED:
        return f"{pattern} type changed on {side}: {json_type(difference.old)} -> {json_type(difference.new)}"
    if kind is DiffKind.KEY_ADDED:
        return f"{pattern} added on {side}"
    if kind is DiffKind.KEY_REMOVED:
        return f"{pattern} missing on {side}"
    if kind is DiffKind.LENGTH_CHANGED:
        return f"{pattern} length differs on {side}"
    return f"{pattern} has the same items in a different order on {side}"


def _describe_meaning(meaning: FindingKind, difference: Difference, pattern: str, side: str) -> str:
    old, new = json_type(difference.old), json_type(difference.new)
    types = f": {old} -> {new}" if old != new else ""
    if meaning is FindingKind.SAME_INSTANT:
        return f"{pattern} is the same instant written differently on {side}{types}"
    if meaning is FindingKind.NUMERIC_STRING_ID:
        return f"{pattern} is the same id as a {new} instead of a {old} on {side}"
    return f"{pattern} is the same decimal value as a {new} instead of a {old} on {side}"


def _severity(difference: Difference, meaning: FindingKind | None) -> Severity:
    if meaning is FindingKind.SAME_INSTANT and difference.kind is DiffKind.VALUE_CHANGED:
        return _FORMAT_ONLY
    return _SEVERITY[difference.kind]


def check_body(
    old: Exchange,
    candidate: Exchange,
    noise: NoiseModel,
    rules: RuleBook,
    value_chars: int = 500,
    normalisers: Normalisers | None = None,
) -> list[Finding]:
    """Typed body diff after declared ignores (credited in the ledger), learned noise and normalisers."""
    endpoint = old.endpoint
    normalisers = normalisers or Normalisers()
    groups: dict[tuple[FindingKind, str], tuple[Difference, FindingKind | None, int]] = {}
    for difference in diff(old.body, candidate.body):
        if rules.suppresses(endpoint, difference) or noise.is_noise(endpoint, difference, entry=old.entry_id):
            continue
        meaning = same_meaning(difference)
        if meaning is not None and normalisers.accepts(endpoint, difference, meaning):
            continue
        key = (meaning or difference.kind, difference.pattern)
        first, first_meaning, count = groups.get(key, (difference, meaning, 0))
        groups[key] = (first, first_meaning, count + 1)
    findings = []
    for (kind, pattern), (first, meaning, count) in groups.items():
        items = f"; {count} items in this entry, e.g. {first.path}" if count > 1 else f"; at {first.path}"
        side = candidate.side
        title = _describe(first, pattern, side) if meaning is None else _describe_meaning(meaning, first, pattern, side)
        findings.append(
            Finding(
                check=Check.BODY,
                severity=_severity(first, meaning),
                title=title,
                subject=old.entry_id,
                endpoint=endpoint,
                path=pattern,
                kind=kind,
                tier=Tier(side),
                old=_cap(first.old, value_chars),
                new=_cap(first.new, value_chars),
                evidence=f"{kind.value}{items}",
                accept_toml=normalise_block(meaning, pattern, endpoint) if meaning is not None else None,
            )
        )
    return findings
