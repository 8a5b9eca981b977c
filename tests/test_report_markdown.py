"""summary.md: the verdict on the first line, counts by check and severity, GitHub step summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_samples import failing_run

from chatmigrate import report
from chatmigrate.records import Finding, RunResult, Severity, Verdict
from chatmigrate.report import markdown


def test_first_line_holds_the_verdict() -> None:
    text = markdown.render(failing_run(), Severity.MEDIUM)
    assert text.splitlines()[0] == "# chatmigrate: FAILED (exit 1) \u2014 8 findings"


def test_first_line_of_a_passing_run() -> None:
    run = RunResult("0.1.0", "2026-11-26T23:00:00Z", verdict=Verdict(True, 0, "no finding over the limit"))
    assert markdown.render(run, Severity.MEDIUM).splitlines()[0] == "# chatmigrate: PASSED (exit 0) \u2014 0 findings"


def test_run_without_verdict_says_so() -> None:
    run = RunResult("0.1.0", "2026-11-26T23:00:00Z")
    assert markdown.render(run, Severity.MEDIUM).startswith("# chatmigrate: NO VERDICT")


def test_table_counts_findings_by_check_and_severity() -> None:
    lines = markdown.render(failing_run(), Severity.MEDIUM).splitlines()
    header = lines.index("| check | critical | high | medium | low | info | total |")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines[header + 2 : header + 9]}
    assert rows["body"] == "| body | 0 | 2 | 0 | 1 | 0 | 3 |"
    assert rows["audit"] == "| audit | 1 | 0 | 0 | 0 | 0 | 1 |"
    assert rows["**total**"].endswith("| **8** |")


def test_server_text_cannot_inject_markup_or_break_tables() -> None:
    run = RunResult(
        "0.1.0",
        "2026-11-26T23:00:00Z",
        findings=[
            Finding("body", Severity.HIGH, "<script>alert(1)</script> | col", "e1", "GET /a|b"),
        ],
    )
    text = markdown.render(run, Severity.MEDIUM)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| col" in text
    assert "GET /a\\|b" in text


def test_step_summary_is_appended_when_github_sets_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    (path,) = report.render(failing_run(), tmp_path / "out", ["md"])
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("earlier step\n# chatmigrate: FAILED (exit 1)")
    assert path.read_text(encoding="utf-8") in written


def test_no_step_summary_is_written_without_github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    written = report.render(failing_run(), tmp_path, ["md"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in written] == ["summary.md"]
