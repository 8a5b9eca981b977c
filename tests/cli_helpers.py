"""Run the real CLI entry point in-process: exit code, stdout and stderr, as a user would see them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from chatmigrate.cli import main

ConfigFactory = Callable[..., Path]
"""The ``config_file`` fixture: writes a chatmigrate.toml for a server (see tests/conftest.py)."""


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out, err
