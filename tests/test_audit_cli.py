"""``chatmigrate audit``: listing, usage errors, exit codes and the results file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatmigrate.audit.catalogue import CASES, GENERATED
from chatmigrate.cli import main
from chatmigrate.records import RunResult, from_dict


@pytest.fixture(autouse=True)
def _no_config_around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No chatmigrate.toml is discovered: the command starts its own embedded server."""
    monkeypatch.chdir(tmp_path)
    for name in ("CHATMIGRATE_CONFIG", "CHATMIGRATE_PASSWORD", "CHATMIGRATE_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


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


def test_flaws_cannot_be_combined_with_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "chatmigrate.toml"
    config.write_text("")
    code, _, err = cli(["audit", "--config", str(config), "--flaw", "alg-none"], capsys)
    assert code == 2 and "--flaw" in err


def test_a_flawed_embedded_server_fails_with_exit_1_and_writes_run_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["audit", "--flaw", "alg-none", "--target", "new", "--no-contract", "--budget", "0", "-o", str(tmp_path)]
    code, out, _ = cli(args, capsys)
    assert code == 1
    assert out.startswith("audit FAILED: ") and out.count("\n") == 1
    run = from_dict(RunResult, json.loads((tmp_path / "run.json").read_text()))
    assert run.verdict is not None and not run.verdict.passed
    assert any(f.subject == "sig-alg-none-variants" and f.severity.value == "critical" for f in run.findings)
    assert {result.tier for result in run.audit} == {"new"}


def test_a_clean_embedded_server_passes_with_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["audit", "--budget", "10", "-o", str(tmp_path)], capsys)
    assert code == 0 and out.startswith("audit passed: ")
    run = from_dict(RunResult, json.loads((tmp_path / "run.json").read_text()))
    assert {target.side for target in run.targets} == {"new", "old", "proxy", "ws"}
    assert len(run.audit) > len(CASES)


def test_strict_websocket_policy_fails_the_url_mode_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["audit", "--target", "ws", "--ws-url-strict", "--case", "ws-impersonate-url", "-o", str(tmp_path)]
    code, out, _ = cli(args, capsys)
    assert code == 1 and "1 high" in out
