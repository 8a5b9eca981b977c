"""The HTML report: verdict first, every server string escaped, offline by construction, bounded in size."""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
from html import unescape
from pathlib import Path

import pytest
from report_samples import (
    accepting_run,
    audit_result,
    failing_run,
    large_run,
    matrix_run,
    message,
    same_meaning_finding,
)

from chatmigrate import report
from chatmigrate.records import Finding, LatencyStat, NoisePath, RuleLedger, RunResult, TargetInfo, Verdict
from chatmigrate.redact import register_secret
from chatmigrate.report import html
from chatmigrate.vocab import AuditState, FindingKind, Severity, Tier

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
MAX_REPORT_BYTES = 20 * 1024 * 1024


def render(run: RunResult, out: Path) -> str:
    (path,) = report.render(run, out, ["html"])
    return path.read_text(encoding="utf-8")


def hostile_run() -> RunResult:
    """Markup in every place a server or a config can put text."""
    body = {"messages": [{"id": 1, "html_content": SCRIPT + IMG}]}
    return RunResult(
        tool_version="0.1.0",
        started_at="2026-11-26T23:00:00Z",
        targets=[TargetInfo("new", f"http://h/{SCRIPT}", "bearer", IMG)],
        warnings=[SCRIPT],
        entries=[SCRIPT],
        findings=[
            Finding(
                "body",
                Severity.HIGH,
                f"title {IMG}",
                SCRIPT,
                f"GET /{IMG}",
                path="$.messages[0].html_content",
                old=body,
                new=body,
                evidence=SCRIPT + IMG,
                reproducer=f"curl '{SCRIPT}'",
            ),
        ],
        noise=[NoisePath(IMG, SCRIPT, "old", [SCRIPT, IMG])],
        rules=[RuleLedger(SCRIPT, IMG, SCRIPT, 0)],
        audit=[audit_result(SCRIPT, IMG, "new", SCRIPT, AuditState.FAIL, 200, IMG)],
        verdict=Verdict(False, 1, f"reason {SCRIPT}"),
    )


def test_verdict_comes_before_everything_else(tmp_path: Path) -> None:
    page = render(failing_run(), tmp_path)
    verdict = page.index("chatmigrate: FAILED (exit 1)")
    assert verdict < page.index('id="findings"') < page.index('id="parity"')
    assert page.index('id="verdict"') < page.index("<main>")


def test_server_supplied_markup_appears_only_escaped(tmp_path: Path) -> None:
    page = render(hostile_run(), tmp_path)
    assert SCRIPT not in page
    assert IMG not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert len(re.findall(r"<script\b", page)) == 1
    assert "<img" not in page


def test_report_refers_to_nothing_outside_itself(tmp_path: Path) -> None:
    page = render(failing_run(), tmp_path)
    assert not re.search(r"""(?i)\b(src|href|action)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page
    assert "url(" not in page


def test_content_security_policy_allows_only_the_inline_style_and_script_by_hash(tmp_path: Path) -> None:
    page = render(failing_run(), tmp_path)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert style is not None and script is not None

    def digest(text: str) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    csp = unescape(policy.group(1))
    assert csp.startswith("default-src 'none';")
    assert f"style-src '{digest(style.group(1))}'" in csp
    assert f"script-src '{digest(script.group(1))}'" in csp
    assert "unsafe" not in csp


def test_differing_path_is_highlighted_in_whole_bodies(tmp_path: Path) -> None:
    old = {"messages": [message(1, "first"), message(2, "second")]}
    new = {"messages": [message(1, "first"), message(2, "2nd")]}
    run = RunResult(
        "0.1.0",
        "2026-11-26T23:00:00Z",
        findings=[
            Finding(
                "body",
                Severity.HIGH,
                "value changed",
                "e1",
                "GET /admin/chat/",
                path="$.messages[1].message",
                kind=FindingKind.VALUE_CHANGED,
                old=old,
                new=new,
            ),
        ],
    )
    highlighted = re.findall(r'<span class="hl">(.*?)</span>', render(run, tmp_path))
    assert [line.strip() for line in highlighted] == [
        '"message": "second",',
        '"message": "2nd",',
    ]


def test_rules_that_suppressed_nothing_are_flagged(tmp_path: Path) -> None:
    page = render(failing_run(), tmp_path)
    unused = re.findall(r'<tr class="unused"><td class="mono">([^<]*)</td>', page)
    assert unused == ["/messages/*/avatar_url"]
    assert "1 suppressed nothing" in page


def test_audit_matrix_colours_each_case_and_tier(tmp_path: Path) -> None:
    page = render(failing_run(), tmp_path)
    matrix = page[page.index('<table class="matrix">') : page.index("</table>", page.index('<table class="matrix">'))]
    rows = {
        re.search(r'<span class="mono">([^<]+)</span>', row).group(1): re.findall(r'class="cell ([\w-]+)"', row)  # type: ignore[union-attr]
        for row in matrix.split("<tr>")[2:]
    }
    assert rows == {
        "expired-token": ["not-applicable", "fail", "pass"],
        "missing-header": ["not-applicable", "pass", "pass"],
        "no-session": ["pass", "not-applicable", "not-applicable"],
    }


def test_audit_case_that_does_not_apply_to_a_tier_is_not_a_pass(tmp_path: Path) -> None:
    page = render(failing_run(), tmp_path)
    assert '<td class="cell not-applicable" title="not-applicable: no sessions">n/a</td>' in page
    assert "4 of 6 results passed, 1 failed, 0 known-legacy, 1 not applicable" in page


def test_a_known_legacy_cell_is_neither_pass_nor_fail(tmp_path: Path) -> None:
    run = failing_run()
    run.audit.append(
        audit_result("ws-url", "ws", "ws", "URL identity", AuditState.KNOWN_LEGACY, 101, "known-legacy: x")
    )
    page = render(run, tmp_path)
    assert '<td class="cell known-legacy" title="known-legacy: x">legacy' in page


def test_audit_reproducers_are_listed(tmp_path: Path) -> None:
    page = render(failing_run(), tmp_path)
    section = page[page.index('id="audit"') : page.index('id="noise"')]
    assert "Reproducers" in section
    assert "curl -H &#39;Authorization: [REDACTED]&#39;" in section


def test_only_failing_audit_cells_list_a_reproducer(tmp_path: Path) -> None:
    run = failing_run()
    run.audit.append(audit_result("ws-url", "ws", "ws", "URL identity", AuditState.KNOWN_LEGACY, 101, "known-legacy"))
    run.findings.append(
        Finding("audit", Severity.INFO, "known-legacy: URL identity", "ws-url", tier=Tier.WS, reproducer="python ws.py")
    )
    page = render(run, tmp_path)
    section = page[page.index('id="audit"') : page.index('id="noise"')]
    assert "curl -H" in section and "python ws.py" not in section


def test_latency_chart_draws_a_bar_per_side_and_endpoint(tmp_path: Path) -> None:
    run = failing_run()
    run.latency.append(LatencyStat(run.latency[0].endpoint, "proxy", 10, 15.0, 25.0))
    page = render(run, tmp_path)
    chart = page[page.index('<svg class="chart"') : page.index("</svg>", page.index('<svg class="chart"'))]
    endpoints = {stat.endpoint for stat in run.latency}
    assert len(re.findall(r'<rect class="t0-p95"', chart)) == len(endpoints)  # old
    assert len(re.findall(r'<rect class="t1-p95"', chart)) == len(endpoints)  # new
    assert len(re.findall(r'<rect class="t2-p95"', chart)) == 1  # proxy, measured on one endpoint
    assert ">proxy p50 15.0 · p95 25.0 ms</text>" in chart


def test_findings_carry_what_the_filters_need(tmp_path: Path) -> None:
    page = render(failing_run(), tmp_path)
    items = re.findall(
        r'<details class="finding sev-(\w+)" data-rank="(\d)" data-endpoint="[^"]*" data-check="(\w[\w-]*)"', page
    )
    assert len(items) == len(failing_run().findings)
    assert all(Severity(sev).rank == int(rank) for sev, rank, _ in items)
    assert [int(rank) for _, rank, _ in items] == sorted((int(rank) for _, rank, _ in items), reverse=True)


def test_secrets_are_redacted_again_by_the_reporter(tmp_path: Path) -> None:
    register_secret("hunter2-report-secret")
    jwt_like = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl"
    run = failing_run()
    run.targets[0].principal = "admin hunter2-report-secret"
    run.findings[0].evidence = f"Authorization: Bearer {jwt_like}"
    page = render(run, tmp_path)
    assert "hunter2-report-secret" not in page
    assert jwt_like not in page
    assert "[REDACTED]" in page


def test_evidence_is_capped_per_finding(tmp_path: Path) -> None:
    run = failing_run()
    run.findings[0].evidence = "<p>" + "z" * 1_000_000
    page = render(run, tmp_path)
    assert len(page) < 200_000
    assert "more characters in report.json" in page


def test_accepted_findings_are_marked_and_do_not_fail_the_gate(tmp_path: Path) -> None:
    run = failing_run()
    run.accepted = [run.findings[0].fingerprint]
    page = render(run, tmp_path)
    assert page.count('<span class="tag ok"') == 1
    gating = sum(1 for f in run.findings if f.severity.rank >= Severity.MEDIUM.rank) - 1
    assert page.count('<span class="tag gate"') == gating


def test_findings_a_passing_verdict_tolerated_are_marked_tolerated_not_gate(tmp_path: Path) -> None:
    run = failing_run()
    run.verdict = Verdict(True, 0, "no finding over the limit (6 tolerated, threshold medium)")
    page = render(run, tmp_path)
    over = sum(1 for f in run.findings if f.severity.rank >= Severity.MEDIUM.rank)
    assert page.count('<span class="tag gate"') == 0
    assert page.count('<span class="tag warn" title="at or above medium, but the verdict passed') == over
    assert "<dt>Fail the gate</dt><dd>0</dd>" in page


def test_large_run_report_stays_bounded(tmp_path: Path) -> None:
    run = large_run(findings=5_000, endpoints=2_000)
    (path,) = report.render(run, tmp_path, ["html"])
    assert path.stat().st_size <= MAX_REPORT_BYTES
    page = path.read_text(encoding="utf-8")
    assert page.count('<details class="finding') == 5_000
    assert page.count('<td class="mono">GET /admin/chat/') == 2 * 2_000  # parity and latency tables


def test_evidence_goes_to_the_worst_findings_when_the_budget_runs_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html, "EVIDENCE_BUDGET", 20_000)
    page = render(large_run(findings=200, endpoints=10), tmp_path)
    first_omitted = page.index("Evidence left out to keep this report small")
    assert page.index('<span class="sev sev-critical">') < page.index('<div class="sides">') < first_omitted
    assert '<div class="sides">' not in page[first_omitted:]
    assert page.count("Evidence left out") > 100


def test_a_finding_that_can_be_accepted_shows_the_block_that_accepts_it(tmp_path: Path) -> None:
    page = render(accepting_run(), tmp_path)
    finding = same_meaning_finding()
    detail = page[page.index(f'<span class="title">{finding.title}</span>') :]
    detail = detail[: detail.index("</details>")]
    blocks = re.findall(
        r"<figcaption>accept it in chatmigrate.toml</figcaption>\s*<pre class=\"wrap\">(.*?)</pre>", detail, re.S
    )
    assert [unescape(block) for block in blocks] == [finding.accept_toml]


def test_only_findings_that_can_be_accepted_offer_a_block(tmp_path: Path) -> None:
    page = render(accepting_run(), tmp_path)
    assert page.count("accept it in chatmigrate.toml") == 1


def test_an_accept_block_holding_markup_appears_only_escaped(tmp_path: Path) -> None:
    page = render(accepting_run(f"$.messages[*].{SCRIPT}"), tmp_path)
    assert SCRIPT not in page
    assert "$.messages[*].&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_each_noise_path_shows_the_ignore_block_that_declares_it(tmp_path: Path) -> None:
    run = failing_run()
    page = render(run, tmp_path)
    section = page[page.index('<section id="noise">') : page.index('<section id="rules">')]
    blocks = [unescape(block) for block in re.findall(r'<pre class="wrap">(.*?)</pre>', section, re.S)]
    assert blocks == [noise.ignore_toml for noise in run.noise]
    assert [tomllib.loads(block)["ignore"][0]["path"] for block in blocks] == ["/generated_at", "/request_id"]


def principals_section(page: str) -> str:
    return page[page.index('<section id="principals">') : page.index('<section id="latency">')]


def test_the_principal_matrix_shows_one_row_per_principal_and_a_column_per_tier(tmp_path: Path) -> None:
    section = principals_section(render(matrix_run(), tmp_path))
    headers = re.findall(r"<th>(.*?)</th>", section)
    rows = re.findall(r'<td class="mono">(.*?)</td>', section)
    assert (headers, rows) == (["principal", "old", "new", "verdict"], ["admin", "anonymous", "viewer"])


def test_a_tier_granting_more_than_old_is_marked_as_a_breach(tmp_path: Path) -> None:
    section = principals_section(render(matrix_run(), tmp_path))
    assert re.findall(r'<td class="breach">(.*?)</td>', section) == ["31 granted, 8 other answers"]
    assert "grants more than old (new 31 entries): critical" in section


def test_a_principal_name_holding_markup_appears_only_escaped(tmp_path: Path) -> None:
    section = principals_section(render(matrix_run(configured=SCRIPT), tmp_path))
    assert SCRIPT not in section and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
