"""Baselines: accepted findings stop failing the gate; accepted findings that vanish are reported stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_samples import failing_run

from chatmigrate import baseline
from chatmigrate.contracts import schema_validator
from chatmigrate.errors import ConfigError, UsageError
from chatmigrate.records import Finding
from chatmigrate.vocab import Severity


def test_accept_then_apply_hides_every_accepted_finding() -> None:
    run = failing_run()
    accepted_baseline = baseline.accept(run, "known drift, ticket CHAT-12")
    new, accepted, stale = baseline.apply(failing_run().findings, accepted_baseline)
    assert new == []
    assert accepted == run.findings
    assert stale == []


def test_new_findings_pass_through() -> None:
    accepted_baseline = baseline.accept(failing_run(), "known")
    extra = Finding("body", Severity.HIGH, "key removed", "messages-room-2", "GET /admin/chat/", path="$.count")
    new, _, _ = baseline.apply([*failing_run().findings, extra], accepted_baseline)
    assert new == [extra]


def test_accepted_findings_that_no_longer_occur_are_stale() -> None:
    run = failing_run()
    accepted_baseline = baseline.accept(run, "known")
    fixed = run.findings[0]
    new, accepted, stale = baseline.apply(run.findings[1:], accepted_baseline)
    assert new == []
    assert fixed not in accepted
    assert stale == [fixed.fingerprint]


def test_a_finding_stays_accepted_when_only_its_values_change() -> None:
    run = failing_run()
    accepted_baseline = baseline.accept(run, "known")
    changed = failing_run().findings[0]
    changed.old, changed.new, changed.title = {"other": 1}, {"values": 2}, "key removed on new: /messages (again)"
    assert baseline.apply([changed], accepted_baseline)[0] == []


def test_accept_needs_a_reason() -> None:
    with pytest.raises(UsageError, match="needs a reason"):
        baseline.accept(failing_run(), "   ")


def test_saved_baseline_matches_its_schema_and_loads_back(tmp_path: Path) -> None:
    accepted_baseline = baseline.accept(failing_run(), "known drift")
    path = baseline.save(accepted_baseline, tmp_path / "baseline.json")
    assert list(schema_validator("baseline").iter_errors(json.loads(path.read_text(encoding="utf-8")))) == []
    assert baseline.load(path) == accepted_baseline


def test_loading_a_baseline_with_an_unknown_key_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"version": 1, "accepted": [], "acepted": []}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"baseline\.json: not a chatmigrate baseline"):
        baseline.load(path)


def test_loading_a_missing_baseline_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="baseline file not found"):
        baseline.load(tmp_path / "nope.json")
