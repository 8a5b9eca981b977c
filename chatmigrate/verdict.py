"""The gate's decision: which findings fail the run, and with which exit code.

Kept apart from every runner so that replay, audit, gate and re-rendered reports
all judge the same findings the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from chatmigrate import baseline
from chatmigrate.config import GateLimits as GateLimits
from chatmigrate.records import AuditResult, Finding, RunResult, Verdict, from_dict, to_dict
from chatmigrate.redact import redact_obj
from chatmigrate.rootcause import count_line, root_causes
from chatmigrate.vocab import ExitCode


def fails_gate(finding: Finding, limits: GateLimits, accepted: frozenset[str] = frozenset()) -> bool:
    return finding.severity.rank >= limits.fail_on.rank and finding.fingerprint not in accepted


def decide(
    findings: Iterable[Finding],
    limits: GateLimits,
    *,
    accepted: Iterable[str] = (),
    transport_error: str | None = None,
    audit: Iterable[AuditResult] = (),
) -> Verdict:
    """Exit 3 beats exit 1: results from a target that broke mid-run cannot clear the gate. The reason counts
    root causes beside findings and names the worst, so one defect seen 90 times reads as one defect."""
    accepted_set = frozenset(accepted)
    gating = [finding for finding in findings if fails_gate(finding, limits, accepted_set)]
    if transport_error:
        return Verdict(
            False, int(ExitCode.TRANSPORT), f"target failed at the transport level: {transport_error}", limits.fail_on
        )
    if len(gating) > limits.max_findings:
        by_check = Counter(finding.check for finding in gating)
        detail = ", ".join(f"{count} {check}" for check, count in by_check.most_common())
        causes = root_causes(gating, audit)
        return Verdict(
            False,
            int(ExitCode.GATE_FAILED),
            f"{count_line(len(gating), len(causes))} at or above {limits.fail_on.value} ({detail}); "
            f"worst: {causes[0].summary}; limit {limits.max_findings}",
            limits.fail_on,
        )
    tolerated = f"{len(gating)} tolerated, " if gating else ""
    return Verdict(
        True,
        int(ExitCode.OK),
        f"no finding over the limit ({tolerated}threshold {limits.fail_on.value})",
        limits.fail_on,
    )


def judge_run(
    result: RunResult, limits: GateLimits, *, baseline_path: Path | None = None, transport_error: str | None = None
) -> Verdict:
    """Apply the baseline and limits to a run, recording accepted and stale fingerprints and the verdict on it.

    Findings are redacted first, exactly as ``run.json`` will hold them: a fingerprint then means the same
    in this run, in the file a baseline is accepted from, and in every later run."""
    result.findings = [from_dict(Finding, redact_obj(to_dict(finding))) for finding in result.findings]
    accepted: set[str] = set()
    if baseline_path is not None:
        _, matched, stale = baseline.apply(result.findings, baseline.load(baseline_path))
        accepted = {finding.fingerprint for finding in matched}
        result.stale_baseline = stale
    result.accepted = sorted(accepted)
    result.verdict = decide(
        result.findings, limits, accepted=accepted, transport_error=transport_error, audit=result.audit
    )
    return result.verdict
