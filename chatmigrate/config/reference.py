"""The key table of docs/configuration.md, generated from the models so that the doc cannot drift.

Regenerate with ``python -m chatmigrate.config.reference docs/configuration.md``.
"""

from __future__ import annotations

import inspect
import re
import sys
import typing
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from chatmigrate.config.load import ENV_PREFIX, table_model, user_fields
from chatmigrate.config.models import Config
from chatmigrate.config.values import LISTEN, Check
from chatmigrate.vocab import AUDIT_TIERS, Tier

BEGIN = "<!-- BEGIN GENERATED KEY TABLE: python -m chatmigrate.config.reference docs/configuration.md -->"
END = "<!-- END GENERATED KEY TABLE -->"
_TITLE = re.compile(r"^`\[[^`]+\]`(?: \(optional\))?: ")
REGENERATE = "python -m chatmigrate.config.reference docs/configuration.md"


def sections(
    model: type[BaseModel] = Config, path: tuple[str, ...] = (), doc: str = ""
) -> Iterator[tuple[tuple[str, ...], type[BaseModel], str]]:
    """Every table a config can hold, by key path (``<side>`` for any target), in declaration order, with what
    it is for: the model's docstring, and for a policy table (the audit's principals) the key's meaning too."""
    if path:
        yield path, model, doc
    for name, info in user_fields(model).items():
        shape = table_model(info.annotation)
        if shape is None:
            continue
        kind, child = shape
        meaning = inspect.cleandoc(child.__doc__ or "").replace("\n", " ")
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("policy"):
            meaning = f"{meaning} {_sentence(info.description)}."
        yield from sections(child, (*path, name, _placeholder(info)) if kind == "dict" else (*path, name), meaning)


def _placeholder(info: FieldInfo) -> str:
    """The key of a table of tables: a side for targets, a name (a principal's, a user's) for the rest."""
    return "<side>" if typing.get_args(info.annotation)[0] is Tier else "<name>"


def keys() -> Iterator[tuple[tuple[str, ...], FieldInfo]]:
    """Every key a user can write, by path: the leaves of the tables."""
    for path, model, _ in sections():
        for name, info in user_fields(model).items():
            if table_model(info.annotation) is None:
                yield (*path, name), info


def cli_option(info: FieldInfo) -> str | None:
    extra = info.json_schema_extra
    return extra.get("cli") if isinstance(extra, dict) else None  # type: ignore[return-value]


def _in_list(path: tuple[str, ...]) -> bool:
    """Whether ``path`` lies in an array of tables (``[[ignore]]``, ``[[compare.normalise]]``): file only."""
    model: type[BaseModel] = Config
    for name in path:
        if name.startswith("<"):
            continue
        info = user_fields(model).get(name)
        shape = table_model(info.annotation) if info is not None else None
        if shape is None:
            return False
        if shape[0] == "list":
            return True
        model = shape[1]
    return False


def env_var(path: tuple[str, ...]) -> str:
    if _in_list(path):
        return "file only"
    return ENV_PREFIX + "__".join(part.upper() for part in path)


def key_table() -> str:
    """The generated markdown: one table per section, its docstring above it."""
    out: list[str] = []
    for path, model, doc in sections():
        fields = {name: info for name, info in user_fields(model).items() if table_model(info.annotation) is None}
        if not fields:
            continue
        title = "[[" + ".".join(path) + "]]" if _in_list(path) else "[" + ".".join(path) + "]"
        out += [f"### `{title}`", "", _sentence(_TITLE.sub("", doc)), ""]
        out += ["| key | accepts | default | environment variable | option | meaning |", "|---|---|---|---|---|---|"]
        for name, info in fields.items():
            option = cli_option(info)
            cells = [
                f"`{name}`",
                _accepts(info),
                _default(info),
                "file only" if _in_list(path) else f"`{env_var((*path, name))}`",
                f"`{option}`" if option else "",
                (info.description or "").replace("|", "\\|"),
            ]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _sentence(text: str | None) -> str:
    text = (text or "").strip()
    return text[:1].upper() + text[1:]


def _accepts(info: FieldInfo) -> str:
    checks = [item for item in info.metadata if isinstance(item, Check)]
    if not checks:
        nested = [item for arg in getattr(info.annotation, "__args__", ()) for item in getattr(arg, "__metadata__", ())]
        checks = [item for item in nested if isinstance(item, Check)]
    return checks[0].accepts.replace("|", "\\|") if checks else ""


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value: Any = info.get_default(call_default_factory=True)
    if value is None or value == {} or value == []:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == frozenset(AUDIT_TIERS):
        return "`all`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if _accepts(info) == LISTEN.accepts:
        return f"`{value[0]}:{value[1]}`"
    if isinstance(value, frozenset | tuple):
        return "`[" + ", ".join(f'"{item}"' for item in sorted(value)) + "]`" if value else "none"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    unit = "s" if _accepts(info).startswith("duration") else ""
    return f"`{value}{unit}`"


def rendered(document: str) -> str:
    """``document`` with the text between the markers replaced by the generated table."""
    head, begin, rest = document.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"the document has no {BEGIN!r} ... {END!r} markers")
    return f"{head}{BEGIN}\n\n{key_table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    (target,) = argv or ["docs/configuration.md"]
    path = Path(target)
    path.write_text(rendered(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
