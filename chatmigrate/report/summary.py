"""The facts every report format states the same way, so HTML, Markdown and JUnit never disagree.

A finding "fails the gate" when its severity is at or above the threshold (medium by
default), the baseline did not accept it and the verdict did not pass: a verdict that
passed with such findings (``--max-findings``) tolerated them, so a report never
disagrees with the exit code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from chatmigrate import verdict
from chatmigrate.records import Finding, RunResult, from_dict, to_dict
from chatmigrate.redact import redact_obj
from chatmigrate.vocab import Severity

DEFAULT_FAIL_ON = verdict.GateLimits().fail_on
SEVERITIES: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))


@dataclass(frozen=True, slots=True)
class Gate:
    """The threshold, the fingerprints the run's baseline accepted (they never fail the gate), and whether the
    verdict passed (then what is over the threshold was tolerated, not failed)."""

    fail_on: Severity
    accepted: frozenset[str]
    verdict_passed: bool = False

    @classmethod
    def of(cls, run: RunResult, fail_on: Severity) -> Gate:
        return cls(fail_on, frozenset(run.accepted), run.verdict is not None and run.verdict.passed)

    def fails(self, finding: Finding) -> bool:
        return self._over(finding) and not self.verdict_passed

    def tolerates(self, finding: Finding) -> bool:
        return self._over(finding) and self.verdict_passed

    def _over(self, finding: Finding) -> bool:
        return verdict.fails_gate(finding, verdict.GateLimits(fail_on=self.fail_on), self.accepted)

    def is_accepted(self, finding: Finding) -> bool:
        return finding.fingerprint in self.accepted


def redacted(run: RunResult) -> RunResult:
    """Producers already redact; reporters do it again because a report is where a leak would be public."""
    return from_dict(RunResult, redact_obj(to_dict(run)))


def severity_order(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then grouped by check and endpoint so related findings sit together."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.check, f.endpoint, f.subject, f.path or ""))


def headline(run: RunResult) -> str:
    count = len(run.findings)
    noun = "finding" if count == 1 else "findings"
    if run.verdict is None:
        state = "NO VERDICT"
    elif run.verdict.passed:
        state = f"PASSED (exit {run.verdict.exit_code})"
    else:
        state = f"FAILED (exit {run.verdict.exit_code})"
    return f"chatmigrate: {state} \u2014 {count} {noun}"


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    counts = Counter(f.severity for f in findings)
    return {severity: counts.get(severity, 0) for severity in SEVERITIES}


def check_severity_table(findings: Iterable[Finding]) -> list[tuple[str, dict[Severity, int]]]:
    """Rows of (check, counts per severity), worst checks first."""
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check, []).append(finding)
    rows = [(check, severity_counts(items)) for check, items in by_check.items()]
    return sorted(rows, key=lambda row: (*(-row[1][s] for s in SEVERITIES), row[0]))
