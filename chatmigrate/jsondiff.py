"""Typed diff over parsed JSON, built to be cheap where nothing differs.

Replay compares tens of thousands of response pairs, almost all of them equal or
nearly so, so the walk allocates nothing for equal nodes (paths are kept on one
shared stack and only formatted when a difference is recorded) and skips equal
subtrees after a type-strict check. JSON semantics, not Python's: ``true`` is not
``1``, while ``1`` and ``1.0`` are the same JSON number. Arrays of objects that
carry a unique ``id`` are aligned by id, so one removed message is one
difference, not a shifted tail of value changes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

from chatmigrate.vocab import FindingKind

DiffKind: TypeAlias = FindingKind
"""A difference's kind is the body finding kind it becomes (``value_changed`` … ``order_only``)."""


@dataclass(frozen=True, slots=True)
class ItemId:
    """An array item addressed by its ``id`` rather than its position."""

    value: int | str


Segment: TypeAlias = str | int | ItemId


@dataclass(slots=True)
class Difference:
    kind: DiffKind
    segments: tuple[Segment, ...]
    old: Any = None
    new: Any = None

    @property
    def path(self) -> str:
        return format_path(self.segments)

    @property
    def pattern(self) -> str:
        """The path with every array position as ``[*]``: one pattern covers all items."""
        return format_path(self.segments, wildcard=True)


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MISSING: Any = object()
_CONTAINERS = (dict, list)


def format_path(segments: Iterable[Segment], wildcard: bool = False) -> str:
    parts = ["$"]
    for segment in segments:
        if isinstance(segment, str):
            parts.append(f".{segment}" if _IDENT.match(segment) else f"[{json.dumps(segment)}]")
        elif wildcard:
            parts.append("[*]")
        elif isinstance(segment, ItemId):
            parts.append(f"[id={json.dumps(segment.value)}]")
        else:
            parts.append(f"[{segment}]")
    return "".join(parts)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def diff(old: Any, new: Any) -> list[Difference]:
    """Every difference from ``old`` to ``new``, in document order of ``old``."""
    out: list[Difference] = []
    _walk(old, new, [], out)
    return out


# The walk keeps the current path on ``stack``: a str is an object key, an int an array
# position, and a 1-tuple an item id (tuples are cheap; ItemId is only built on a difference).


def _record(out: list[Difference], kind: DiffKind, stack: list[Any], old: Any, new: Any) -> None:
    segments = tuple(ItemId(part[0]) if type(part) is tuple else part for part in stack)
    out.append(Difference(kind, segments, old, new))


def _walk(a: Any, b: Any, stack: list[Any], out: list[Difference]) -> None:
    ta, tb = type(a), type(b)
    if ta is dict and tb is dict:
        _walk_dict(a, b, stack, out)
    elif ta is list and tb is list:
        _walk_list(a, b, stack, out)
    elif ta is tb or (ta is int and tb is float) or (ta is float and tb is int):
        if a != b:
            _record(out, DiffKind.VALUE_CHANGED, stack, a, b)
    else:
        _record(out, DiffKind.TYPE_CHANGED, stack, a, b)


def _flat_equal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Type-strict equality for an object of scalars, checked at C speed (``==`` alone says True == 1).

    Types are compared key by key: the two objects may list their keys in another order.
    """
    types = list(map(type, a.values()))
    if dict in types or list in types or a != b:
        return False
    return types == list(map(type, map(b.__getitem__, a)))


def _walk_dict(a: dict[str, Any], b: dict[str, Any], stack: list[Any], out: list[Difference]) -> None:
    if _flat_equal(a, b):
        return
    common = 0
    for key, va in a.items():
        vb = b.get(key, _MISSING)
        if vb is _MISSING:
            stack.append(key)
            _record(out, DiffKind.KEY_REMOVED, stack, va, None)
            stack.pop()
            continue
        common += 1
        if va is vb:
            continue
        tv = type(va)
        if tv is type(vb) and tv is not dict and tv is not list:
            if va != vb:
                stack.append(key)
                _record(out, DiffKind.VALUE_CHANGED, stack, va, vb)
                stack.pop()
            continue
        stack.append(key)
        _walk(va, vb, stack, out)
        stack.pop()
    if common < len(b):
        for key, vb in b.items():
            if key not in a:
                stack.append(key)
                _record(out, DiffKind.KEY_ADDED, stack, None, vb)
                stack.pop()


def _item_ids(items: list[Any]) -> list[int | str] | None:
    """Ids of an array of objects that each carry a unique int or str ``id``; None when it cannot be aligned."""
    ids: list[int | str] = []
    for item in items:
        if type(item) is not dict:
            return None
        ident = item.get("id")
        if type(ident) is not int and type(ident) is not str:
            return None
        ids.append(ident)
    return ids if len(set(ids)) == len(ids) else None


def _walk_list(a: list[Any], b: list[Any], stack: list[Any], out: list[Difference]) -> None:
    if a is b:
        return
    ids_a = _item_ids(a) if a else None
    ids_b = _item_ids(b) if b and ids_a is not None else None
    if ids_a is not None and ids_b is not None:
        if ids_a == ids_b:
            for ident, x, y in zip(ids_a, a, b, strict=True):
                if not _flat_equal(x, y):
                    stack.append((ident,))
                    _walk_dict(x, y, stack, out)
                    stack.pop()
            return
        if _walk_by_id(a, b, ids_a, ids_b, stack, out):
            return
    _walk_by_index(a, b, stack, out)


def _walk_by_id(
    a: list[Any],
    b: list[Any],
    ids_a: list[int | str],
    ids_b: list[int | str],
    stack: list[Any],
    out: list[Difference],
) -> bool:
    """Align by id; ids of different types on the two sides (17 vs "17") align by their text."""
    keys_a: list[Any] = ids_a
    keys_b: list[Any] = ids_b
    if {type(i) for i in ids_a} != {type(i) for i in ids_b}:
        keys_a, keys_b = [str(i) for i in ids_a], [str(i) for i in ids_b]
        if len(set(keys_a)) != len(keys_a) or len(set(keys_b)) != len(keys_b):
            return False
    position_b = {key: j for j, key in enumerate(keys_b)}
    if len(a) != len(b):
        _record(out, DiffKind.LENGTH_CHANGED, stack, len(a), len(b))
    pairs: list[tuple[int, int]] = []
    for i, key in enumerate(keys_a):
        j = position_b.get(key)
        if j is None:
            stack.append((ids_a[i],))
            _record(out, DiffKind.KEY_REMOVED, stack, a[i], None)
            stack.pop()
        else:
            pairs.append((i, j))
    if len(pairs) < len(b):
        known = set(keys_a)
        for j, key in enumerate(keys_b):
            if key not in known:
                stack.append((ids_b[j],))
                _record(out, DiffKind.KEY_ADDED, stack, None, b[j])
                stack.pop()
    order_b = [j for _, j in pairs]
    if order_b != sorted(order_b):
        _record(out, DiffKind.ORDER_ONLY, stack, [ids_a[i] for i, _ in pairs], [ids_b[j] for j in sorted(order_b)])
    for i, j in pairs:
        if not _flat_equal(a[i], b[j]):
            stack.append((ids_a[i],))
            _walk_dict(a[i], b[j], stack, out)
            stack.pop()
    return True


def _walk_by_index(a: list[Any], b: list[Any], stack: list[Any], out: list[Difference]) -> None:
    if len(a) != len(b):
        _record(out, DiffKind.LENGTH_CHANGED, stack, len(a), len(b))
    mark = len(out)
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x is y:
            continue
        tx = type(x)
        if tx is type(y) and tx is not dict and tx is not list:
            if x != y:
                stack.append(i)
                _record(out, DiffKind.VALUE_CHANGED, stack, x, y)
                stack.pop()
            continue
        stack.append(i)
        _walk(x, y, stack, out)
        stack.pop()
    if len(out) > mark and len(a) == len(b) and _same_scalars(a, b):
        del out[mark:]
        _record(out, DiffKind.ORDER_ONLY, stack, a, b)


def _same_scalars(a: list[Any], b: list[Any]) -> bool:
    """Same multiset of scalars: a reordering, reported once instead of once per position."""
    if any(isinstance(item, _CONTAINERS) for item in a) or any(isinstance(item, _CONTAINERS) for item in b):
        return False
    return Counter((json_type(x), x) for x in a) == Counter((json_type(y), y) for y in b)
