"""One defect is one root cause in every report: ``gate --flaw html-401`` against the embedded server (real wire)
makes the JWT API answer every refusal with an HTML page, which fails each refusing audit case; the reports and
the console lead with that one cause and list the cases inside it."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest

from chatmigrate.cli import main
from chatmigrate.records import RunResult
from chatmigrate.report import load_run
from chatmigrate.vocab import Check, FindingKind, Tier

QUICK = ["--no-progress", "--budget", "5", "--set", "compare.latency_floor_ms=60000"]
EXTENT = re.compile(r"(\d+) cases, (\d+) probes")


@dataclass(frozen=True, slots=True)
class Gated:
    code: int
    out: str
    run: RunResult
    reports: Path


def run_gate(folder: Path, *switches: str) -> Gated:
    args = ["gate", *QUICK, "--results", str(folder / "results"), "--out", str(folder / "reports"), *switches]
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        patch.chdir(folder)
        patch.delenv("CHATMIGRATE_CONFIG", raising=False)
        with pytest.raises(SystemExit) as exited:
            main(args)
    code = exited.value.code
    return Gated(code if isinstance(code, int) else 0, out.getvalue(), load_run(folder / "results"), folder / "reports")


@pytest.fixture(scope="module")
def html_401(tmp_path_factory: pytest.TempPathFactory) -> Gated:
    return run_gate(tmp_path_factory.mktemp("html-401"), "--flaw", "html-401")


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Gated:
    return run_gate(tmp_path_factory.mktemp("rename-field"), "--drift", "rename-field", "--no-audit")


def html_findings(run: RunResult) -> set[str]:
    """The audit cases the flaw failed with an HTML answer on the JWT API."""
    return {f.subject for f in run.findings if (f.check, f.kind, f.tier) == (Check.AUDIT, FindingKind.HTML, Tier.NEW)}


def html_cause(run: RunResult) -> str:
    """The headline, with the statuses the HTML answers came with (401, and 403 for refused roles)."""
    cases = html_findings(run)
    statuses = sorted({str(a.status) for a in run.audit if a.tier == Tier.NEW and a.case_id in cases})
    assert statuses[0] == "401"
    return f"JWT API answers {'/'.join(statuses)} with an HTML page"


def assert_extent(text: str, run: RunResult) -> None:
    """Every HTML case counted once, each with at least one probe."""
    extent = EXTENT.match(text)
    assert extent is not None, text
    cases, probes = int(extent.group(1)), int(extent.group(2))
    assert cases == len(html_findings(run)) and probes >= cases


def test_html_401_fails_many_audit_cases_with_the_same_defect(html_401: Gated) -> None:
    assert html_401.code == 1
    assert len(html_findings(html_401.run)) >= 20


def test_html_401_is_a_single_root_cause_at_the_top_of_the_html_report(html_401: Gated) -> None:
    page = (html_401.reports / "report.html").read_text(encoding="utf-8")
    listing = page[page.index('<div id="finding-list">') :]
    first = re.search(r'<details class="(\w+)[^"]*"[^>]*>\s*<summary>(.*?)</summary>', listing, re.DOTALL)
    assert first is not None and first.group(1) == "cause"
    title = re.search(r'<span class="title">(.*?)</span>', first.group(2))
    extent = re.search(r'<span class="extent">(.*?)</span>', first.group(2))
    assert title is not None and extent is not None
    assert unescape(title.group(1)) == html_cause(html_401.run)
    assert_extent(unescape(extent.group(1)), html_401.run)
    assert len(re.findall(rf'<span class="title">{re.escape(html_cause(html_401.run))}</span>', page)) == 1


def test_every_html_answer_sits_inside_the_one_root_cause(html_401: Gated) -> None:
    page = (html_401.reports / "report.html").read_text(encoding="utf-8")
    start = page.index('<details class="cause')
    cause = page[start : page.index("</div>\n    </details>", start)]
    seen_on = re.search(r"Seen on: <span class=\"mono\">(.*?)</span>", cause)
    assert seen_on is not None
    assert html_findings(html_401.run) <= set(unescape(seen_on.group(1)).split(", "))


def test_html_401_is_a_single_root_cause_at_the_top_of_summary_md(html_401: Gated) -> None:
    text = (html_401.reports / "summary.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert next(line for line in lines if line.startswith("## ")) == "## Root causes"
    first = lines[lines.index("## Root causes") + 4]
    cells = [cell.strip() for cell in first.split(" | ")]
    assert cells[:3] == ["| high", "fail", html_cause(html_401.run)]
    assert_extent(cells[5], html_401.run)
    listed = set(cells[5].split(": ", 1)[1].removesuffix(" |").split(", "))
    assert {case.replace("_", "\\_") for case in html_findings(html_401.run)} <= listed
    rows = itertools.takewhile(lambda line: line.startswith("|"), lines[lines.index("## Root causes") + 2 :])
    assert sum(1 for row in rows if html_cause(html_401.run) in row) == 1


def test_the_gate_counts_findings_in_root_causes_and_names_the_worst(html_401: Gated) -> None:
    line = html_401.out.strip().splitlines()[-1]
    assert re.search(r"\d+ findings in \d+ root causes at or above medium", line)
    assert f"worst: {html_cause(html_401.run)}: " in line


def test_junit_failures_name_the_shared_root_cause(html_401: Gated) -> None:
    root = ET.parse(html_401.reports / "junit.xml").getroot()
    messages = [failure.get("message", "") for failure in root.iter("failure")]
    cause = f"root cause: {html_cause(html_401.run)}"
    assert sum(1 for message in messages if cause in message) == len(html_findings(html_401.run))


def test_audit_findings_label_their_values_expected_and_observed(html_401: Gated) -> None:
    page = (html_401.reports / "report.html").read_text(encoding="utf-8")
    captions = re.findall(r'<figcaption class="(?:old|new)">(\w+)</figcaption>', page)
    assert captions[:2] == ["expected", "observed"]


def test_parity_findings_label_their_values_old_and_new(renamed: Gated) -> None:
    page = (renamed.reports / "report.html").read_text(encoding="utf-8")
    captions = re.findall(r'<figcaption class="(?:old|new)">(\w+)</figcaption>', page)
    assert captions[:2] == ["old", "new"]


def test_junit_fails_every_entry_a_grouped_finding_stands_for(renamed: Gated) -> None:
    grouped = [f for f in renamed.run.findings if len(f.entries) > 1 and f.severity.rank >= 2]
    assert grouped, "the rename-field drift should show in more than one entry"
    root = ET.parse(renamed.reports / "junit.xml").getroot()
    failing = {case.get("name") for case in root.iter("testcase") if case.find("failure") is not None}
    assert {entry for finding in grouped for entry in finding.entries} <= failing
