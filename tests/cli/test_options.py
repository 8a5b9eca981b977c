"""One CLI convention: shared options mean the same everywhere, and every keyed option is a config key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from cli_helpers import cli

from chatmigrate import __version__
from chatmigrate.cli import app, main
from chatmigrate.cli._options import OPTION_KEYS, OVERRIDES
from chatmigrate.config.reference import cli_option, keys
from chatmigrate.errors import ConfigError

RUNNING = ("replay", "gate", "audit", "shadow")
"""Commands that send requests to targets."""
JUDGING = (*RUNNING, "merge")
REPORTING = ("gate", "audit", "merge", "report", "shadow")
SHARED_BY_RUNNING = ("--config", "--results", "--progress", "--fail-on", "--debug", "--set")
SHARED_BY_JUDGING = ("--config", "--fail-on", "--max-findings", "--baseline", "--debug")


def commands() -> dict[str, Any]:
    """Every leaf command by its full name (``corpus generate``)."""
    found: dict[str, Any] = {}

    def walk(group: Any, prefix: str) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, f"{prefix}{name} ")
            else:
                found[f"{prefix}{name}"] = command

    walk(typer.main.get_command(app), "")
    return found


def option_names(command: Any) -> dict[str, Any]:
    """The command's options by every name they answer to (typer bundles its own click)."""
    return {name: param for param in command.params if param.param_type_name == "option" for name in param.opts}


@pytest.mark.parametrize("name", RUNNING)
def test_every_command_that_runs_something_takes_the_shared_options(name: str) -> None:
    missing = [option for option in SHARED_BY_RUNNING if option not in option_names(commands()[name])]
    assert missing == []


@pytest.mark.parametrize("name", JUDGING)
def test_every_command_that_judges_takes_the_gate_options(name: str) -> None:
    missing = [option for option in SHARED_BY_JUDGING if option not in option_names(commands()[name])]
    assert missing == []


@pytest.mark.parametrize("name", REPORTING)
def test_out_is_the_reports_folder_wherever_it_exists(name: str) -> None:
    option = option_names(commands()[name])["--out"]
    assert "-o" in option.opts and "report" in (option.help or "").lower()


def test_results_is_the_results_folder_everywhere() -> None:
    for name, command in commands().items():
        option = option_names(command).get("--results")
        if option is not None:
            assert "results" in (option.help or "").lower(), name
            assert "-o" not in option.opts, name


def test_every_keyed_option_sets_a_config_key_that_declares_it() -> None:
    declared = {cli_option(info): ".".join(path) for path, info in keys() if cli_option(info)}
    assert declared == OPTION_KEYS


def test_every_option_named_like_a_keyed_one_is_the_shared_keyed_option() -> None:
    """``serve`` is exempt: it configures the reference server (``--seed`` seeds its data), not a run."""
    for name, command in commands().items():
        if name == "serve":
            continue
        for option_name, option in option_names(command).items():
            if option_name in OPTION_KEYS:
                assert option.callback is not None, f"{name} {option_name} is not the shared option"


def test_every_config_key_with_an_option_is_offered_by_some_command() -> None:
    offered = {option for command in commands().values() for option in option_names(command)}
    assert sorted(set(OPTION_KEYS) - offered) == []


def test_a_command_line_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    context = commands()["replay"].make_context("replay", ["--baseline", "bl.json", "--corpus", "c.yaml"])
    assert context.meta[OVERRIDES] == {
        "gate.baseline": str(tmp_path / "bl.json"),
        "run.corpus": str(tmp_path / "c.yaml"),
    }


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_help_ends_with_real_examples(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli([*name.split(), "--help"], capsys)
    tail = out.rstrip().split("Examples:")[-1].strip().splitlines()
    assert code == 0 and "Examples:" in out
    assert 2 <= len(tail) <= 3 and all(line.strip().startswith("chatmigrate ") for line in tail)


def test_version_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["--version"], capsys)[:2] == (0, f"chatmigrate {__version__}\n")


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_before_or_after_the_subcommand_shows_the_traceback(where: str) -> None:
    args = ["corpus", "validate", "missing.yaml"]
    with pytest.raises(ConfigError, match="cannot read corpus"):
        main(["--debug", *args] if where == "before" else [*args, "--debug"])


def test_without_debug_the_same_error_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["corpus", "validate", "missing.yaml"], capsys)
    assert code == 2 and err == "chatmigrate: error: missing.yaml: cannot read corpus: No such file or directory\n"


def test_a_usage_error_is_exit_2_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["replay", "--concurrency", "many"], capsys)
    assert code == 2 and "Traceback" not in err


def test_the_old_replay_out_option_is_refused_not_reinterpreted(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["replay", "--out", "results"], capsys)
    assert code == 2 and "No such option: --out" in err
