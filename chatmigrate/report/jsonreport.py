"""``report.json``: the run result itself, checked against its published schema before it is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chatmigrate.contracts import schema_validator
from chatmigrate.records import RunResult, Severity, to_dict

FILENAME = "report.json"
SCHEMA = "results"


def violations(document: Any) -> list[str]:
    """Readable schema violations, deepest path first so the cause is easy to spot."""
    errors = sorted(schema_validator(SCHEMA).iter_errors(document), key=lambda e: -len(e.absolute_path))
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(top level)'}: {error.message}" for error in errors]


def render(run: RunResult) -> str:
    document = to_dict(run)
    problems = violations(document)
    if problems:
        raise ValueError(f"run result does not match the {SCHEMA} schema: {problems[0]}")
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(run: RunResult, out_dir: Path, *, fail_on: Severity) -> Path:
    """``fail_on`` is not needed: the JSON keeps every finding and consumers apply their own gate."""
    path = out_dir / FILENAME
    path.write_text(render(run), encoding="utf-8")
    return path
