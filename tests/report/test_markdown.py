"""summary.md: the verdict on the first line, counts by check and severity, GitHub step summary."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from report_samples import accepting_run, failing_run, matrix_run, same_meaning_finding

from chatmigrate import report
from chatmigrate.records import Finding, RunResult, Verdict
from chatmigrate.report import markdown
from chatmigrate.rootcause import root_causes
from chatmigrate.verdict import GateLimits, decide
from chatmigrate.vocab import Severity


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
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| col" in text
    assert "GET /a\\|b" in text


@pytest.mark.parametrize(
    ("server_text", "escaped"),
    [
        ("![x](https://evil/p.png)", "\\!\\[x\\]\\(https://evil/p.png\\)"),
        ("[click](https://evil/)", "\\[click\\]\\(https://evil/\\)"),
        ("ping @admins now", "ping \\@admins now"),
    ],
    ids=["image", "link", "mention"],
)
def test_server_text_cannot_add_images_links_or_mentions(server_text: str, escaped: str) -> None:
    run = RunResult("0.1.0", "2026-11-26T23:00:00Z", findings=[Finding("body", Severity.HIGH, server_text, "e1")])
    run.verdict = Verdict(False, 1, server_text)
    text = markdown.render(run, Severity.MEDIUM)
    assert server_text not in text
    assert f"**Reason:** {escaped}" in text and f"| {escaped} |" in text


def test_the_count_line_calls_case_and_tier_pairs_audit_results() -> None:
    text = markdown.render(failing_run(), Severity.MEDIUM)
    assert "5 corpus entries, 6 audit results (one per case and tier)." in text


def test_a_not_applicable_audit_result_is_not_counted_as_passed() -> None:
    text = markdown.render(failing_run(), Severity.MEDIUM)
    assert "4 of 6 audit results passed: 1 failed, 0 known-legacy, 1 not applicable." in text


def test_a_passing_verdict_over_the_threshold_shows_its_findings_tolerated_not_failing() -> None:
    run = failing_run()
    run.verdict = decide(run.findings, GateLimits(max_findings=10))
    lines = markdown.render(run, Severity.MEDIUM).splitlines()
    assert lines[0].startswith("# chatmigrate: PASSED (exit 0)")
    assert lines[4].startswith(
        "0 findings fail the gate (at or above **medium**), 0 accepted by the baseline, 6 tolerated"
    )
    causes = root_causes(run.findings, run.audit)
    rows = lines[lines.index("## Root causes") + 4 :][: len(causes)]
    states = [row.split(" | ")[1] for row in rows]
    assert states.count("tolerated") == sum(1 for c in causes if c.lead.severity.rank >= Severity.MEDIUM.rank)
    assert "fail" not in states


def test_step_summary_is_appended_when_asked_for(tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    (path,) = report.render(failing_run(), tmp_path / "out", ["md"], step_summary=summary)
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("earlier step\n# chatmigrate: FAILED (exit 1)")
    assert path.read_text(encoding="utf-8") in written


def test_the_environment_alone_writes_no_step_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    written = report.render(failing_run(), tmp_path / "out", ["md"])
    assert [p.name for p in written] == ["summary.md"]
    assert not summary.exists()


def toml_fences(text: str) -> list[str]:
    """The TOML fenced blocks of a summary, whatever the length of their fence."""
    return [match[1] for match in re.findall(r"^(`{3,})toml\n(.*?)\n\1$", text, re.S | re.M)]


def test_a_finding_that_can_be_accepted_offers_its_block_under_its_title() -> None:
    text = markdown.render(accepting_run(), Severity.MEDIUM)
    section = text[text.index("## Accept in chatmigrate.toml") : text.index("## Noise learned")]
    finding = same_meaning_finding()
    assert "medium: $.messages\\[\\*\\].timestamp is the same instant written differently on new" in section
    assert [tomllib.loads(block) for block in toml_fences(section)] == [tomllib.loads(finding.accept_toml or "")]


def test_a_run_with_nothing_to_accept_has_no_accept_section() -> None:
    assert "## Accept in chatmigrate.toml" not in markdown.render(failing_run(), Severity.MEDIUM)


def test_each_noise_path_is_listed_with_the_ignore_block_that_declares_it() -> None:
    run = failing_run()
    text = markdown.render(run, Severity.MEDIUM)
    section = text[text.index("## Noise learned") :]
    assert "/generated\\_at on GET /admin/chat/ \\[recent\\_messages\\] (old)" in section
    assert toml_fences(section) == [noise.ignore_toml.rstrip("\n") for noise in run.noise]


def test_backticks_in_a_block_cannot_close_its_fence() -> None:
    path = "$.messages[*].```\n# injected"
    (block,) = toml_fences(markdown.render(accepting_run(path), Severity.MEDIUM).split("## Noise learned")[0])
    assert tomllib.loads(block)["compare"]["normalise"][0]["path"] == path


def test_the_summary_carries_the_principal_matrix_with_each_rows_verdict() -> None:
    text = markdown.render(matrix_run(), Severity.MEDIUM)
    table = text[text.index("## Principal matrix") :].split("\n\n")[1].splitlines()
    assert table[0] == "| principal | old | new | verdict |"
    assert table[4] == (
        "| viewer | refused at login; 39 refused | 31 granted, 8 other answers "
        "| grants more than old \\(new 31 entries\\): critical |"
    )


def test_a_run_without_principal_rows_has_no_matrix_section() -> None:
    assert "## Principal matrix" not in markdown.render(failing_run(), Severity.MEDIUM)
