"""The pytest plugin: ``pytest --chatmigrate-config ...`` adds one test per corpus entry and per audit case.

Each test runs an inner pytest in-process (``pytester``) in an empty folder, against the
embedded reference server the plugin starts (``embedded``) or against the ``server``
fixture through a config file. A small corpus and an audit without mutation or contract
run keep the inner runs short.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpcore  # noqa: F401  (see below)
import pytest

import chatmigrate
from chatmigrate import baseline
from chatmigrate.corpus import load_corpus
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.report import load_run

pytest_plugins = ["pytester"]
# In-process inner runs drop the modules first imported inside them, and httpx caches httpcore's
# exception classes on first use: httpcore imported here stays one module for every inner run.

ENTRIES = ("chat-list", "room-1-recent_messages", "room-1-purchases_list", "room-2-recent_messages")
RECENT = ("room-1-recent_messages", "room-2-recent_messages")
PASSWORD = "plugin-test-password-0d1e"
SIGNING_KEY = "plugin-test-signing-key-7f3a9c-0b4d2e"
SIGNED_TOKEN = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{16,}")
HEAVY = ("httpx", "starlette", "schemathesis", "hypothesis", "jinja2", "websockets", "uvicorn", "jsonschema")


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project folder with a four-entry corpus; the embedded server reads it from the environment."""
    entries = [entry for entry in load_corpus() if entry.id in ENTRIES]
    corpus = pytester.path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": e.id, "query": e.query}) + "\n" for e in entries))
    for name in ("CHATMIGRATE_CONFIG", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHATMIGRATE_RUN__CORPUS", str(corpus))
    monkeypatch.setenv("CHATMIGRATE_AUDIT__BUDGET", "0")
    monkeypatch.setenv("CHATMIGRATE_AUDIT__CONTRACT", "false")
    monkeypatch.setenv("CHATMIGRATE_COMPARE__LATENCY_FLOOR_MS", "60000")
    monkeypatch.setenv("CHATMIGRATE_PASSWORD", PASSWORD)
    monkeypatch.setenv("CHATMIGRATE_JWT_SECRET", SIGNING_KEY)
    return pytester


def outcomes(reports: pytest.HookRecorder) -> dict[str, str]:
    """Node id -> passed / failed / skipped, for every test that ran."""
    return {
        report.nodeid: report.outcome
        for report in reports.getreports("pytest_runtest_logreport")
        if report.when == "call" or report.outcome != "passed"
    }


def test_without_the_option_the_plugin_adds_nothing(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_own="def test_own(): pass")
    result = inner.runpytest("--collect-only", "-q")
    assert result.ret == 0
    assert [line for line in result.outlines if "::" in line] == ["test_own.py::test_own"]


def test_the_entry_point_imports_nothing_heavy() -> None:
    """Every pytest run of a project with chatmigrate installed imports it, whether it uses chatmigrate or not."""
    script = f"import sys, chatmigrate.pytest_plugin; print([m for m in {HEAVY!r} if m in sys.modules])"
    repo = Path(chatmigrate.__file__).resolve().parent.parent
    loaded = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_one_test_per_corpus_entry_and_per_audit_case_with_readable_ids(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--chatmigrate-config", "embedded", "--collect-only", "-q")
    ids = [line for line in result.outlines if line.startswith("chatmigrate::")]
    assert [i for i in ids if i.startswith("chatmigrate::parity::")] == [f"chatmigrate::parity::{e}" for e in ENTRIES]
    assert "chatmigrate::audit::hdr-no-authorization[new]" in ids
    assert "chatmigrate::audit::hdr-no-authorization[proxy]" in ids
    assert {"chatmigrate::parity-run", "chatmigrate::audit-run"} <= set(ids)


def test_tests_belong_to_no_file_so_any_folder_collects_them(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(inner.mkdir("no-tests-here"))
    result = inner.runpytest("--chatmigrate-config", "embedded", "--collect-only", "-q")
    assert result.ret == 0
    assert "chatmigrate::parity::chat-list" in result.outlines


def test_markers_select_parity_or_audit_tests(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--chatmigrate-config", "embedded", "--collect-only", "-q", "-m", "chatmigrate_audit")
    ids = [line for line in result.outlines if line.startswith("chatmigrate::")]
    assert ids and all(i.startswith(("chatmigrate::audit::", "chatmigrate::audit-run")) for i in ids)


def test_the_clean_embedded_server_passes_every_test(inner: pytest.Pytester) -> None:
    reports = inner.inline_run("--chatmigrate-config", "embedded")
    seen = outcomes(reports)
    assert "failed" not in seen.values()
    assert seen["chatmigrate::parity::room-1-recent_messages"] == "passed"
    assert seen["chatmigrate::audit::hdr-no-authorization[new]"] == "passed"


def test_a_drift_fails_the_entries_that_show_it_and_only_those(inner: pytest.Pytester) -> None:
    reports = inner.inline_run(
        "--chatmigrate-config", "embedded", "--chatmigrate-drift", "rename-field", "-m", "chatmigrate_parity"
    )
    seen = outcomes(reports)
    failed = {nodeid for nodeid, outcome in seen.items() if outcome == "failed"}
    assert failed == {f"chatmigrate::parity::{entry}" for entry in RECENT}
    assert seen["chatmigrate::parity::room-1-purchases_list"] == "passed"


def test_a_failing_entry_shows_the_finding_title_and_path(inner: pytest.Pytester) -> None:
    result = inner.runpytest(
        "--chatmigrate-config", "embedded", "--chatmigrate-drift", "rename-field", "-k", "room-2-recent_messages"
    )
    result.stdout.fnmatch_lines(
        [
            "*entry room-2-recent_messages: * finding(s) at or above medium*",
            "*body: $.messages[[]*[]].message missing on new*",
            "*path $.messages[[]*[]].message*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_flaw_fails_the_audit_case_that_catches_it_with_a_reproducer(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--chatmigrate-config", "embedded", "--chatmigrate-flaw", "alg-none", "-k", "alg-none")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*curl*", "FAILED chatmigrate::audit::sig-alg-none-variants[[]new[]]*"])


def test_no_password_or_signing_key_appears_in_the_output(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--chatmigrate-config", "embedded", "--chatmigrate-flaw", "echo-token", "-rA")
    assert result.ret == 1
    output = result.stdout.str() + result.stderr.str()
    assert PASSWORD not in output and SIGNING_KEY not in output
    assert not SIGNED_TOKEN.search(output)


def test_only_the_selected_entries_are_replayed(inner: pytest.Pytester) -> None:
    inner.inline_run("--chatmigrate-config", "embedded", "-k", "room-1-recent_messages")
    replayed = load_run(inner.path / "results").entries
    assert sorted(replayed) == sorted(
        f"room-1-recent_messages{name}" for name in ("", "@anonymous", "@deactivated", "@support", "@viewer")
    )


def test_findings_accepted_by_the_baseline_do_not_fail(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    drifted = ("--chatmigrate-config", "embedded", "--chatmigrate-drift", "rename-field", "-m", "chatmigrate_parity")
    assert "failed" in outcomes(inner.inline_run(*drifted)).values()
    accepted = inner.path / "baseline.json"
    baseline.save(baseline.accept(load_run(inner.path / "results"), "renamed on purpose"), accepted)
    monkeypatch.setenv("CHATMIGRATE_GATE__BASELINE", str(accepted))
    assert "failed" not in outcomes(inner.inline_run(*drifted)).values()


def test_a_config_error_is_one_clean_collection_error(inner: pytest.Pytester) -> None:
    auth = 'auth = { kind = "bearer", token_env = "PLUGIN_TEST_TOKEN" }'
    (inner.path / "chatmigrate.toml").write_text(
        f'[targets.old]\nbase_url = "not a url"\n{auth}\n[targets.new]\nbase_url = "http://127.0.0.1:9"\n{auth}\n'
    )
    result = inner.runpytest("--chatmigrate-config", "chatmigrate.toml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting chatmigrate*", "chatmigrate: *chatmigrate.toml:2*base_url*"])
    assert "Traceback" not in result.stdout.str()


def test_drifts_need_the_embedded_server(inner: pytest.Pytester) -> None:
    (inner.path / "chatmigrate.toml").write_text("")
    result = inner.runpytest("--chatmigrate-config", "chatmigrate.toml", "--chatmigrate-drift", "rename-field")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["chatmigrate: error: --chatmigrate-drift and --chatmigrate-flaw *embedded*"])


def test_a_config_file_runs_parity_and_audit_against_its_targets(
    inner: pytest.Pytester, server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLUGIN_TEST_PASSWORD", server.config.password)
    auth = 'username = "admin", password_env = "PLUGIN_TEST_PASSWORD"'
    config = inner.path / "chatmigrate.toml"
    config.write_text(
        f'[targets.old]\nbase_url = "{server.base_url}"\nauth = {{ kind = "session", {auth} }}\n\n'
        f'[targets.new]\nbase_url = "{server.base_url}"\nauth = {{ kind = "token-endpoint", {auth} }}\n'
    )
    reports = inner.inline_run("--chatmigrate-config", str(Path(config.name)))
    seen = outcomes(reports)
    assert "failed" not in seen.values()
    assert seen["chatmigrate::parity::room-1-recent_messages"] == "passed"
    assert seen["chatmigrate::audit::hdr-no-authorization[new]"] == "passed"
    assert not any(nodeid.endswith("[proxy]") for nodeid in seen)


def test_an_unreachable_target_fails_its_tests_with_one_line_each(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("PLUGIN_TEST_PASSWORD", "unused")
    auth = 'username = "admin", password_env = "PLUGIN_TEST_PASSWORD"'
    (inner.path / "chatmigrate.toml").write_text(
        f'[targets.old]\nbase_url = "{closed}"\nauth = {{ kind = "session", {auth} }}\n\n'
        f'[targets.new]\nbase_url = "{closed}"\nauth = {{ kind = "token-endpoint", {auth} }}\n'
    )
    result = inner.runpytest("--chatmigrate-config", "chatmigrate.toml", "-k", "chat-list or parity-run")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["entry 'chat-list' was not replayed: target failed at the transport level: *"])
    assert "Traceback" not in result.stdout.str()


def test_an_internal_error_is_one_line_naming_its_type_not_a_traceback(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("replay exploded\nsecond line")

    monkeypatch.setattr("chatmigrate.api.run_parity", broken)
    result = inner.runpytest("--chatmigrate-config", "embedded", "-k", "chat-list")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["chatmigrate: internal error: RuntimeError: replay exploded (rerun with --full-trace*"]
    )
    assert "Traceback" not in result.stdout.str() and "second line" not in result.stdout.str()


def test_an_audit_case_that_cannot_apply_is_skipped_with_its_reason(
    inner: pytest.Pytester, server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLUGIN_TEST_PASSWORD", server.config.password)
    auth = 'username = "admin", password_env = "PLUGIN_TEST_PASSWORD"'
    (inner.path / "chatmigrate.toml").write_text(
        f'[targets.old]\nbase_url = "{server.base_url}"\nauth = {{ kind = "session", {auth} }}\n\n'
        f'[targets.new]\nbase_url = "{server.base_url}"\nauth = {{ kind = "token-endpoint", {auth} }}\n'
    )
    result = inner.runpytest("--chatmigrate-config", "chatmigrate.toml", "-k", "claim-exp-past", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED *not-applicable: *"])


def test_a_finding_seen_only_as_a_further_principal_fails_the_entry_sent_as_them(inner: pytest.Pytester) -> None:
    run = inner.inline_run(
        "--chatmigrate-config", "embedded", "--chatmigrate-flaw", "non-staff-any-room", "-k", "chat-list"
    )
    assert outcomes(run) == {"chatmigrate::parity::chat-list": "failed"}
