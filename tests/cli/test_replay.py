"""``chatmigrate replay`` and ``chatmigrate corpus``: one line out, results on disk, exit 0/1/2/3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import ConfigFactory, cli
from server_wire import ServerFactory

from chatmigrate.corpus import load_corpus
from chatmigrate.embedded import EmbeddedServer

SUBSET = ("chat-list", "room-1-recent_messages", "room-2-purchases_list", "unknown-chatroom-recent_messages")
QUIET_LATENCY = ["--set", "compare.latency_floor_ms=60000"]


@pytest.fixture
def secrets_env(server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CM_TEST_PASSWORD", server.config.password)


def write_corpus(path: Path) -> Path:
    entries = [entry for entry in load_corpus() if entry.id in SUBSET]
    path.write_text("".join(json.dumps({"id": e.id, "query": e.query, "tags": e.tags}) + "\n" for e in entries))
    return path


def replay_args(config_file: ConfigFactory, tmp_path: Path, server: EmbeddedServer, *extra: str) -> list[str]:
    config = config_file(server)
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    return ["replay", "--config", str(config), "--corpus", str(corpus), "--results", str(tmp_path / "out"), *extra]


@pytest.mark.usefixtures("secrets_env")
def test_replay_writes_exchanges_and_run_json_and_prints_one_line(
    config_file: ConfigFactory, server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(replay_args(config_file, tmp_path, server, *QUIET_LATENCY), capsys)
    assert code == 0
    assert out.count("\n") == 1 and out.startswith("replay passed: 4 entries")
    assert "as old=admin new=admin" in out
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["verdict"]["exit_code"] == 0 and sorted(run["entries"]) == sorted(SUBSET)
    assert len((tmp_path / "out" / "exchanges.jsonl").read_text().splitlines()) == 16


@pytest.mark.usefixtures("secrets_env")
def test_replay_exits_1_when_the_new_side_drifts(
    config_file: ConfigFactory, server_with: ServerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(replay_args(config_file, tmp_path, server_with(drifts=("rename-field",))), capsys)
    assert code == 1 and out.startswith("replay FAILED")


@pytest.mark.usefixtures("secrets_env")
def test_resume_sends_nothing_for_a_complete_run(
    config_file: ConfigFactory, server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(replay_args(config_file, tmp_path, server, "--shard", "1/2", *QUIET_LATENCY), capsys)
    code, out, _ = cli(replay_args(config_file, tmp_path, server, "--shard", "1/2", "--resume", *QUIET_LATENCY), capsys)
    assert code == 0 and "0 new exchanges" in out


@pytest.mark.usefixtures("secrets_env")
def test_a_malformed_config_exits_2_naming_file_line_and_key(
    config_file: ConfigFactory, server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_file(server, extra='[run]\nconcurrency = "many"\n')
    code, out, err = cli(["replay", "--config", str(config)], capsys)
    assert (code, out) == (2, "")
    assert err == f"chatmigrate: error: {config}:10 key 'run.concurrency': expected an integer, got 'many'\n"


def test_a_literal_password_exits_2_without_echoing_it(
    config_file: ConfigFactory, server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_file(server)
    config.write_text(config.read_text().replace('password_env = "CM_TEST_PASSWORD"', 'password = "s3cr3t-pw"', 1))
    code, _, err = cli(["replay", "--config", str(config)], capsys)
    assert code == 2 and "use password_env" in err and "s3cr3t-pw" not in err and err.count("\n") == 1


@pytest.mark.usefixtures("secrets_env")
def test_a_malformed_corpus_exits_2_naming_file_line_and_key(
    config_file: ConfigFactory, server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus.yaml"
    corpus.write_text("version: 1\nentries:\n  - id: a\n    methd: GET\n")
    config = config_file(server)
    code, _, err = cli(["replay", "--config", str(config), "--corpus", str(corpus)], capsys)
    assert code == 2 and err.startswith(f"chatmigrate: error: {corpus}:4 key 'entries[0].methd'")


@pytest.mark.usefixtures("secrets_env")
def test_a_bad_flag_value_names_the_flag(
    config_file: ConfigFactory, server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(replay_args(config_file, tmp_path, server, "--set", "run.repeats=twice"), capsys)
    assert code == 2 and "command line (run.repeats)" in err


@pytest.mark.usefixtures("secrets_env")
def test_unsafe_entries_against_a_configured_target_need_allow_writes(
    config_file: ConfigFactory, server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "send", "method": "POST", "path": "/api/v1/chat/send/", "body": {"chatroom_id": 1}}\n')
    config = config_file(server)
    code, _, err = cli(["replay", "--config", str(config), "--corpus", str(corpus), "--results", str(tmp_path)], capsys)
    assert code == 2 and "--allow-writes" in err


def test_without_a_config_the_embedded_server_is_replayed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    code, out, err = cli(["replay", "--corpus", str(corpus), *QUIET_LATENCY], capsys)
    assert code == 0 and "embedded reference server" in err
    assert "old=admin new=admin proxy=admin" in out and (tmp_path / "results" / "run.json").exists()


def test_corpus_validate_counts_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["corpus", "validate", str(write_corpus(tmp_path / "corpus.jsonl"))], capsys)
    assert code == 0 and "4 entries, valid" in out


def test_corpus_validate_of_a_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nentries:\n  - id: a\n  - id: a\n")
    code, _, err = cli(["corpus", "validate", str(bad)], capsys)
    assert code == 2 and f"{bad}:4 key 'entries[1].id': duplicate id 'a'" in err


@pytest.mark.usefixtures("secrets_env")
def test_corpus_generate_from_a_server_writes_a_valid_corpus(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "generated.yaml"
    args = [
        "corpus",
        "generate",
        "--from-server",
        server.base_url,
        "-o",
        str(out),
        "--auth",
        "token-endpoint",
        "--username",
        "admin",
        "--password-env",
        "CM_TEST_PASSWORD",
        "--path",
        "/api/v1/admin/chat/",
    ]
    code, stdout, _ = cli(args, capsys)
    assert code == 0 and stdout.startswith("wrote 39 entries")
    assert {entry.path for entry in load_corpus(out)} == {"/admin/chat/"}


def test_corpus_generate_needs_a_secret_reference(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["corpus", "generate", "--from-server", server.base_url, "-o", str(tmp_path / "c.yaml")]
    code, _, err = cli([*args, "--username", "admin"], capsys)
    assert code == 2 and "needs password_env or password_file" in err
