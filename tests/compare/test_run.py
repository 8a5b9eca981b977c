"""The compare stage as a whole: grouping across entries, bounded output, reading exchanges.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from exchange_samples import (
    ENDPOINT,
    URLS,
    exchange,
    json_pair,
    messages_body,
    noisy_pair,
    of,
    pair,
    run,
    with_change,
)

from chatmigrate.compare import (
    CompareOptions,
    compare_exchanges,
    compare_file,
    read_exchanges,
)
from chatmigrate.errors import ConfigError
from chatmigrate.records import Exchange, to_dict
from chatmigrate.redact import register_secret
from chatmigrate.vocab import FindingKind, Tier

# A clean pair --------------------------------------------------------------------------------------


def test_clean_pair_has_no_findings_and_passes() -> None:
    comparison = run(json_pair(messages_body(), messages_body()))
    assert comparison.findings == []
    assert [(row.endpoint, row.entries, row.passed, row.failed) for row in comparison.endpoints] == [
        (ENDPOINT, 1, 1, 0)
    ]
    assert comparison.entries == ["e1"]


# Aggregation and bounded output -------------------------------------------------------------------------------


def test_systematic_drift_is_one_finding_per_path_with_an_entry_count() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    comparison = run(*[json_pair(messages_body(), new, entry=f"e{i:03d}") for i in range(50)])
    (finding,) = of(comparison, "body")
    assert finding.title.endswith("(in 50 entries)")
    assert comparison.endpoints[0].failed == 50


def test_a_finding_grouped_over_entries_names_every_entry_it_occurred_in() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    clean = json_pair(messages_body(), messages_body(), entry="e-clean")
    comparison = run(*[json_pair(messages_body(), new, entry=name) for name in ("e-c", "e-a", "e-b")], clean)
    assert [f.entries for f in of(comparison, "body")] == [["e-a", "e-b", "e-c"]]


def test_the_overflow_summary_names_every_entry_it_counts() -> None:
    old = {f"k{i}": i for i in range(10)}
    new = {f"k{i}": i + 1 for i in range(10)}
    groups = [json_pair(old, new, entry="e2"), json_pair(old, new, entry="e1")]
    (summary,) = [f for f in of(run(*groups, max_paths_per_endpoint=4), "body") if f.kind is FindingKind.OVERFLOW]
    assert (summary.entries, summary.variant, summary.path) == (["e1", "e2"], None, None)


def test_kept_instance_is_the_smallest_entry_id_whatever_the_order() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    forward = run(*[json_pair(messages_body(), new, entry=name) for name in ("b", "a", "c")])
    assert [f.subject for f in of(forward, "body")] == ["a"]


def test_distinct_paths_beyond_the_cap_are_counted_in_one_summary_finding() -> None:
    old = {f"k{i}": i for i in range(10)}
    new = {f"k{i}": i + 1 for i in range(10)}
    findings = of(run(json_pair(old, new), max_paths_per_endpoint=4), "body")
    assert len(findings) == 5
    (summary,) = [f for f in findings if f.kind is FindingKind.OVERFLOW]
    assert summary.title.startswith("6 more body findings on new")


def test_endpoint_table_counts_passed_and_failed_entries() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    comparison = run(
        json_pair(messages_body(), messages_body(), entry="ok"), json_pair(messages_body(), new, entry="x")
    )
    assert [(row.entries, row.passed, row.failed) for row in comparison.endpoints] == [(2, 1, 1)]


def test_proxy_side_is_compared_against_old_too() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    group = json_pair(messages_body(), messages_body()) + [exchange(Tier.PROXY, a, new) for a in (0, 1)]
    assert [(f.tier, f.path) for f in of(run(group), "body")] == [(Tier.PROXY, "$.messages[*].message")]


def test_registered_secrets_never_reach_findings() -> None:
    register_secret("s3cr3t-session-value")
    page = "<html><body>session s3cr3t-session-value expired</body></html>"
    group = pair(
        lambda a: exchange(Tier.OLD, a, messages_body()),
        lambda a: exchange(Tier.NEW, a, content_type="text/html", text=page),
    )
    (finding,) = of(run(group), "json")
    assert "s3cr3t-session-value" not in (finding.evidence or "")


def test_one_shot_iterator_of_groups_is_accepted() -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    groups = iter([json_pair(messages_body(), new)])
    comparison = compare_exchanges(groups, (), CompareOptions(schema_check=lambda *args: []))
    assert len(of(comparison, "body")) == 1


# compare_file ---------------------------------------------------------------------------------------------------


def write_jsonl(path: Path, groups: list[list[Exchange]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for group in groups:
            for item in group:
                handle.write(json.dumps(to_dict(item)) + "\n")
    return path


def test_compare_file_gives_the_same_result_as_in_memory_groups(tmp_path: Path) -> None:
    new = with_change(messages_body(), lambda b: b["messages"][0].update(message="edited"))
    groups = [noisy_pair("e1", ("t1", "t2", "t3", "t4")), json_pair(messages_body(), new, entry="e2")]
    options = CompareOptions(schema_check=lambda *args: [])
    from_file = compare_file(write_jsonl(tmp_path / "exchanges.jsonl", groups), (), options)
    assert from_file == compare_exchanges(groups, (), options)
    assert from_file.entries == ["e1", "e2"]


def test_compare_file_rejects_a_bad_line_with_its_line_number(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "exchanges.jsonl", [json_pair(messages_body(), messages_body())])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"entry_id": "x", "surprise": 1}\n')
    with pytest.raises(ConfigError, match=r"exchanges.jsonl:5: not an exchange record"):
        compare_file(path, (), CompareOptions(schema_check=lambda *args: []))


def test_compare_file_on_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read exchanges"):
        compare_file(tmp_path / "nope.jsonl")


def test_recorded_lines_orjson_refuses_are_still_read(tmp_path: Path) -> None:
    record = to_dict(
        Exchange(
            "e1",
            Tier.OLD,
            0,
            "GET",
            URLS[Tier.OLD],
            ENDPOINT,
            200,
            "application/json",
            body={"big": 2**70, "nan": float("nan")},
            is_json=True,
        )
    )
    path = tmp_path / "exchanges.jsonl"
    path.write_text(json.dumps(record) + "\n")
    (exchange,) = read_exchanges(path)
    assert exchange.body["big"] == 2**70


def test_recorded_big_integers_that_differ_in_their_last_digit_are_a_difference(tmp_path: Path) -> None:
    path = tmp_path / "exchanges.jsonl"
    lines = [
        to_dict(Exchange("e1", side, attempt, "GET", URLS[side], ENDPOINT, 200, "application/json", body=body))
        for side, body in ((Tier.OLD, {"id": 10**19 + 1}), (Tier.NEW, {"id": 10**19 + 2}))
        for attempt in (0, 1)
    ]
    path.write_text("".join(json.dumps({**line, "is_json": True}) + "\n" for line in lines))
    findings = [f for f in compare_file(path).findings if f.check == "body"]
    assert [(f.kind, f.path) for f in findings] == [("value_changed", "$.id")]
