"""Baselines: findings a team has looked at and accepted, each with a reason.

A finding is matched by ``Finding.fingerprint`` (what was checked where, not the values
seen), so an accepted drift stays accepted while its values change. The gate does not fail
on accepted findings; accepted fingerprints that no longer occur are reported as stale so
the baseline shrinks as the new side is fixed. The file format is
``contracts/schemas/baseline.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chatmigrate.contracts import schema_validator
from chatmigrate.errors import ConfigError, UsageError
from chatmigrate.records import Finding, RunResult, from_dict, to_dict
from chatmigrate.redact import redact

BASELINE_VERSION = 1
SCHEMA = "baseline"


@dataclass(slots=True)
class AcceptedFinding:
    fingerprint: str
    check: str
    subject: str
    title: str
    reason: str


@dataclass(slots=True)
class Baseline:
    version: int = BASELINE_VERSION
    accepted: list[AcceptedFinding] = field(default_factory=list)

    def fingerprints(self) -> set[str]:
        return {item.fingerprint for item in self.accepted}


def accept(run: RunResult, reason: str) -> Baseline:
    """Accept every finding of ``run`` with one reason; one entry per fingerprint."""
    reason = reason.strip()
    if not reason:
        raise UsageError("a baseline needs a reason: say why these findings are acceptable (--reason)")
    accepted: dict[str, AcceptedFinding] = {}
    for finding in run.findings:
        accepted.setdefault(
            finding.fingerprint,
            AcceptedFinding(
                finding.fingerprint, finding.check, redact(finding.subject), redact(finding.title), redact(reason)
            ),
        )
    return Baseline(accepted=list(accepted.values()))


def apply(findings: Iterable[Finding], baseline: Baseline) -> tuple[list[Finding], list[Finding], list[str]]:
    """Split findings into (new, accepted) and list accepted fingerprints that matched nothing (stale)."""
    known = baseline.fingerprints()
    new: list[Finding] = []
    accepted: list[Finding] = []
    seen: set[str] = set()
    for finding in findings:
        fingerprint = finding.fingerprint
        if fingerprint in known:
            accepted.append(finding)
            seen.add(fingerprint)
        else:
            new.append(finding)
    stale = [item.fingerprint for item in baseline.accepted if item.fingerprint not in seen]
    return new, accepted, list(dict.fromkeys(stale))


def save(baseline: Baseline, path: Path) -> Path:
    try:
        path.write_text(json.dumps(to_dict(baseline), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write baseline: {error.strerror}", file=str(path)) from error
    return path


def load(path: Path) -> Baseline:
    """Read and validate a baseline file; any defect is one ConfigError naming the file and key."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError("baseline file not found", file=str(path)) from error
    except json.JSONDecodeError as error:
        raise ConfigError(f"not valid JSON: {error.msg}", file=str(path), line=error.lineno) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read baseline: {error}", file=str(path)) from error
    errors = sorted(schema_validator(SCHEMA).iter_errors(document), key=lambda e: -len(e.absolute_path))
    if errors:
        where = "/".join(str(part) for part in errors[0].absolute_path) or None
        raise ConfigError(f"not a chatmigrate baseline: {errors[0].message}", file=str(path), key=where)
    return from_dict(Baseline, document)
