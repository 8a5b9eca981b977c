"""docs/configuration.md's key table is generated from the config models and cannot drift from them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chatmigrate.config import Config
from chatmigrate.config.reference import REGENERATE, keys, rendered

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_documented_key_table_is_the_one_the_models_generate() -> None:
    document = DOC.read_text(encoding="utf-8")
    assert rendered(document) == document, f"docs/configuration.md's key table is out of date: run {REGENERATE}"


def test_every_key_says_what_it_means() -> None:
    undocumented = [".".join(path) for path, info in keys() if not info.description]
    assert undocumented == []


def test_every_documented_key_is_one_the_loader_accepts() -> None:
    document = DOC.read_text(encoding="utf-8")
    assert all(f"| `{path[-1]}` |" in document for path, _ in keys())


def test_the_json_schema_holds_the_keys_a_user_writes_and_nothing_the_program_fills_in() -> None:
    run = Config.model_json_schema()["$defs"]["RunOptions"]["properties"]
    compare = Config.model_json_schema()["$defs"]["CompareOptions"]["properties"]
    assert "concurrency" in run and run["concurrency"]["description"] == "requests in flight per target"
    assert "schema_check" not in compare and "contracts" not in compare


def test_config_is_plain_data_at_the_bottom_of_the_import_graph() -> None:
    code = (
        "import sys, chatmigrate.config, chatmigrate.config.reference\n"
        "above = ('compare', 'noise', 'verdict', 'contracts', 'replay', 'audit', 'report', 'cli')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[1:2] and m.split('.')[1] in above))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
