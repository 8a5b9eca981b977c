"""report.json and re-rendering: the run result is the single source every format is rendered from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_samples import failing_run

from chatmigrate import report
from chatmigrate.contracts import schema_validator
from chatmigrate.errors import ConfigError
from chatmigrate.records import to_dict
from chatmigrate.report.summary import redacted


@pytest.fixture(autouse=True)
def _no_github_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def write_run(folder: Path, document: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps(document), encoding="utf-8")
    return folder


def test_report_json_validates_against_the_results_schema(tmp_path: Path) -> None:
    (path,) = report.render(failing_run(), tmp_path, ["json"])
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(schema_validator("results").iter_errors(document)) == []
    assert document == to_dict(redacted(failing_run()))


def test_rerender_from_disk_equals_the_first_render(tmp_path: Path) -> None:
    first = report.render(failing_run(), tmp_path / "first", report.FORMATS)
    results = write_run(tmp_path / "results", to_dict(failing_run()))
    again = report.render(report.load_run(results), tmp_path / "again", report.FORMATS)
    assert (
        [p.name for p in first]
        == [p.name for p in again]
        == ["report.html", "report.json", "junit.xml", "summary.md", "sarif.json"]
    )
    for one, other in zip(first, again, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name


def test_load_run_accepts_the_run_file_itself(tmp_path: Path) -> None:
    results = write_run(tmp_path, to_dict(failing_run()))
    assert report.load_run(results / "run.json") == failing_run()


def test_missing_run_json_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no run\.json"):
        report.load_run(tmp_path)


def test_malformed_run_json_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text('{\n  "tool_version": "0.1.0",\n  oops\n}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"run.json:3: not valid JSON"):
        report.load_run(tmp_path)


def test_run_json_of_the_wrong_shape_is_a_config_error(tmp_path: Path) -> None:
    document = to_dict(failing_run())
    document["findings"][0]["severity"] = "catastrophic"
    with pytest.raises(ConfigError, match="not a chatmigrate run result: findings/0/severity"):
        report.load_run(write_run(tmp_path, document))


def test_an_audit_result_passed_but_not_applicable_is_refused(tmp_path: Path) -> None:
    document = to_dict(failing_run())
    not_applicable = next(a for a in document["audit"] if a["state"] == "not-applicable")
    not_applicable["passed"] = True
    with pytest.raises(ConfigError, match="not a chatmigrate run result: audit/5/passed"):
        report.load_run(write_run(tmp_path, document))


def test_an_audit_result_without_a_state_is_refused(tmp_path: Path) -> None:
    document = to_dict(failing_run())
    del document["audit"][0]["state"]
    with pytest.raises(ConfigError, match="not a chatmigrate run result: audit/0: 'state' is a required property"):
        report.load_run(write_run(tmp_path, document))


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(report.UsageError, match="unknown report format pdf"):
        report.parse_formats("html,pdf")


def as_version_1(document: dict[str, Any]) -> dict[str, Any]:
    """A run.json as version 1 wrote it: ``side`` for the tier, variants spelled into the kind, no counts and no
    TOML blocks."""
    findings = []
    for finding in document["findings"]:
        kind, variant = finding.pop("kind"), finding.pop("variant")
        finding["kind"] = f"status {variant}" if kind == "status-changed" else f"{kind}-{variant}" if variant else kind
        finding["side"] = finding.pop("tier")
        del finding["entries"], finding["probes"], finding["accept_toml"]
        findings.append(finding)
    noise = [{name: value for name, value in path.items() if name != "ignore_toml"} for path in document["noise"]]
    return {**document, "schema_version": 1, "findings": findings, "noise": noise}


def test_a_version_1_results_folder_is_read_and_rendered_as_the_current_version(tmp_path: Path) -> None:
    current = to_dict(failing_run())
    results = write_run(tmp_path / "results", as_version_1(json.loads(json.dumps(current))))
    run = report.load_run(results)
    assert run.schema_version == 2
    assert [f.fingerprint for f in run.findings] == [f.fingerprint for f in failing_run().findings]
    (path,) = report.render(run, tmp_path / "reports", ["json"])
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(schema_validator("results").iter_errors(document)) == []
    unknown_to_version_1 = {"entries": [], "probes": 0, "accept_toml": None}
    expected = [{**f, **unknown_to_version_1} for f in to_dict(redacted(failing_run()))["findings"]]
    assert document["findings"] == expected
    assert [path["ignore_toml"] for path in document["noise"]] == ["", ""]


def test_a_version_2_finding_in_a_version_1_file_is_refused(tmp_path: Path) -> None:
    results = write_run(tmp_path / "results", {**to_dict(failing_run()), "schema_version": 1})
    with pytest.raises(ConfigError, match="not a chatmigrate run result"):
        report.load_run(results)
