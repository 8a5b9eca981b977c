"""``chatmigrate merge``: replay shards (and an audit) joined into one run equal to an unsharded one.

The default corpus is replayed once whole and once in three shards against the ``server``
fixture, with a config file; latency findings are kept out (their timings differ between
two runs by nature) so the two results can be compared exactly.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import cli

from chatmigrate.cli import main
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.merge import merge_results
from chatmigrate.records import RunResult
from chatmigrate.report import load_run
from chatmigrate.verdict import GateLimits
from chatmigrate.vocab import Severity

SHARDS = 3


def write_config(path: Path, base_url: str) -> Path:
    auth = 'username = "admin", password_env = "MERGE_TEST_PASSWORD"'
    path.write_text(
        f'[targets.old]\nbase_url = "{base_url}"\nauth = {{ kind = "session", {auth} }}\n\n'
        f'[targets.new]\nbase_url = "{base_url}"\nauth = {{ kind = "token-endpoint", {auth} }}\n\n'
        "[compare]\nlatency_floor_ms = 60000\n\n"
        '[principals.viewer]\nusername = "viewer"\npassword_env = "MERGE_TEST_PASSWORD"\n\n'
        "[principals.nobody]\nanonymous = true\n"
    )
    return path


def run_cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(args)
    return int(exited.value.code or 0)


@pytest.fixture(scope="module")
def runs(server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``whole`` (one replay), ``shard-1`` .. ``shard-3`` and ``audit``, all from one config."""
    folder = tmp_path_factory.mktemp("runs")
    config = write_config(folder / "chatmigrate.toml", server.base_url)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MERGE_TEST_PASSWORD", server.config.password)
        env.delenv("GITHUB_STEP_SUMMARY", raising=False)
        replay = ["replay", "--config", str(config), "--no-progress"]
        assert run_cli([*replay, "--results", str(folder / "whole")]) == 0
        for k in range(1, SHARDS + 1):
            assert run_cli([*replay, "--shard", f"{k}/{SHARDS}", "--results", str(folder / f"shard-{k}")]) == 0
        audit = ["audit", "--config", str(config), "--budget", "0", "--no-contract"]
        run_cli([*audit, "--results", str(folder / "audit"), "--out", str(folder / "audit-reports")])
        yield folder


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def shards(runs: Path) -> list[str]:
    return [str(runs / f"shard-{k}") for k in range(1, SHARDS + 1)]


def fingerprints(run: RunResult) -> set[str]:
    return {finding.fingerprint for finding in run.findings}


def test_merged_shards_equal_one_unsharded_run(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = cli(
        ["merge", *shards(runs), "--results", str(tmp_path), "--config", str(runs / "chatmigrate.toml")], capsys
    )
    merged, whole = load_run(tmp_path), load_run(runs / "whole")
    assert code == 0
    assert sorted(merged.entries) == sorted(whole.entries) and len(merged.entries) == 39 * 3
    assert fingerprints(merged) == fingerprints(whole)
    assert merged.endpoints == whole.endpoints


def test_the_merged_principal_matrix_is_the_unsharded_one(runs: Path, tmp_path: Path) -> None:
    merged, whole = merge_results(shards(runs), tmp_path), load_run(runs / "whole")
    assert [row.principal for row in merged.principals] == ["admin", "nobody", "viewer"]
    assert merged.principals == whole.principals


def test_noise_and_latency_are_learned_from_the_exchanges_of_every_shard(runs: Path, tmp_path: Path) -> None:
    merged, whole = merge_results(shards(runs), tmp_path), load_run(runs / "whole")
    assert [(n.endpoint, n.path, n.side) for n in merged.noise] == [(n.endpoint, n.path, n.side) for n in whole.noise]
    assert [(s.endpoint, s.side, s.count) for s in merged.latency] == [
        (s.endpoint, s.side, s.count) for s in whole.latency
    ]


def test_merge_prints_one_line_and_writes_run_json_and_every_report(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(["merge", *shards(runs), "--results", str(tmp_path)], capsys)
    assert code == 0
    assert out.count("\n") == 1 and out.startswith("merge passed (exit 0): 117 entries")
    assert {path.name for path in tmp_path.iterdir()} >= {
        "exchanges.jsonl",
        "run.json",
        "report.html",
        "report.json",
        "junit.xml",
        "summary.md",
        "sarif.json",
    }


def test_reports_go_to_their_own_folder_in_the_formats_asked(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    cli(
        ["merge", *shards(runs), "--results", str(tmp_path / "out"), "-o", str(reports), "--format", "md"],
        capsys,
    )
    assert [path.name for path in reports.iterdir()] == ["summary.md"]
    assert not (tmp_path / "out" / "summary.md").exists()


def test_audit_results_and_findings_are_carried_over(runs: Path, tmp_path: Path) -> None:
    audit = load_run(runs / "audit")
    merged = merge_results([*shards(runs), runs / "audit"], tmp_path)
    assert merged.audit == audit.audit and merged.audit
    assert {f.fingerprint for f in merged.findings if f.check == "audit"} == fingerprints(audit) != set()


def test_the_verdict_follows_the_limits_given_to_the_merge(runs: Path, tmp_path: Path) -> None:
    strict = merge_results(shards(runs), tmp_path / "strict", limits=GateLimits(fail_on=Severity.INFO))
    default = merge_results(shards(runs), tmp_path / "default")
    assert strict.verdict is not None and strict.verdict.exit_code == 1
    assert default.verdict is not None and default.verdict.exit_code == 0


def test_overlapping_shards_exit_2_with_one_line(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(["merge", str(runs / "whole"), str(runs / "shard-2"), "--results", str(tmp_path)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "the shards overlap" in err and "is also in" in err


def test_a_missing_folder_exits_2_with_one_line(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["merge", str(runs / "shard-1"), str(runs / "shard-9"), "--results", str(tmp_path)], capsys)
    assert code == 2
    assert err == f"chatmigrate: error: {runs / 'shard-9'}: no such results folder\n"


def test_a_missing_shard_is_refused_when_the_corpus_is_known(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(runs / "chatmigrate.toml")
    code, _, err = cli(["merge", *shards(runs)[:2], "--results", str(tmp_path), "--config", config], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "corpus entries are in no shard" in err


def test_shards_of_other_targets_are_refused(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = shutil.copytree(runs / "shard-3", tmp_path / "other")
    run = json.loads((other / "run.json").read_text())
    run["targets"][1]["base_url"] = "http://new.example"
    (other / "run.json").write_text(json.dumps(run))
    code, _, err = cli(["merge", *shards(runs)[:2], str(other), "--results", str(tmp_path / "out")], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "replayed other targets" in err and "http://new.example" in err


def test_the_output_folder_cannot_be_an_input(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["merge", *shards(runs), "--results", shards(runs)[0]], capsys)
    assert code == 2 and "is one of the folders being merged" in err


def test_a_shard_whose_target_broke_makes_the_merge_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("MERGE_TEST_PASSWORD", "unused")
    config = write_config(tmp_path / "chatmigrate.toml", closed)
    assert run_cli(["replay", "--config", str(config), "--results", str(tmp_path / "broken"), "--no-progress"]) == 3
    capsys.readouterr()
    code, out, err = cli(["merge", str(tmp_path / "broken"), "--results", str(tmp_path / "out")], capsys)
    assert code == 3 and out.startswith("merge FAILED (exit 3)")
    assert "transport" in err


def test_a_shard_cut_off_mid_line_exits_2_naming_the_file_and_line(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = shutil.copytree(runs / "shard-2", tmp_path / "cut")
    exchanges = cut / "exchanges.jsonl"
    lines = exchanges.read_text().splitlines(keepends=True)
    exchanges.write_text("".join(lines) + '{"entry_id": "room-99-recent_messages", "si')
    code, _, err = cli(["merge", str(runs / "shard-1"), str(cut), "--results", str(tmp_path / "out")], capsys)
    assert code == 2
    assert (
        err
        == f"chatmigrate: error: {exchanges}:{len(lines) + 1}: not an exchange record (a replay cut off mid-line?)\n"
    )


def test_a_shard_holding_only_principal_entries_merges_with_the_others(runs: Path, tmp_path: Path) -> None:
    """A further principal's entries are sent once: a shard of only those is not a shard of other repeats."""
    lines = (runs / "whole" / "exchanges.jsonl").read_text().splitlines(keepends=True)
    principal = [line for line in lines if json.loads(line)["principal"] is not None]
    for name, kept in (("own", [line for line in lines if line not in principal]), ("principals", principal)):
        shutil.copytree(runs / "whole", tmp_path / name)
        (tmp_path / name / "exchanges.jsonl").write_text("".join(kept))
    merged = merge_results([str(tmp_path / "own"), str(tmp_path / "principals")], tmp_path / "merged")
    assert sorted(merged.entries) == sorted(load_run(runs / "whole").entries)
