"""Config overrides shared by the judging commands: ``--set KEY=VALUE`` pairs and the gate flags."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chatmigrate.errors import UsageError


def parse_settings(settings: list[str]) -> dict[str, str]:
    """``--set run.concurrency=4`` pairs: any config key, validated like the file."""
    pairs: dict[str, str] = {}
    for setting in settings:
        key, sep, value = setting.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE like run.concurrency=4, got {setting!r}")
        pairs[key.strip()] = value
    return pairs


def config_overrides(
    settings: list[str],
    flags: Mapping[str, object],
    *,
    fail_on: str | None,
    max_findings: int | None,
    baseline: Path | None,
) -> dict[str, Any]:
    """``--set`` pairs first; dedicated flags that were given win over them. A path given on the command line
    is relative to the working directory, not to the config file as paths in the file are."""
    given = {
        **flags,
        "gate.fail_on": fail_on,
        "gate.max_findings": max_findings,
        "gate.baseline": str(baseline.resolve()) if baseline else None,
    }
    overrides: dict[str, Any] = parse_settings(settings)
    overrides.update({key: value for key, value in given.items() if value is not None})
    return overrides
