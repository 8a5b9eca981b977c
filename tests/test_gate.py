"""``chatmigrate gate``: replay + audit + every report, one line out, exit 0/1/2/3."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_helpers import cli

from chatmigrate.report import load_run

# Latency is judged in benchmarks and in the slow-messages drift test, not on a loaded test machine.
QUICK = ["--no-progress", "--budget", "5", "--set", "compare.latency_floor_ms=60000"]


def gate(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    args = ["gate", *QUICK, "--results", str(tmp_path / "results"), "--out", str(tmp_path / "reports"), *extra]
    return cli(args, capsys)


@pytest.fixture(autouse=True)
def _no_config_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("CHATMIGRATE_CONFIG", "CHATMIGRATE_PASSWORD", "CHATMIGRATE_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_gate_without_config_passes_against_the_clean_embedded_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = gate(tmp_path, capsys)
    assert code == 0, out
    assert out.startswith("gate passed (exit 0)") and out.count("\n") == 1


def test_gate_writes_results_and_every_report_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gate(tmp_path, capsys)
    assert {p.name for p in (tmp_path / "reports").iterdir()} == {
        "report.html",
        "report.json",
        "junit.xml",
        "summary.md",
        "sarif.json",
    }
    run = load_run(tmp_path / "results")
    assert run.entries and run.audit and run.verdict is not None and run.verdict.passed


def test_gate_includes_parity_and_audit_targets_with_their_principals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate(tmp_path, capsys)
    run = load_run(tmp_path / "results")
    assert {(t.side, t.principal) for t in run.targets} >= {("old", "admin"), ("new", "admin"), ("ws", "admin")}


def test_gate_with_a_parity_drift_fails_naming_the_difference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = gate(tmp_path, capsys, "--drift", "string-ids", "--no-audit")
    assert code == 1 and out.startswith("gate FAILED (exit 1)")
    run = load_run(tmp_path / "results")
    assert any(f.check == "body" and f.path and ".id" in f.path for f in run.findings)


def test_gate_with_an_auth_flaw_fails_through_the_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = gate(tmp_path, capsys, "--flaw", "accept-expired")
    assert code == 1
    run = load_run(tmp_path / "results")
    assert any(f.check == "audit" and f.severity.rank >= 2 for f in run.findings)


def test_baseline_hides_accepted_findings_and_a_new_drift_fails_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first"
    assert gate(first, capsys, "--drift", "string-ids", "--no-audit")[0] == 1
    baseline = tmp_path / "baseline.json"
    accept = ["baseline", "accept", str(first / "results"), "-o", str(baseline), "--reason", "ids as text: CHAT-1"]
    assert cli(accept, capsys)[0] == 0
    second = tmp_path / "second"
    code, out, _ = gate(
        second, capsys, "--drift", "string-ids", "--drift", "reverse-order", "--no-audit", "--baseline", str(baseline)
    )
    assert code == 1, out
    run = load_run(second / "results")
    failing = [f for f in run.findings if f.severity.rank >= 2 and f.fingerprint not in run.accepted]
    assert failing and all(f.kind == "order_only" for f in failing)
    assert run.accepted


def test_gate_against_an_unreachable_target_is_exit_3_with_results_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CM_PASSWORD", "whatever")
    config = tmp_path / "chatmigrate.toml"
    config.write_text(
        '[targets.old]\nbase_url = "http://127.0.0.1:9"\n'
        'auth = { kind = "session", username = "admin", password_env = "CM_PASSWORD" }\n'
        '[targets.new]\nbase_url = "http://127.0.0.1:9"\n'
        'auth = { kind = "token-endpoint", username = "admin", password_env = "CM_PASSWORD" }\n'
    )
    code, _, err = gate(tmp_path, capsys, "--config", str(config))
    assert code == 3
    assert err.strip().count("\n") <= 1 and "Traceback" not in err
    assert (tmp_path / "results" / "run.json").exists()


def test_gate_with_a_malformed_config_is_one_line_naming_the_file_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "chatmigrate.toml"
    config.write_text('[targets.new]\nbase_url = "http://127.0.0.1:9"\n[targets.old]\nbase_url = 3\n')
    code, _, err = gate(tmp_path, capsys, "--config", str(config))
    assert code == 2
    assert re.search(r"chatmigrate\.toml:4", err) and "base_url" in err and err.count("\n") == 1


def test_gate_refuses_embedded_switches_together_with_a_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "chatmigrate.toml"
    config.write_text("")
    code, _, err = gate(tmp_path, capsys, "--config", str(config), "--drift", "string-ids")
    assert code == 2 and "embedded" in err


def test_gate_report_json_is_the_run_that_was_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gate(tmp_path, capsys, "--drift", "reverse-order", "--no-audit")
    reported = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert reported["verdict"]["exit_code"] == 1 and reported["verdict"]["threshold"] == "medium"


def test_only_the_first_shard_of_a_gate_runs_the_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gate(tmp_path / "one", capsys, "--shard", "1/2")
    gate(tmp_path / "two", capsys, "--shard", "2/2")
    assert load_run(tmp_path / "one" / "results").audit
    assert not load_run(tmp_path / "two" / "results").audit


def test_a_missing_baseline_fails_before_any_request_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = gate(tmp_path, capsys, "--baseline", "nowhere.json")
    assert code == 2 and "nowhere.json" in err
    assert not (tmp_path / "results" / "exchanges.jsonl").exists()


def test_gate_passes_against_the_embedded_server_in_websocket_jwt_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = gate(tmp_path, capsys, "--ws-auth", "jwt")
    assert code == 0, out + err
    run = load_run(tmp_path / "results")
    assert any(result.tier == "ws" and result.status and result.status >= 4000 for result in run.audit)
