"""Run the real CLI entry point in-process: exit code, stdout and stderr, as a user would see them."""

from __future__ import annotations

import pytest

from chatmigrate.cli import main


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), out, err
