"""``report.json``: the run result itself, checked against its published schema before it is written."""

from __future__ import annotations

import json

from chatmigrate.contracts import schema_violations
from chatmigrate.records import RunResult, to_dict
from chatmigrate.vocab import Severity

FILENAME = "report.json"
SCHEMA = "results"


def render(run: RunResult, fail_on: Severity) -> str:
    """``fail_on`` is not needed: the JSON keeps every finding and consumers apply their own gate."""
    document = to_dict(run)
    problems = schema_violations(SCHEMA, document)
    if problems:
        raise ValueError(f"run result does not match the {SCHEMA} schema: {problems[0]}")
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
