"""Integers and durations are range-checked when the config is loaded, not when the network is reached."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import ConfigFactory, cli

from chatmigrate.config import load_config
from chatmigrate.errors import ConfigError

OUT_OF_RANGE = [
    ("[run]\nconcurrency = 100000000000000000000\n", "run.concurrency", "expected an integer <= 1000"),
    ("[run]\nretries = 1000\n", "run.retries", "expected an integer <= 100"),
    ("[run]\nmax_body_bytes = 10\n", "run.max_body_bytes", "expected an integer >= 1024"),
    ('[run]\ntimeout = "30d"\n', "run.timeout", "expected a duration of at most 1h"),
    ("[audit]\nseed = 99999999999999999999999\n", "audit.seed", "expected an integer <= 4294967295"),
    ('[audit]\nleeway = "400d"\n', "audit.leeway", "expected a duration of at most 1d"),
    ("[gate]\nmax_findings = -1\n", "gate.max_findings", "expected an integer >= 0"),
    ("[compare]\nvalue_chars = 9223372036854775808\n", "compare.value_chars", "expected an integer <= 1000000"),
]


@pytest.mark.parametrize(("table", "key", "message"), OUT_OF_RANGE, ids=[key for _, key, _ in OUT_OF_RANGE])
def test_a_value_out_of_range_is_an_error_at_its_line(
    config_file: ConfigFactory, table: str, key: str, message: str
) -> None:
    path = config_file("http://127.0.0.1:9", extra=table)
    line = path.read_text().splitlines().index(table.splitlines()[1]) + 1
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    given = table.split(" = ")[1].strip().replace('"', "'")
    assert str(caught.value) == f"{path}:{line} key '{key}': {message}, got {given}"


def test_a_value_out_of_range_from_the_environment_names_the_variable(config_file: ConfigFactory) -> None:
    with pytest.raises(ConfigError, match=r"^environment variable CHATMIGRATE_RUN__REPEATS key 'run.repeats'"):
        load_config(config_file("http://127.0.0.1:9"), env={"CHATMIGRATE_RUN__REPEATS": "1000000"})


def test_the_command_line_stops_before_any_request_with_one_line_and_exit_2(
    config_file: ConfigFactory, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = config_file("http://127.0.0.1:9", extra="[run]\nconcurrency = 100000000000000000000\n")
    code, out, err = cli(["replay", "--config", str(path), "--results", str(tmp_path / "r")], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "key 'run.concurrency'" in err and f"{path}:" in err
    assert not (tmp_path / "r").exists()


def test_a_flag_out_of_range_names_the_flag(config_file: ConfigFactory, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["replay", "--config", str(config_file("http://127.0.0.1:9")), "--concurrency", "5000"], capsys)
    assert code == 2 and err.startswith("chatmigrate: error: command line (run.concurrency) key 'run.concurrency'")
