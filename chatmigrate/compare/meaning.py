"""Differences of form, not meaning: one instant written two ways, a number sent as a decimal string, an integer
id sent as a numeric string.

Each is its own finding kind, so a reviewer sees at once that nothing but the writing changed, and each finding
offers the ``[[compare.normalise]]`` block that accepts it. Without that block they still fail where a strict
client could break: a change of JSON type keeps the severity of any type change, and the same instant written in
another format (a client parsing with a fixed format string breaks on it) is medium.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol

from chatmigrate.errors import ConfigError
from chatmigrate.jsondiff import Difference, DiffKind, Segment
from chatmigrate.noise import DeclaredRule, RuleBook, RuleSpec, toml_string
from chatmigrate.vocab import SAME_MEANING, FindingKind

_TIMESTAMP = re.compile(
    r"(?P<main>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_ID_KEY = re.compile(r"(?:^|_)(?:id|ids|pk)$|[a-z0-9]Ids?$", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_VALUE_KINDS = frozenset({DiffKind.VALUE_CHANGED, DiffKind.TYPE_CHANGED})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimal(number: int | float) -> Decimal | None:
    """The number as written in JSON (``repr`` is the shortest text that reads back as the same float)."""
    try:
        value = Decimal(repr(number))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _instant(text: str) -> tuple[bool, Decimal] | None:
    """(has an offset, seconds since the epoch) of an ISO 8601 date-time; an instant without an offset counts as
    UTC, but only ever equals another without one. Fractions are read exactly, past the microseconds Python keeps."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    try:
        moment = datetime.fromisoformat(match["main"].upper() + (match["zone"] or "").upper())
    except ValueError:
        return None
    aware = moment.tzinfo is not None
    whole = (moment if aware else moment.replace(tzinfo=UTC)) - _EPOCH
    return aware, Decimal(whole // _SECOND) + Decimal(f"0.{match['fraction'] or 0}")


def _same_instant(old: Any, new: Any) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        first, second = _instant(old), _instant(new)
        return first is not None and first == second
    text, number = (old, new) if isinstance(old, str) else (new, old)
    if not isinstance(text, str) or not _is_number(number):
        return False
    instant, epoch = _instant(text), _decimal(number)
    if instant is None or epoch is None or not instant[0]:
        return False
    return epoch in (instant[1], instant[1] * 1000)


def _numeric_text(old: Any, new: Any) -> tuple[int | float, str] | None:
    """(the number, the string) when one side has a number and the other a decimal string of equal value."""
    number, text = (old, new) if isinstance(new, str) else (new, old)
    if not _is_number(number) or not isinstance(text, str) or _DECIMAL.fullmatch(text) is None:
        return None
    value = _decimal(number)
    return (number, text) if value is not None and value == Decimal(text) else None


def _is_id_path(segments: tuple[Segment, ...]) -> bool:
    key = next((segment for segment in reversed(segments) if isinstance(segment, str)), None)
    return key is not None and _ID_KEY.search(key) is not None


def same_meaning(difference: Difference) -> FindingKind | None:
    """The same-meaning class of a changed value, or None when the meaning changed too."""
    if difference.kind not in _VALUE_KINDS:
        return None
    old, new = difference.old, difference.new
    if _same_instant(old, new):
        return FindingKind.SAME_INSTANT
    numeric = _numeric_text(old, new)
    if numeric is None:
        return None
    number, text = numeric
    if isinstance(number, int) and str(number) == text and _is_id_path(difference.segments):
        return FindingKind.NUMERIC_STRING_ID
    return FindingKind.DECIMAL_STRING


class NormaliseSpec(RuleSpec, Protocol):
    """Anything shaped like a ``[[compare.normalise]]`` entry (a config model, say): a rule with a kind."""

    @property
    def kind(self) -> str: ...


@dataclass(frozen=True, slots=True)
class NormaliseRule(DeclaredRule):
    """Accepts one kind of same-meaning difference at a path: the values compare as equal there, nothing else does."""

    label: ClassVar[str] = "normalise rule"
    kind: FindingKind | str = field(kw_only=True)
    """One of ``vocab.SAME_MEANING`` or its value; kept as the member."""

    def __post_init__(self) -> None:
        kind = next((meaning for meaning in SAME_MEANING if meaning == self.kind), None)
        if kind is None:
            choices = ", ".join(meaning.value for meaning in SAME_MEANING)
            raise ConfigError(f"{self.label} {self.path!r}: kind must be one of {choices}", key="kind")
        object.__setattr__(self, "kind", kind)
        DeclaredRule.__post_init__(self)


def _rule(spec: NormaliseSpec) -> NormaliseRule:
    return NormaliseRule(spec.path, spec.reason, spec.endpoint, kind=spec.kind)


def normalise_block(meaning: FindingKind, path: str, endpoint: str | None = None) -> str:
    """The ``[[compare.normalise]]`` block that accepts a same-meaning difference, to paste once its reason is given."""
    lines = ["[[compare.normalise]]", f"kind = {toml_string(meaning.value)}", f"path = {toml_string(path)}"]
    if endpoint:
        lines.append(f"endpoint = {toml_string(endpoint)}")
    lines.append('reason = ""')
    return "\n".join(lines) + "\n"


class Normalisers:
    """The declared normalise rules, per kind, each with the count of differences it accepted."""

    def __init__(self, specs: Iterable[NormaliseSpec] = ()) -> None:
        rules = [spec if isinstance(spec, NormaliseRule) else _rule(spec) for spec in specs]
        self._books = {meaning: RuleBook(rule for rule in rules if rule.kind is meaning) for meaning in SAME_MEANING}

    def accepts(self, endpoint: str, difference: Difference, meaning: FindingKind) -> bool:
        return self._books[meaning].suppresses(endpoint, difference)

    def unused(self) -> list[NormaliseRule]:
        return [rule for book in self._books.values() for rule in book.unused() if isinstance(rule, NormaliseRule)]
