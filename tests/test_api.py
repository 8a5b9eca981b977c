"""The public library API: what ``import chatmigrate`` offers, that it is cheap to import, and that its runs
come back judged, with errors that carry the exit code the CLI would give."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import chatmigrate
from chatmigrate import api
from chatmigrate.corpus import load_corpus
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.vocab import ExitCode

REQUIRED = {"run_gate", "run_parity", "run_audit", "load_config", "RunResult", "Finding", "Verdict", "exit_code_of"}
ERRORS = {"ChatmigrateError", "ConfigError", "CorpusError", "Interrupted", "ResultsError", "TargetError", "UsageError"}
SUBSET = ("chat-list", "room-1-recent_messages")
REPO = Path(chatmigrate.__file__).resolve().parent.parent


def test_the_api_exports_exactly_what_it_defines_and_the_package_offers_the_same() -> None:
    defined = {name for name in vars(api) if not name.startswith("_")} - {"annotations"}  # the __future__ import
    assert set(api.__all__) == defined
    assert chatmigrate.__all__ == api.__all__


def test_the_runs_the_result_types_and_every_error_are_public() -> None:
    assert set(chatmigrate.__all__) >= REQUIRED | ERRORS
    assert all(issubclass(getattr(chatmigrate, name), chatmigrate.ChatmigrateError) for name in ERRORS)


def test_all_is_sorted() -> None:
    assert chatmigrate.__all__ == sorted(chatmigrate.__all__)


def test_every_exported_name_is_the_api_object() -> None:
    assert all(getattr(chatmigrate, name) is getattr(api, name) for name in chatmigrate.__all__)


def test_an_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'run_everything'"):
        _ = chatmigrate.run_everything  # type: ignore[attr-defined]


def test_importing_the_package_loads_none_of_its_modules() -> None:
    script = "import sys, chatmigrate; print(sorted(m for m in sys.modules if m.startswith('chatmigrate')))"
    loaded = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "['chatmigrate']"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (chatmigrate.UsageError("bad flag"), ExitCode.USAGE),
        (chatmigrate.ConfigError("bad key"), ExitCode.USAGE),
        (chatmigrate.CorpusError("bad entry"), ExitCode.USAGE),
        (chatmigrate.ResultsError("foreign folder"), ExitCode.USAGE),
        (chatmigrate.TargetError("connection refused"), ExitCode.TRANSPORT),
        (chatmigrate.Interrupted(), ExitCode.INTERRUPTED),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (RuntimeError("a bug"), ExitCode.USAGE),
    ],
    ids=lambda value: type(value).__name__,
)
def test_each_error_maps_to_its_exit_code_in_one_place(error: BaseException, code: ExitCode) -> None:
    assert chatmigrate.exit_code_of(error) == code


def write_config(tmp_path: Path, server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch) -> chatmigrate.Config:
    monkeypatch.setenv("CM_API_PASSWORD", server.config.password)
    auth = 'username = "admin", password_env = "CM_API_PASSWORD"'
    corpus = tmp_path / "corpus.jsonl"
    entries = [entry for entry in load_corpus() if entry.id in SUBSET]
    corpus.write_text("".join(json.dumps({"id": e.id, "query": e.query}) + "\n" for e in entries))
    path = tmp_path / "chatmigrate.toml"
    path.write_text(
        f'[run]\ncorpus = "{corpus}"\noutput_dir = "{tmp_path / "results"}"\n\n'
        f"[compare]\nlatency_floor_ms = 60000\n\n[audit]\nbudget = 0\ncontract = false\n\n"
        f'[targets.old]\nbase_url = "{server.base_url}"\nauth = {{ kind = "session", {auth} }}\n\n'
        f'[targets.new]\nbase_url = "{server.base_url}"\nauth = {{ kind = "token-endpoint", {auth} }}\n'
    )
    return chatmigrate.load_config(path)


def test_run_parity_returns_a_judged_result_and_writes_it(
    server: EmbeddedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = chatmigrate.run_parity(write_config(tmp_path, server, monkeypatch))
    assert outcome.verdict.exit_code == ExitCode.OK
    assert chatmigrate.load_run(outcome.results_dir).verdict == outcome.verdict
    assert sorted(outcome.result.entries) == sorted(SUBSET)


def test_run_audit_returns_a_judged_result_with_the_audits_counts(
    server: EmbeddedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, server, monkeypatch)
    options = chatmigrate.audit_options_from_config(config, cases=frozenset({"hdr-no-authorization"}))
    outcome = chatmigrate.run_audit(config, chatmigrate.target_from_config(config), options, formats=())
    assert outcome.verdict.exit_code == ExitCode.OK and outcome.reports == []
    assert outcome.audit is not None and outcome.audit.results == outcome.result.audit
    assert {result.case_id for result in outcome.result.audit} == {"hdr-no-authorization"}


def test_run_gate_appends_the_step_summary_only_when_asked(
    server: EmbeddedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, server, monkeypatch)
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    chatmigrate.run_gate(config, None, reports_dir=tmp_path / "quiet", formats=["json"])
    assert not summary.exists()
    outcome = chatmigrate.run_gate(config, None, reports_dir=tmp_path / "ci", formats=["json"], step_summary=summary)
    assert summary.read_text(encoding="utf-8").startswith(f"# chatmigrate: PASSED (exit {outcome.verdict.exit_code})")
