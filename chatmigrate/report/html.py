"""One self-contained, offline HTML report: verdict first, then findings with side-by-side evidence.

Everything the servers said is untrusted: jinja2 autoescapes it, legacy HTML pages are shown
as escaped text, and a Content-Security-Policy allows only this file's own style and script
(by hash), so even a missed escape could not run a script or load anything from the network.
Evidence is capped per finding and per report so a run with many findings stays small.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from chatmigrate.records import AuditResult, Finding, LatencyStat, RunResult
from chatmigrate.report import jsonview
from chatmigrate.report.matrix import cell_text, matrix_tiers, row_verdict
from chatmigrate.report.summary import SEVERITIES, Gate, headline, severity_counts, severity_order
from chatmigrate.report.text import value_labels
from chatmigrate.rootcause import RootCause, count_line, root_causes
from chatmigrate.vocab import SIDES, AuditState, Severity, Tier

FILENAME = "report.html"
MAX_PART_CHARS = 6_000  # per body side or evidence page of one finding
MIN_PART_CHARS = 800
EVIDENCE_BUDGET = 6_000_000
CHART_ENDPOINTS = 25
TIER_ORDER: tuple[Tier, ...] = tuple(Tier)
TONES = 4  # colour pairs in report.css: .t0-p50/.t0-p95 ... .t3-p50/.t3-p95


@dataclass(slots=True)
class FindingView:
    finding: Finding
    gate: bool
    accepted: bool
    tolerated: bool
    old: jsonview.Snippet | None = None
    new: jsonview.Snippet | None = None
    evidence: str | None = None
    evidence_cut: int = 0
    omitted: bool = False

    @property
    def labels(self) -> tuple[str, str]:
        return value_labels(self.finding)


@dataclass(slots=True)
class CauseView:
    """A root cause and its findings' views; one of a single finding is shown as that finding."""

    cause: RootCause
    views: list[FindingView]

    @property
    def gate(self) -> bool:
        return any(view.gate for view in self.views)


@dataclass(slots=True)
class Bar:
    side: str
    tone: int
    y: int
    p50: float
    p95: float
    w50: float
    w95: float


@dataclass(slots=True)
class LatencyRow:
    endpoint: str
    sides: dict[str, LatencyStat]
    ratio: float | None


@dataclass(slots=True)
class Chart:
    width: int
    height: int
    label_width: int
    bar_width: int
    sides: list[str] = field(default_factory=list)
    rows: list[tuple[LatencyRow, list[Bar], int]] = field(default_factory=list)
    max_ms: float = 0.0


@dataclass(slots=True)
class AuditCell:
    state: AuditState
    status: int | None = None
    detail: str = ""


@dataclass(slots=True)
class AuditRow:
    case_id: str
    group: str
    description: str
    cells: list[AuditCell]
    failed: bool


def render(run: RunResult, fail_on: Severity) -> str:
    env = Environment(
        loader=PackageLoader("chatmigrate.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css, script = _asset("report.css"), _asset("report.js")
    csp = (
        f"default-src 'none'; style-src '{_sha256(css)}'; script-src '{_sha256(script)}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    causes = _cause_views(run, Gate.of(run, fail_on))
    findings = [view for cause in causes for view in cause.views]
    latency = _latency_rows(run.latency)
    sides = latency_sides(run.latency)
    tiers, audit_rows = _audit_matrix(run.audit)
    template = env.get_template("report.html.j2")
    return template.render(
        run=run,
        headline=headline(run),
        fail_on=fail_on,
        severities=SEVERITIES,
        counts=severity_counts(run.findings),
        gating=sum(1 for v in findings if v.gate),
        gating_causes=sum(1 for c in causes if c.gate),
        count_line=count_line,
        causes=causes,
        accepted=sum(1 for v in findings if v.accepted),
        tolerated=sum(1 for v in findings if v.tolerated),
        findings=findings,
        checks=sorted({f.check for f in run.findings}),
        finding_endpoints=sorted({f.endpoint for f in run.findings if f.endpoint}),
        endpoints=sorted(run.endpoints, key=lambda e: (-e.failed, e.endpoint)),
        matrix_tiers=matrix_tiers(run.principals),
        cell_text=cell_text,
        row_verdict=row_verdict,
        latency=latency,
        chart=_chart(latency, sides),
        tiers=tiers,
        audit_rows=audit_rows,
        audit_counts={state.value: sum(1 for a in run.audit if a.state is state) for state in AuditState},
        reproducers=_reproducers(run),
        rules_unused=sum(1 for r in run.rules if r.suppressed == 0),
        css=Markup(css),
        script=Markup(script),
        csp=csp,
    )


def _asset(name: str) -> str:
    return resources.files("chatmigrate.report").joinpath("templates", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _cause_views(run: RunResult, gate: Gate) -> list[CauseView]:
    """Root causes worst first, each finding with a fair share of the report's evidence budget; if the
    budget still runs out, the rest point to report.json."""
    with_evidence = sum(1 for f in run.findings if _has_evidence(f))
    part_cap = max(MIN_PART_CHARS, min(MAX_PART_CHARS, EVIDENCE_BUDGET // (3 * max(1, with_evidence))))
    budget = EVIDENCE_BUDGET
    causes: list[CauseView] = []
    for cause in root_causes(run.findings, run.audit):
        views = []
        for finding in cause.findings:
            view = FindingView(finding, gate.fails(finding), gate.is_accepted(finding), gate.tolerates(finding))
            if budget <= 0:
                view.omitted = _has_evidence(finding)
            else:
                budget -= _fill_evidence(view, part_cap)
            views.append(view)
        causes.append(CauseView(cause, views))
    return causes


def _has_evidence(finding: Finding) -> bool:
    return finding.old is not None or finding.new is not None or bool(finding.evidence)


def _fill_evidence(view: FindingView, part_cap: int) -> int:
    finding = view.finding
    used = 0
    if finding.old is not None or finding.new is not None:
        target = jsonview.locate(finding.path, finding.old, finding.new)
        view.old = _snippet(finding.old, target, part_cap)
        view.new = _snippet(finding.new, target, part_cap)
        used += (view.old.chars if view.old else 0) + (view.new.chars if view.new else 0)
    if finding.evidence:
        view.evidence = finding.evidence[:part_cap]
        view.evidence_cut = max(0, len(finding.evidence) - part_cap)
        used += len(escape(view.evidence))
    return used


def _snippet(value: Any, target: jsonview.Pointer | None, cap: int) -> jsonview.Snippet | None:
    return None if value is None else jsonview.render(value, target, cap)


def _latency_rows(stats: list[LatencyStat]) -> list[LatencyRow]:
    """Every side per endpoint, biggest new/old p95 regression first."""
    by_endpoint: dict[str, dict[str, LatencyStat]] = {}
    for stat in stats:
        by_endpoint.setdefault(stat.endpoint, {})[stat.side] = stat
    rows = []
    for endpoint, sides in by_endpoint.items():
        old, new = sides.get(Tier.OLD), sides.get(Tier.NEW)
        ratio = new.p95_ms / old.p95_ms if old and new and old.p95_ms > 0 else None
        rows.append(LatencyRow(endpoint, sides, ratio))
    return sorted(rows, key=lambda r: (-(r.ratio or 0.0), r.endpoint))


def latency_sides(stats: list[LatencyStat]) -> list[str]:
    present = {stat.side for stat in stats}
    return [s for s in SIDES if s in present] + sorted(present - set(SIDES))


def _chart(rows: list[LatencyRow], sides: list[str]) -> Chart:
    """Geometry for the inline SVG: one bar per side and endpoint, p95 light with p50 dark inside."""
    shown = rows[:CHART_ENDPOINTS]
    chart = Chart(width=960, height=0, label_width=330, bar_width=420, sides=sides)
    chart.max_ms = max((s.p95_ms for r in shown for s in r.sides.values()), default=0.0) or 1.0
    scale = chart.bar_width / chart.max_ms
    y = 34
    for row in shown:
        bars: list[Bar] = []
        for tone, side in enumerate(sides):
            stat = row.sides.get(side)
            if stat is not None:
                bars.append(
                    Bar(
                        side,
                        tone % TONES,
                        y + len(bars) * 15,
                        stat.p50_ms,
                        stat.p95_ms,
                        max(1.0, stat.p50_ms * scale),
                        max(1.0, stat.p95_ms * scale),
                    )
                )
        chart.rows.append((row, bars, y))
        y += 15 * len(bars) + 12
    chart.height = y + 6
    return chart


def _audit_matrix(results: list[AuditResult]) -> tuple[list[str], list[AuditRow]]:
    tiers = sorted(
        {r.tier for r in results},
        key=lambda t: (TIER_ORDER.index(t) if t in TIER_ORDER else len(TIER_ORDER), t),
    )
    by_case: dict[str, dict[str, AuditResult]] = {}
    for result in results:
        by_case.setdefault(result.case_id, {})[result.tier] = result
    rows = []
    for case_id, cells in by_case.items():
        first = next(iter(cells.values()))
        row_cells = [_audit_cell(cells.get(tier)) for tier in tiers]
        rows.append(
            AuditRow(
                case_id,
                first.group,
                first.description,
                row_cells,
                any(c.state is AuditState.FAIL for c in cells.values()),
            )
        )
    rows.sort(key=lambda r: (not r.failed, r.group, r.case_id))
    return tiers, rows


def _audit_cell(result: AuditResult | None) -> AuditCell:
    if result is None:
        return AuditCell(AuditState.NOT_APPLICABLE, detail="not run on this tier")
    return AuditCell(result.state, result.status, result.detail)


def _reproducers(run: RunResult) -> list[Finding]:
    """Reproducers of the failing cells only, so they can be replayed by hand; known-legacy notes need none."""
    failing = {(r.case_id, r.tier) for r in run.audit if r.state is AuditState.FAIL}
    return [f for f in severity_order(run.findings) if f.reproducer and (f.subject, f.tier) in failing]
