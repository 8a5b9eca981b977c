"""pytest plugin: ``pytest --chatmigrate-config chatmigrate.toml`` adds parity and audit tests."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chatmigrate")
    group.addoption("--chatmigrate-config", default=None, metavar="FILE",
                    help="chatmigrate config: collect one test per corpus entry and per audit case.")
