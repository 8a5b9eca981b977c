"""Pretty-printed JSON as escaped HTML lines with the differing path highlighted, within a size cap.

``Finding.path`` comes in the diff's own notation (``$.messages[0].message``,
``$.messages[id=7].message``, ``$["odd key"]``, ``[*]`` for any position) or as a JSON
pointer (``/messages/0/message``). ``old``/``new`` may be whole bodies or just the values at
that path; :func:`locate` tells which.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

MAX_LINE_CHARS = 2_000
MAX_WALK_LINES = 20_000

_SEGMENT = re.compile(
    r"\.(?P<key>[^.\[\]]+)|\[(?P<index>\d+)\]|\[(?P<any>\*)\]|\[id=(?P<id>[^\]]+)\]|\[(?P<quoted>\"(?:[^\"\\]|\\.)*\")\]"
)


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An array item addressed by its ``id`` field."""

    value: Any


ANY_ITEM = ItemRef(object())
Segment = str | int | ItemRef
Pointer = tuple[Segment, ...]


@dataclass(slots=True)
class Snippet:
    markup: Markup
    chars: int
    truncated: bool


def parse_path(path: str | None) -> Pointer | None:
    """Segments of a path; ``None`` for no path or one that cannot be read (nothing is highlighted)."""
    if path is None or path in ("", "/", "$"):
        return None if path is None else ()
    if path.startswith("/"):
        return tuple(part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/"))
    body = path[1:] if path.startswith("$") else f".{path}" if path[0] not in ".[" else path
    segments: list[Segment] = []
    position = 0
    while position < len(body):
        match = _SEGMENT.match(body, position)
        if match is None:
            return None
        segments.append(_segment(match))
        position = match.end()
    return tuple(segments)


def locate(path: str | None, *values: Any) -> Pointer | None:
    """What to highlight: the path when the values are whole bodies, ``()`` (everything) when they are
    the differing values themselves, ``None`` when there is no usable path."""
    pointer = parse_path(path)
    if not pointer:
        return pointer
    if any(_child(value, pointer[0]) for value in values):
        return pointer
    return ()


def render(value: Any, highlight: Pointer | None, max_chars: int) -> Snippet:
    """At most ``max_chars`` of output, starting just above the first highlighted line. A multi-line
    string (a value the producer already serialised and truncated) is shown as its own text."""
    lines = _all_lines(value, highlight)
    first_hit = next((i for i, (_, hit) in enumerate(lines) if hit), 0)
    fits = sum(len(text) + 1 for text, _ in lines) <= max_chars
    start = 0 if fits else max(0, first_hit - 3)
    shown: list[tuple[str, bool]] = []
    used = 0
    for text, hit in lines[start:]:
        if len(text) > MAX_LINE_CHARS:
            text = text[:MAX_LINE_CHARS] + "\u2026"
        if shown and used + len(text) + 1 > max_chars:
            break
        shown.append((text, hit))
        used += len(text) + 1
    below = len(lines) - start - len(shown)
    parts: list[Markup] = []
    if start:
        parts.append(Markup('<span class="cut">\u2026 {} line(s) above</span>').format(start))
    parts += [Markup('<span class="hl">{}</span>').format(_text(text)) if hit else _text(text) for text, hit in shown]
    if below > 0:
        parts.append(Markup('<span class="cut">\u2026 {} more line(s)</span>').format(below))
    markup = Markup("\n").join(parts)
    return Snippet(markup, len(markup), truncated=bool(start or below))


def _all_lines(value: Any, highlight: Pointer | None) -> list[tuple[str, bool]]:
    if isinstance(value, str) and "\n" in value:
        return [(line, highlight == ()) for line in value.splitlines()[:MAX_WALK_LINES]]
    return list(itertools.islice(_lines(value, highlight, 0, "", ""), MAX_WALK_LINES))


def _text(text: str) -> Markup:
    """Escaping for element content only (quotes stay readable and small); never used in attributes."""
    return Markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _segment(match: re.Match[str]) -> Segment:
    if match["key"] is not None:
        return match["key"]
    if match["index"] is not None:
        return int(match["index"])
    if match["any"] is not None:
        return ANY_ITEM
    if match["id"] is not None:
        try:
            return ItemRef(json.loads(match["id"]))
        except json.JSONDecodeError:
            return ItemRef(match["id"])
    return str(json.loads(match["quoted"]))


def _matches(segment: Segment, key: str | int, item: Any) -> bool:
    """Does ``segment`` address this member (object key, or array position with its item)?"""
    if isinstance(segment, ItemRef):
        if not isinstance(key, int):
            return False
        return segment is ANY_ITEM or (isinstance(item, dict) and item.get("id") == segment.value)
    if isinstance(segment, int):
        return key == segment
    return str(key) == segment


def _child(value: Any, segment: Segment) -> bool:
    members = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return any(_matches(segment, key, item) for key, item in members)


def _descend(target: Pointer | None, key: str | int, item: Any) -> Pointer | None:
    if not target:
        return target
    return target[1:] if _matches(target[0], key, item) else None


def _lines(value: Any, target: Pointer | None, depth: int, prefix: str, suffix: str) -> Iterator[tuple[str, bool]]:
    """Lines of indented JSON, each flagged when it lies inside the target (``target == ()``)."""
    hit = target == ()
    pad = "  " * depth
    if isinstance(value, dict) and value:
        yield f"{pad}{prefix}{{", hit
        last = len(value) - 1
        for n, (key, item) in enumerate(value.items()):
            label = f"{json.dumps(str(key), ensure_ascii=False)}: "
            yield from _lines(item, _descend(target, key, item), depth + 1, label, "," if n < last else "")
        yield f"{pad}}}{suffix}", hit
    elif isinstance(value, list) and value:
        yield f"{pad}{prefix}[", hit
        last = len(value) - 1
        for n, item in enumerate(value):
            yield from _lines(item, _descend(target, n, item), depth + 1, "", "," if n < last else "")
        yield f"{pad}]{suffix}", hit
    else:
        yield f"{pad}{prefix}{json.dumps(value, ensure_ascii=False, default=str)}{suffix}", hit
