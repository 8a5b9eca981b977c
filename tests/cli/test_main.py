"""The command line's promises that hold for every command: one-line errors and defined exit codes."""

from __future__ import annotations

import pytest
from cli_helpers import cli


def test_an_unknown_option_is_a_usage_error_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["serve", "--bogus"], capsys)
    assert code == 2
    assert "No such option: --bogus" in err and "Traceback" not in err and "internal error" not in err


def test_a_missing_option_value_is_a_usage_error_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["gate", "--drift"], capsys)
    assert code == 2 and "requires an argument" in err


def test_an_unknown_command_is_a_usage_error_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["cutover"], capsys)
    assert code == 2 and "No such command" in err


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["--help"], capsys)
    assert code == 0
    for command in ("gate", "replay", "audit", "report", "baseline", "corpus", "token", "serve"):
        assert command in out


def test_ctrl_c_inside_a_command_is_one_line_and_exit_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(path: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("chatmigrate.cli.corpus.load_har", interrupted)
    code, _, err = cli(["corpus", "from-har", "capture.har", "-o", "corpus.yaml"], capsys)
    assert code == 130
    assert err.strip() == "chatmigrate: interrupted; results gathered so far are kept"
