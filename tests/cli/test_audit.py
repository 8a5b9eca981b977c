"""``chatmigrate audit``: listing, usage errors, exit codes, and a verdict and reports made like the gate's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import ConfigFactory, cli
from server_wire import PASSWORD

from chatmigrate.audit.catalogue import CASES, GENERATED
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.records import RunResult, from_dict
from chatmigrate.vocab import Severity

STRICT_WS = ["--target", "ws", "--ws-url-strict", "--case", "ws-impersonate-url"]
"""One case, one high finding on a clean embedded server: enough to exercise the verdict quickly."""
STAGING: dict[str, Any] = {"password_env": "AUDIT_CLI_PASSWORD", "proxy": True, "ws": True, "name": "staging.toml"}


@pytest.fixture(autouse=True)
def _no_config_around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No chatmigrate.toml is discovered: the command starts its own embedded server."""
    monkeypatch.chdir(tmp_path)
    for name in ("CHATMIGRATE_CONFIG", "CHATMIGRATE_PASSWORD", "CHATMIGRATE_JWT_SECRET", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


def run_of(results: Path) -> RunResult:
    return from_dict(RunResult, json.loads((results / "run.json").read_text()))


def test_list_prints_one_line_per_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["audit", "--list"], capsys)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [case.id for case in (*CASES, *GENERATED)]


def test_an_unknown_flaw_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["audit", "--flaw", "no-such-flaw"], capsys)
    assert code == 2 and err.count("\n") == 1 and "no-such-flaw" in err


def test_an_unknown_target_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["audit", "--target", "everything"], capsys)
    assert code == 2 and "--target" in err


def test_an_unknown_case_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["audit", "--case", "hdr-nonsense"], capsys)
    assert code == 2 and "hdr-nonsense" in err


def test_an_unknown_report_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["audit", "--format", "pdf"], capsys)
    assert code == 2 and "pdf" in err and err.count("\n") == 1


def test_flaws_cannot_be_combined_with_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "chatmigrate.toml"
    config.write_text("")
    code, _, err = cli(["audit", "--config", str(config), "--flaw", "alg-none"], capsys)
    assert code == 2 and "--flaw" in err


def test_a_flawed_embedded_server_fails_with_exit_1_and_writes_run_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["audit", "--flaw", "alg-none", "--target", "new", "--no-contract", "--budget", "0"]
    code, out, _ = cli([*args, "--results", str(tmp_path / "r")], capsys)
    assert code == 1
    assert out.startswith("audit FAILED: ") and out.count("\n") == 1
    run = run_of(tmp_path / "r")
    assert run.verdict is not None and not run.verdict.passed
    assert any(f.subject == "sig-alg-none-variants" and f.severity.value == "critical" for f in run.findings)
    assert {result.tier for result in run.audit} == {"new"}


def test_a_clean_embedded_server_passes_with_exit_0_and_every_report_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(["audit", "--budget", "10"], capsys)
    assert code == 0 and out.startswith("audit passed: ")
    run = run_of(tmp_path / "results")
    assert {target.side for target in run.targets} == {"new", "old", "proxy", "ws"}
    assert len(run.audit) > len(CASES)
    assert sorted(path.name for path in (tmp_path / "reports").iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
        "sarif.json",
        "summary.md",
    ]
    assert f"report {Path('reports') / 'report.html'}" in out


def test_reports_go_to_out_in_the_chosen_formats_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = cli(["audit", *STRICT_WS, "--results", "r", "-o", "o", "--format", "md,json"], capsys)
    assert code == 1
    assert sorted(path.name for path in (tmp_path / "o").iterdir()) == ["report.json", "summary.md"]
    reported = json.loads((tmp_path / "o" / "report.json").read_text())
    assert reported["verdict"]["exit_code"] == 1 and reported["verdict"]["threshold"] == "medium"


def test_strict_websocket_policy_fails_the_url_mode_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["audit", *STRICT_WS, "--results", str(tmp_path)], capsys)
    assert code == 1 and "1 high" in out


def test_fail_on_critical_lets_a_high_finding_pass_and_is_the_reports_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(["audit", *STRICT_WS, "--fail-on", "critical", "-o", "o"], capsys)
    assert code == 0 and "1 high" in out
    run = run_of(tmp_path / "results")
    assert run.verdict is not None and run.verdict.threshold is Severity.CRITICAL
    assert json.loads((tmp_path / "o" / "report.json").read_text())["verdict"]["threshold"] == "critical"


def test_max_findings_tolerates_that_many_failing_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["audit", *STRICT_WS, "--max-findings", "1"], capsys)
    assert code == 0 and "1 tolerated" in out


def test_a_baseline_accepts_the_findings_of_an_earlier_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["audit", *STRICT_WS, "--results", "first"], capsys)[0] == 1
    accept = ["baseline", "accept", "first", "-o", "baseline.json", "--reason", "socket moves to JWT in CHAT-9"]
    assert cli(accept, capsys)[0] == 0
    code, _, _ = cli(["audit", *STRICT_WS, "--results", "second", "--baseline", "baseline.json"], capsys)
    assert code == 0
    run = run_of(tmp_path / "second")
    assert run.accepted == sorted({f.fingerprint for f in run.findings if f.severity.rank >= Severity.MEDIUM.rank})
    assert run.accepted and run.stale_baseline == []


def test_the_gate_limits_of_the_configuration_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHATMIGRATE_GATE__FAIL_ON", "critical")
    code, _, _ = cli(["audit", *STRICT_WS], capsys)
    assert code == 0
    run = run_of(tmp_path / "results")
    assert run.verdict is not None and run.verdict.threshold is Severity.CRITICAL


def test_a_config_files_audit_and_gate_sections_decide_the_run(
    config_file: ConfigFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: EmbeddedServer,
) -> None:
    monkeypatch.setenv("AUDIT_CLI_PASSWORD", PASSWORD)
    extra = '[audit]\ntiers = ["ws"]\nws_url_mode_severity = "high"\n[gate]\nfail_on = "critical"\n'
    config = config_file(server, **STAGING, extra=extra)
    code, out, _ = cli(["audit", "--config", str(config), "--case", "ws-impersonate-url"], capsys)
    assert code == 0 and "1 high" in out
    assert {result.tier for result in run_of(tmp_path / "results").audit} == {"ws"}


def test_a_tier_that_refuses_connections_during_the_run_is_exit_3_with_results_and_reports_kept(
    config_file: ConfigFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: EmbeddedServer,
) -> None:
    monkeypatch.setenv("AUDIT_CLI_PASSWORD", PASSWORD)
    config = config_file(server, **{**STAGING, "proxy": "http://127.0.0.1:9"})
    code, out, err = cli(["audit", "--config", str(config), "--case", "hdr-no-authorization"], capsys)
    assert code == 3 and out.startswith("audit FAILED: ")
    assert err.count("\n") == 1 and "proxy" in err and "Traceback" not in err
    run = run_of(tmp_path / "results")
    assert run.verdict is not None and run.verdict.exit_code == 3
    assert (tmp_path / "reports" / "report.html").exists()
