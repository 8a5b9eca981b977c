"""``chatmigrate report`` and ``chatmigrate baseline accept`` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from report_samples import failing_run

from chatmigrate.records import to_dict


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    return subprocess.run(
        [sys.executable, "-m", "chatmigrate", *args], capture_output=True, text=True, timeout=60, env=env
    )


def results_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps(to_dict(failing_run())), encoding="utf-8")
    return folder


def test_report_renders_the_requested_formats(tmp_path: Path) -> None:
    done = run_cli("report", str(results_folder(tmp_path)), "-o", str(tmp_path / "out"), "--format", "html,junit")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "report.html"]


def test_report_without_run_json_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_cli("report", str(tmp_path), "-o", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "no run.json" in done.stderr


def test_report_with_malformed_run_json_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text("{not json", encoding="utf-8")
    done = run_cli("report", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "not valid JSON" in done.stderr


def test_report_with_unknown_format_is_exit_2(tmp_path: Path) -> None:
    done = run_cli("report", str(results_folder(tmp_path)), "--format", "pdf")
    assert done.returncode == 2
    assert "unknown report format pdf" in done.stderr


def test_baseline_accept_writes_every_finding_with_the_reason(tmp_path: Path) -> None:
    out = tmp_path / "baseline.json"
    done = run_cli("baseline", "accept", str(results_folder(tmp_path)), "-o", str(out), "--reason", "known drift")
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert {item["fingerprint"] for item in document["accepted"]} == {f.fingerprint for f in failing_run().findings}
    assert {item["reason"] for item in document["accepted"]} == {"known drift"}


def test_baseline_accept_without_reason_is_exit_2(tmp_path: Path) -> None:
    done = run_cli("baseline", "accept", str(results_folder(tmp_path)), "-o", str(tmp_path / "b.json"))
    assert done.returncode == 2
    assert not (tmp_path / "b.json").exists()


def test_baseline_accept_with_blank_reason_is_exit_2(tmp_path: Path) -> None:
    done = run_cli("baseline", "accept", str(results_folder(tmp_path)), "-o", str(tmp_path / "b.json"), "--reason", " ")
    assert done.returncode == 2
    assert "needs a reason" in done.stderr
