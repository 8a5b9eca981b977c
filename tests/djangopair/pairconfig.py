"""The chatmigrate.toml a user would write for the Django pair: stock paths, secrets by file, no policies
declared beyond the principals the audit needs, and the principals the corpus is replayed as."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from djangopair.pair import INACTIVE_USER_ID, DjangoSite

from chatmigrate.cli import main
from chatmigrate.records import Finding, RunResult
from chatmigrate.results import load_run
from chatmigrate.vocab import Severity

ADMIN, NON_STAFF, SPARE = "admin", "viewer", "spare"


def write_config(site: DjangoSite, corpus: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    password, secret = site.password_file, site.secret_file
    text = f"""\
[targets.old]
base_url = "{site.base_url}"
auth = {{ kind = "session", username = "{ADMIN}", password_file = "{password}" }}

[targets.new]
base_url = "{site.base_url}"
auth = {{ kind = "token-endpoint", username = "{ADMIN}", password_file = "{password}", secret_file = "{secret}" }}

[run]
corpus = "{corpus}"
output_dir = "{folder / "results"}"

[audit]
inactive_user_id = {INACTIVE_USER_ID}
forbidden_principal = {{ username = "{NON_STAFF}", password_file = "{password}" }}
spare_principal = {{ username = "{SPARE}", password_file = "{password}" }}

[principals.support]
username = "support"
password_file = "{password}"

[principals.{NON_STAFF}]
username = "{NON_STAFF}"
password_file = "{password}"

[principals.deactivated]
username = "former"
password_file = "{password}"

[principals.anonymous]
anonymous = true
"""
    path = folder / "chatmigrate.toml"
    path.write_text(text)
    return path


@dataclass(frozen=True)
class GateRun:
    code: int
    result: RunResult

    def at_or_above(self, severity: Severity) -> list[Finding]:
        return [finding for finding in self.result.findings if finding.severity.rank >= severity.rank]


def run_gate(site: DjangoSite, corpus: Path, folder: Path) -> GateRun:
    """``chatmigrate gate --config …`` in-process, as a user runs it; its exit code and its run.json."""
    config = write_config(site, corpus, folder)
    with pytest.raises(SystemExit) as exited:
        main(["gate", "--config", str(config), "--out", str(folder / "reports"), "--no-progress"])
    code = exited.value.code
    return GateRun(code if isinstance(code, int) else 0, load_run(folder / "results"))


def outline(findings: list[Finding]) -> list[str]:
    """One line per finding, to read in a failed assertion."""
    return [f"{finding.check} | {finding.kind} | {finding.severity} | {finding.title}" for finding in findings]
