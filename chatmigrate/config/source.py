"""Where each value came from (a file line, an environment variable, a flag), so that every config error is
one line naming it and the key."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from chatmigrate.errors import ConfigError

_PYDANTIC_PREFIX = re.compile(r"^(?:Value error|Assertion failed), ")


@dataclass(slots=True)
class Source:
    file: str | None = None
    text: str = ""
    table_prefix: tuple[str, ...] = ()
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)

    def error(self, message: str, key: tuple[str, ...]) -> ConfigError:
        dotted = ".".join(key)
        for length in range(len(key), 0, -1):
            origin = self.origins.get(key[:length])
            if origin:
                return ConfigError(message, file=origin, key=dotted)
        return ConfigError(message, file=self.file, line=self.line_of(key), key=dotted)

    def line_of(self, key: tuple[str, ...]) -> int | None:
        """The line of ``key``, else of its nearest enclosing table: good enough to point a human at."""
        if not self.text:
            return None
        lines = _key_lines(self.text)
        full = self.table_prefix + key
        while full:
            if full in lines:
                return lines[full]
            full = full[:-1]
        return None

    def invalid(self, error: ValidationError) -> ConfigError:
        """The first problem pydantic found, as our one-line error at its key."""
        first = error.errors(include_url=False)[0]
        key = tuple(str(part) for part in first["loc"])
        context: dict[str, Any] = dict(first.get("ctx") or {})
        if "field" in context:
            key = (*key, *str(context["field"]).split("."))
        if first["type"] == "missing":
            return self.error(_missing(key), key)
        return self.error(_PYDANTIC_PREFIX.sub("", first["msg"]), key)


def _missing(key: tuple[str, ...]) -> str:
    name = key[-1]
    if key[:1] == ("targets",) and len(key) == 2:
        return f"target {name!r} is required"
    if name == "auth":
        return "an [auth] table is required (kind = session | bearer | token-endpoint | mint)"
    if name == "kind":
        return "kind is required (session | bearer | token-endpoint | mint)"
    if key[:1] == ("ignore",):
        return f"an ignore rule needs a {name}"
    if key[:1] == ("ws",):
        return f"the [ws] table needs a {name}"
    return f"{name} is required"


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """A simple scan of TOML: ``[table]`` and ``[[array]]`` headers, then ``name =`` under them."""
    found: dict[tuple[str, ...], int] = {}
    arrays: dict[tuple[str, ...], int] = {}
    header: tuple[str, ...] = ()

    def mark(key: tuple[str, ...], number: int) -> None:
        for length in range(1, len(key) + 1):
            found.setdefault(key[:length], number)

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        array = re.fullmatch(r"\[\[\s*([^\]]+?)\s*\]\]\s*(#.*)?", line)
        table = re.fullmatch(r"\[\s*([^\]]+?)\s*\]\s*(#.*)?", line)
        if array or table:
            name = _dotted((array or table).group(1))  # type: ignore[union-attr]
            if array:
                index = arrays.get(name, -1) + 1
                arrays[name] = index
                name = (*name, str(index))
            header = name
            mark(header, number)
            continue
        assignment = re.match(r"([A-Za-z0-9_.\"' -]+?)\s*=", line)
        if assignment:
            mark(header + _dotted(assignment.group(1)), number)
    return found


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))
