"""Markdown summary for CI step summaries and pull-request comments: verdict first, then counts.

Appending it to a job summary file (GitHub's ``$GITHUB_STEP_SUMMARY``) is the caller's explicit choice:
``report.render(..., step_summary=path)``, which the command line's ``--step-summary`` sets.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from chatmigrate.errors import ResultsError
from chatmigrate.records import Finding, NoisePath, RunResult
from chatmigrate.report.matrix import cell_text, matrix_tiers, row_verdict
from chatmigrate.report.summary import (
    SEVERITIES,
    Gate,
    check_severity_table,
    headline,
    severity_counts,
)
from chatmigrate.rootcause import RootCause, count_line, root_causes
from chatmigrate.vocab import AuditState, Check, Severity

FILENAME = "summary.md"
MAX_LISTED_FINDINGS = 50
MAX_SEEN_ON = 60
MAX_CELL = 160
_MARKDOWN_SYNTAX = re.compile(r"([\\`\[\]()!*_@#|~])")
"""Backslash-escaped so server text cannot make images, links, mentions, emphasis or table cells."""


def render(run: RunResult, fail_on: Severity) -> str:
    lines = [f"# {headline(run)}", ""]
    if run.verdict is not None:
        lines += [f"**Reason:** {_inline(run.verdict.reason)}", ""]
    gate = Gate.of(run, fail_on)
    causes = root_causes(run.findings, run.audit)
    failing = [f for f in run.findings if gate.fails(f)]
    failing_causes = sum(1 for cause in causes if any(gate.fails(f) for f in cause.findings))
    gating = count_line(len(failing), failing_causes) if failing else "0 findings"
    accepted = sum(1 for f in run.findings if gate.is_accepted(f))
    tolerated = sum(1 for f in run.findings if gate.tolerates(f))
    within = f", {tolerated} tolerated (the verdict passed within the limit)" if tolerated else ""
    lines += [
        f"{gating} fail the gate (at or above **{fail_on.value}**), {accepted} accepted by the "
        f"baseline{within}; {len(run.entries)} corpus entries, {len(run.audit)} audit results (one per case and tier).",
        "",
    ]
    lines += _causes(causes, gate)
    lines += _targets(run)
    lines += _principals(run)
    lines += _by_check(run)
    lines += _audit(run)
    lines += _acceptable(run)
    lines += _noise(run)
    if run.stale_baseline:
        lines += [
            "## Stale baseline entries",
            "",
            "These accepted findings no longer occur; remove them from the baseline:",
            "",
        ]
        lines += [f"- {_cell(fp)}" for fp in run.stale_baseline] + [""]
    if run.warnings:
        lines += ["## Warnings", ""] + [f"- {_inline(w)}" for w in run.warnings] + [""]
    return "\n".join(lines).rstrip() + "\n"


def append_step_summary(text: str, target: Path) -> None:
    """Appended, not replaced: earlier steps of the job wrote their part of the summary too."""
    try:
        with target.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as error:
        raise ResultsError(f"cannot append the step summary: {error.strerror}", file=str(target)) from None


def _targets(run: RunResult) -> list[str]:
    if not run.targets:
        return []
    lines = ["## Targets", "", "| side | base URL | auth | principal | held to |", "|---|---|---|---|---|"]
    lines += [
        f"| {_cell(t.side)} | {_cell(t.base_url)} | {_cell(t.auth)} | {_cell(t.principal)} "
        f"| {_cell('; '.join(t.expectations))} |"
        for t in run.targets
    ]
    return [*lines, ""]


def _principals(run: RunResult) -> list[str]:
    if not run.principals:
        return []
    tiers = matrix_tiers(run.principals)
    lines = [
        "## Principal matrix",
        "",
        f"| principal | {' | '.join(tier.value for tier in tiers)} | verdict |",
        "|---" * (len(tiers) + 2) + "|",
    ]
    for row in run.principals:
        cells = {cell.tier: cell_text(cell) for cell in row.cells}
        texts = " | ".join(_cell(cells.get(tier, "\u2013")) for tier in tiers)
        lines.append(f"| {_cell(row.principal)} | {texts} | {_cell(row_verdict(row))} |")
    return [*lines, ""]


def _by_check(run: RunResult) -> list[str]:
    if not run.findings:
        return ["No findings.", ""]
    header = "| check | " + " | ".join(s.value for s in SEVERITIES) + " | total |"
    lines = ["## Findings by check and severity", "", header, "|---" * (len(SEVERITIES) + 2) + "|"]
    for check, counts in check_severity_table(run.findings):
        cells = " | ".join(str(counts[s]) for s in SEVERITIES)
        lines.append(f"| {_cell(check)} | {cells} | {sum(counts.values())} |")
    totals = severity_counts(run.findings)
    lines.append(
        "| **total** | " + " | ".join(f"**{totals[s]}**" for s in SEVERITIES) + f" | **{len(run.findings)}** |"
    )
    return [*lines, ""]


def _causes(causes: list[RootCause], gate: Gate) -> list[str]:
    """Root causes worst first, each with what it was seen on: one defect reads as one row, not ninety."""
    if not causes:
        return []
    lines = [
        "## Root causes",
        "",
        "| severity | gate | root cause | check | endpoint | seen on |",
        "|---|---|---|---|---|---|",
    ]
    for cause in causes[:MAX_LISTED_FINDINGS]:
        seen = cause.subjects
        listed = ", ".join(_cell(subject) for subject in seen[:MAX_SEEN_ON])
        more = f" \u2026 and {len(seen) - MAX_SEEN_ON} more" if len(seen) > MAX_SEEN_ON else ""
        endpoints = sorted({f.endpoint for f in cause.findings})
        where = _cell(endpoints[0]) if len(endpoints) == 1 else f"{len(endpoints)} endpoints"
        lines.append(
            f"| {cause.lead.severity.value} | {_state(cause.findings, gate)} | {_cell(cause.headline)} | "
            f"{_cell(cause.lead.check)} | {where} | {cause.extent}: {listed}{more} |"
        )
    if len(causes) > MAX_LISTED_FINDINGS:
        lines += ["", f"\u2026 and {len(causes) - MAX_LISTED_FINDINGS} more; see report.html or report.json."]
    return [*lines, ""]


def _state(findings: tuple[Finding, ...], gate: Gate) -> str:
    if any(gate.fails(f) for f in findings):
        return "fail"
    if any(gate.tolerates(f) for f in findings):
        return "tolerated"
    return "accepted" if all(gate.is_accepted(f) for f in findings) else ""


def _audit(run: RunResult) -> list[str]:
    if not run.audit:
        return []
    counts = {state: sum(1 for a in run.audit if a.state is state) for state in AuditState}
    lines = [
        "## Auth audit",
        "",
        f"{counts[AuditState.PASS]} of {len(run.audit)} audit results passed: {counts[AuditState.FAIL]} failed, "
        f"{counts[AuditState.KNOWN_LEGACY]} known-legacy, {counts[AuditState.NOT_APPLICABLE]} not applicable.",
        "",
    ]
    listed = [a for a in run.audit if a.state in (AuditState.FAIL, AuditState.KNOWN_LEGACY)]
    if listed:
        lines += ["| case | tier | state | status | detail |", "|---|---|---|---|---|"]
        lines += [
            f"| {_cell(a.case_id)} | {_cell(a.tier)} | {a.state.value} | {a.status if a.status is not None else ''} | "
            f"{_cell(a.detail or a.description)} |"
            for a in listed[:MAX_LISTED_FINDINGS]
        ]
        lines.append("")
    return lines


def _acceptable(run: RunResult) -> list[str]:
    """The blocks that accept a finding (a same-meaning difference), once each; learned noise has its own section."""
    blocks = {f.accept_toml: f for f in run.findings if f.accept_toml and f.check is not Check.NOISE}
    if not blocks:
        return []
    lines = [
        "## Accept in chatmigrate.toml",
        "",
        "Each block accepts a difference of form, not meaning. Paste it into chatmigrate.toml and write down why "
        "it is acceptable in `reason`.",
        "",
    ]
    for block, finding in list(blocks.items())[:MAX_LISTED_FINDINGS]:
        lines += [f"{finding.severity.value}: {_inline(finding.title)}", "", *_toml(block)]
    return _more(lines, len(blocks))


def _noise(run: RunResult) -> list[str]:
    """Learned noise never fails; each path comes with the ``[[ignore]]`` block that would declare it instead."""
    if not run.noise:
        return []
    by_path: dict[tuple[str, str], list[NoisePath]] = {}
    for noise in run.noise:
        by_path.setdefault((noise.endpoint, noise.path), []).append(noise)
    lines = [
        "## Noise learned",
        "",
        "Fields that differed between two identical calls to the same side: never a failure. To declare one "
        "instead, paste its block into chatmigrate.toml and write down why in `reason`.",
        "",
    ]
    for (endpoint, path), sides in list(by_path.items())[:MAX_LISTED_FINDINGS]:
        lines += [f"{_cell(path)} on {_cell(endpoint)} ({', '.join(_cell(n.side) for n in sides)})", ""]
        lines += _toml(sides[0].ignore_toml) if sides[0].ignore_toml else []
    return _more(lines, len(by_path))


def _toml(block: str) -> list[str]:
    """A fenced TOML block; the fence is longer than any run of backticks in it, so it cannot be closed early."""
    longest = max((len(run) for run in re.findall(r"`+", block)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}toml", block.rstrip("\n"), fence, ""]


def _more(lines: list[str], total: int) -> list[str]:
    if total > MAX_LISTED_FINDINGS:
        lines += [f"\u2026 and {total - MAX_LISTED_FINDINGS} more; see report.html or report.json.", ""]
    return lines


def _inline(text: str) -> str:
    """Server-supplied text must not turn into markup when GitHub renders the summary: HTML as entities,
    Markdown syntax backslash-escaped."""
    return html.escape(_MARKDOWN_SYNTAX.sub(r"\\\1", " ".join(text.split())), quote=False)


def _cell(text: str) -> str:
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "\u2026"
    return _inline(text)
