"""Finding the chat list in a foreign server's answer by its shape, not by its key.

Deployments name the list differently (``chats`` on the reference server, ``users`` on others) and may nest it;
what they share is a list of objects that each carry an id. When nothing fits, the error says what the answer
held instead, so the user can name the key or the field."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

ROOM_ID_FIELDS = ("chatroom_id", "room_id", "id")
"""Id-like fields of a chat list's objects, most specific first: a list of players carries its room's id too."""
ITEM_ID_FIELDS = ("id",)
MAX_DEPTH = 3


class ShapeError(ValueError):
    """No list fits; the message names what the answer held."""


@dataclass(frozen=True, slots=True)
class FoundList:
    key: str
    """Where the list sits: ``users``, ``data.chats``, or ``$`` for a top-level array."""
    id_field: str
    items: list[dict[str, Any]]

    def ids(self) -> list[Any]:
        return [item[self.id_field] for item in self.items if self.id_field in item]


def find_list(body: Any, *, id_fields: Sequence[str], key: str | None = None) -> FoundList:
    """The first list of objects (breadth first, in document order) whose objects carry one of ``id_fields``;
    with ``key``, the list at that dotted key only."""
    candidates = [(path, value) for path, value in _lists(body) if key is None or path == key]
    if key is not None and not candidates:
        raise ShapeError(f"{describe(body)}; no list at key {key!r}")
    for path, value in candidates:
        objects = [item for item in value if isinstance(item, dict)]
        if not objects or len(objects) != len(value):
            continue
        id_field = next((name for name in id_fields if all(name in item for item in objects)), None)
        if id_field is not None:
            return FoundList(path, id_field, objects)
    empty = [path for path, value in candidates if not value]
    problem = f"no list of objects with an id field ({_either(id_fields)})"
    problem += f" at key {key!r}" if key is not None else ""
    problem += f"; empty: {', '.join(empty)}" if empty else ""
    raise ShapeError(f"{describe(body)}; {problem}")


def describe(body: Any) -> str:
    """``JSON with keys status, users, generated_at``: the outline of an answer, never its values."""
    if isinstance(body, dict):
        return f"JSON with keys {', '.join(body)}" if body else "JSON with no keys"
    if isinstance(body, list):
        return f"a JSON list of {len(body)} item{'' if len(body) == 1 else 's'}"
    return f"JSON {type(body).__name__}"


def _either(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _lists(body: Any) -> Iterator[tuple[str, list[Any]]]:
    """Every list in ``body`` with its dotted key, shallow ones first."""
    level: list[tuple[str, Any]] = [("", body)]
    for _ in range(MAX_DEPTH):
        deeper: list[tuple[str, Any]] = []
        for path, value in level:
            if isinstance(value, list):
                yield path or "$", value
            elif isinstance(value, dict):
                deeper += [(f"{path}.{name}" if path else str(name), child) for name, child in value.items()]
        level = deeper
