"""The results folder: outputs never clobber, and ``--resume`` appends only to a journal chatmigrate wrote.

Refusals are exit 2 with one line, and the file found at the path is left byte-for-byte as it was.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from cli_helpers import ConfigFactory, cli
from report_samples import failing_run

from chatmigrate import report
from chatmigrate.config import Config
from chatmigrate.corpus import load_corpus
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ResultsError
from chatmigrate.records import CorpusEntry
from chatmigrate.replay import ReplayOptions, run_replay, targets_from_config
from chatmigrate.results import EXCHANGES_FILE, MANIFEST_FILE, RUN_FILE, is_ours, load_run, write_run
from chatmigrate.vocab import ExitCode

SUBSET = ("chat-list", "room-1-recent_messages")
RANDOM_BYTES = random.Random(7).randbytes(4096)
FOREIGN_JSONL = b'{"level": "info", "msg": "service started"}\n{"level": "warn", "msg": "disk at 91%"}\n'


def subset() -> list[CorpusEntry]:
    return [entry for entry in load_corpus() if entry.id in SUBSET]


def replay(server: EmbeddedServer, out: Path, *, resume: bool = False) -> None:
    targets = targets_from_config(Config.embedded(server))
    run_replay(subset(), targets, out, ReplayOptions(resume=resume))


def replay_cli(config_file: ConfigFactory, server: EmbeddedServer, tmp_path: Path, out: Path, *extra: str) -> list[str]:
    config = config_file(server)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": e.id, "query": e.query}) + "\n" for e in subset()))
    return ["replay", "--config", str(config), "--corpus", str(corpus), "--results", str(out), *extra]


@pytest.fixture
def secrets_env(server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CM_TEST_PASSWORD", server.config.password)


def outside_file(tmp_path: Path) -> Path:
    victim = tmp_path / "elsewhere" / "precious.txt"
    victim.parent.mkdir()
    victim.write_bytes(b"not chatmigrate's to overwrite\n")
    return victim


def test_a_run_json_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = outside_file(tmp_path)
    results = tmp_path / "results"
    write_run(failing_run(), results)
    (results / RUN_FILE).unlink()
    (results / RUN_FILE).symlink_to(victim)
    with pytest.raises(ResultsError, match="symlink") as refused:
        write_run(failing_run(), results)
    assert refused.value.exit_code == ExitCode.USAGE
    assert victim.read_bytes() == b"not chatmigrate's to overwrite\n"


def test_a_report_that_is_a_symlink_is_refused_by_the_cli_and_its_target_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = outside_file(tmp_path)
    results, out = tmp_path / "results", tmp_path / "reports"
    write_run(failing_run(), results)
    out.mkdir()
    (out / "report.html").symlink_to(victim)
    code, _, err = cli(["report", str(results), "--out", str(out)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "report.html: is a symlink" in err
    assert victim.read_bytes() == b"not chatmigrate's to overwrite\n"


def test_a_directory_where_run_json_goes_is_refused(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_run(failing_run(), results)
    (results / RUN_FILE).unlink()
    (results / RUN_FILE).mkdir()
    with pytest.raises(ResultsError, match="not a regular file"):
        write_run(failing_run(), results)


def test_whole_files_are_renamed_into_place_leaving_no_temp_files(tmp_path: Path) -> None:
    write_run(failing_run(), tmp_path)
    written = report.render(failing_run(), tmp_path, report.FORMATS)
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted([MANIFEST_FILE, RUN_FILE, *(path.name for path in written)])
    assert len(load_run(tmp_path).findings) == len(failing_run().findings)


@pytest.mark.usefixtures("secrets_env")
@pytest.mark.parametrize("content", [RANDOM_BYTES, FOREIGN_JSONL], ids=["random-bytes", "foreign-jsonl"])
def test_replay_resume_refuses_a_file_it_did_not_write_with_exit_2_and_leaves_it_intact(
    config_file: ConfigFactory,
    server: EmbeddedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / EXCHANGES_FILE).write_bytes(content)
    code, _, err = cli(replay_cli(config_file, server, tmp_path, out, "--resume"), capsys)
    assert code == 2
    assert err.count("\n") == 1 and "not a chatmigrate results folder" in err and "left untouched" in err
    assert (out / EXCHANGES_FILE).read_bytes() == content
    assert sorted(path.name for path in out.iterdir()) == [EXCHANGES_FILE]


@pytest.mark.parametrize("content", [RANDOM_BYTES, FOREIGN_JSONL], ids=["random-bytes", "foreign-jsonl"])
def test_resume_refuses_a_corrupt_journal_in_a_chatmigrate_folder(
    server: EmbeddedServer, tmp_path: Path, content: bytes
) -> None:
    replay(server, tmp_path)
    (tmp_path / EXCHANGES_FILE).write_bytes(content)
    with pytest.raises(ResultsError, match="corrupt or not chatmigrate's"):
        replay(server, tmp_path, resume=True)
    assert (tmp_path / EXCHANGES_FILE).read_bytes() == content


def test_resume_refuses_a_journal_with_a_foreign_line_in_the_middle(server: EmbeddedServer, tmp_path: Path) -> None:
    replay(server, tmp_path)
    lines = (tmp_path / EXCHANGES_FILE).read_bytes().splitlines(keepends=True)
    spliced = b"".join([*lines[:2], FOREIGN_JSONL, *lines[2:]])
    (tmp_path / EXCHANGES_FILE).write_bytes(spliced)
    with pytest.raises(ResultsError, match=r"exchanges.jsonl:3: not an exchange record"):
        replay(server, tmp_path, resume=True)
    assert (tmp_path / EXCHANGES_FILE).read_bytes() == spliced


@pytest.mark.parametrize("resume", [True, False], ids=["resumed", "fresh"])
def test_a_symlinked_journal_is_refused_and_its_target_untouched(
    server: EmbeddedServer, tmp_path: Path, resume: bool
) -> None:
    victim = outside_file(tmp_path)
    out = tmp_path / "out"
    replay(server, out)
    (out / EXCHANGES_FILE).unlink()
    (out / EXCHANGES_FILE).symlink_to(victim)
    with pytest.raises(ResultsError, match="symlink"):
        replay(server, out, resume=resume)
    assert victim.read_bytes() == b"not chatmigrate's to overwrite\n"


def test_a_fresh_run_refuses_a_folder_holding_results_it_did_not_write(server: EmbeddedServer, tmp_path: Path) -> None:
    (tmp_path / EXCHANGES_FILE).write_bytes(FOREIGN_JSONL)
    with pytest.raises(ResultsError, match="chatmigrate did not write"):
        replay(server, tmp_path)
    assert (tmp_path / EXCHANGES_FILE).read_bytes() == FOREIGN_JSONL
    assert not (tmp_path / MANIFEST_FILE).exists()


def test_a_folder_written_before_manifests_existed_is_adopted_by_a_fresh_run(
    server: EmbeddedServer, tmp_path: Path
) -> None:
    replay(server, tmp_path)
    write_run(failing_run(), tmp_path)
    (tmp_path / MANIFEST_FILE).unlink()
    replay(server, tmp_path)
    assert is_ours(tmp_path)


def test_a_fresh_run_replaces_the_journal_of_an_earlier_run(server: EmbeddedServer, tmp_path: Path) -> None:
    replay(server, tmp_path)
    first = (tmp_path / EXCHANGES_FILE).read_bytes()
    replay(server, tmp_path)
    assert is_ours(tmp_path)
    assert len((tmp_path / EXCHANGES_FILE).read_bytes().splitlines()) == len(first.splitlines())


def test_a_journal_cut_off_mid_line_resumes_without_the_partial_entry(server: EmbeddedServer, tmp_path: Path) -> None:
    replay(server, tmp_path)
    whole = (tmp_path / EXCHANGES_FILE).read_bytes()
    (tmp_path / EXCHANGES_FILE).write_bytes(whole[: len(whole) - 25])
    replay(server, tmp_path, resume=True)
    lines = (tmp_path / EXCHANGES_FILE).read_bytes().splitlines()
    assert len(lines) == len(whole.splitlines()) and all(json.loads(line)["entry_id"] in SUBSET for line in lines)


def test_a_manifest_from_another_tool_does_not_make_a_folder_ours(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"tool": "something-else", "layout": 1}))
    assert not is_ours(tmp_path)
