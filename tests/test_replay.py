"""The replay runner against the embedded server: what it sends, what it records, and how it resumes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from chatmigrate.compare import group_exchanges, read_exchanges
from chatmigrate.config import Config
from chatmigrate.corpus import load_corpus, shard
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ResultsError, UsageError
from chatmigrate.records import CorpusEntry, Exchange
from chatmigrate.redact import registered_secrets
from chatmigrate.replay import EXCHANGES_FILE, ReplayOptions, ReplaySummary, Target, run_replay, targets_from_config

SUBSET = (
    "chat-list",
    "room-1-recent_messages",
    "room-2-purchases_list",
    "unknown-chatroom-recent_messages",
    "bad-unknown-request-type",
    "bad-limit-zero",
)


def subset() -> list[CorpusEntry]:
    return [entry for entry in load_corpus() if entry.id in SUBSET]


def replay(
    server: EmbeddedServer,
    out: Path,
    entries: list[CorpusEntry] | None = None,
    targets: list[Target] | None = None,
    **options: object,
) -> tuple[ReplaySummary, list[list[Exchange]]]:
    summary = run_replay(
        entries if entries is not None else subset(),
        targets if targets is not None else targets_from_config(Config.embedded(server)),
        out,
        ReplayOptions(**options),
    )  # type: ignore[arg-type]
    return summary, list(group_exchanges(read_exchanges(out / EXCHANGES_FILE)))


def by_side(group: list[Exchange]) -> dict[str, list[Exchange]]:
    sides: dict[str, list[Exchange]] = {}
    for exchange in group:
        sides.setdefault(exchange.side, []).append(exchange)
    return sides


def test_each_entry_goes_twice_to_every_side_that_has_a_route(server: EmbeddedServer, tmp_path: Path) -> None:
    summary, groups = replay(server, tmp_path)
    counts = {
        group[0].entry_id: {side: [e.attempt for e in ex] for side, ex in by_side(group).items()} for group in groups
    }
    assert counts["chat-list"] == {"old": [0, 1], "new": [0, 1], "proxy": [0, 1]}
    assert counts["bad-unknown-request-type"] == {"old": [0, 1], "new": [0, 1]}
    assert (summary.completed, summary.exchanges, summary.errors) == (6, 34, 0)


def test_the_exchanges_of_an_entry_are_written_together(server: EmbeddedServer, tmp_path: Path) -> None:
    _, groups = replay(server, tmp_path)
    assert sorted(group[0].entry_id for group in groups) == sorted(SUBSET)


def test_the_endpoint_key_is_method_canonical_path_and_request_type(server: EmbeddedServer, tmp_path: Path) -> None:
    _, groups = replay(server, tmp_path)
    room = next(group for group in groups if group[0].entry_id == "room-1-recent_messages")
    assert {exchange.endpoint for exchange in room} == {"GET /admin/chat/ [recent_messages]"}


def test_each_side_gets_its_own_path_for_the_canonical_request(server: EmbeddedServer, tmp_path: Path) -> None:
    _, groups = replay(server, tmp_path)
    room = by_side(next(group for group in groups if group[0].entry_id == "room-1-recent_messages"))
    urls = {side: urlsplit(exchanges[0].url) for side, exchanges in room.items()}
    assert {side: url.path for side, url in urls.items()} == {
        "old": "/admin/chat/",
        "new": "/api/v1/admin/chat/",
        "proxy": "/api/chat-messages",
    }
    assert parse_qs(urls["proxy"].query) == {"chatroom_id": ["1"]}
    assert all(exchange.status == 200 and exchange.is_json for exchanges in room.values() for exchange in exchanges)


def test_the_legacy_html_404_is_kept_as_text_evidence(server: EmbeddedServer, tmp_path: Path) -> None:
    _, groups = replay(server, tmp_path)
    old = by_side(next(g for g in groups if g[0].entry_id == "unknown-chatroom-recent_messages"))["old"][0]
    assert (old.status, old.is_json, old.body) == (404, False, None)
    assert "html" in old.content_type and old.text and "<" in old.text


def test_recorded_exchanges_carry_no_credentials(server: EmbeddedServer, tmp_path: Path) -> None:
    replay(server, tmp_path)
    text = (tmp_path / EXCHANGES_FILE).read_text()
    assert not [secret for secret in registered_secrets() if secret in text]
    assert "eyJ" not in text


def test_a_body_over_the_cap_is_cut_off_and_recorded_as_such(server: EmbeddedServer, tmp_path: Path) -> None:
    entries = [entry for entry in subset() if entry.id == "room-1-recent_messages"]
    _, (group,) = replay(server, tmp_path, entries, max_body_bytes=1024)
    assert all(e.status == 200 and e.body is None and "larger than 1024 bytes" in (e.error or "") for e in group)
    assert all(len(e.text or "") <= 1024 for e in group)


def test_unsafe_entries_need_allow_writes_outside_the_embedded_server(
    scratch_server: EmbeddedServer, tmp_path: Path
) -> None:
    targets = [dataclasses.replace(t, embedded=False) for t in targets_from_config(Config.embedded(scratch_server))]
    send = CorpusEntry(
        id="send",
        method="POST",
        path="/api/v1/chat/send/",
        unsafe=True,
        body={"chatroom_id": 1, "message": "hello from a replay"},
    )
    with pytest.raises(UsageError, match="--allow-writes"):
        replay(scratch_server, tmp_path, [send], targets)
    assert not (tmp_path / EXCHANGES_FILE).exists()
    _, (group,) = replay(scratch_server, tmp_path, [send], targets, allow_writes=True)
    assert [e.status for e in by_side(group)["new"]] == [201, 201]


def test_the_embedded_server_takes_unsafe_entries_without_allow_writes(
    scratch_server: EmbeddedServer, tmp_path: Path
) -> None:
    send = CorpusEntry(
        id="send",
        method="POST",
        path="/api/v1/chat/send/",
        unsafe=True,
        body={"chatroom_id": 2, "message": "hello from a replay"},
    )
    _, (group,) = replay(scratch_server, tmp_path, [send])
    assert [e.status for e in by_side(group)["new"]] == [201, 201]


def test_a_shard_replays_only_its_own_entries(server: EmbeddedServer, tmp_path: Path) -> None:
    summary, groups = replay(server, tmp_path, shard=(2, 3))
    assert sorted(g[0].entry_id for g in groups) == sorted(e.id for e in shard(subset(), 2, 3))
    assert summary.completed == len(groups)


def test_progress_is_reported_before_the_first_entry_and_after_each(server: EmbeddedServer, tmp_path: Path) -> None:
    reports: list[tuple[int, int]] = []
    replay(server, tmp_path, on_progress=lambda done, total: reports.append((done, total)))
    assert reports == [(done, len(SUBSET)) for done in range(len(SUBSET) + 1)]


def test_progress_of_a_resumed_run_starts_at_the_entries_already_done(server: EmbeddedServer, tmp_path: Path) -> None:
    replay(server, tmp_path, entries=subset()[:2])
    reports: list[tuple[int, int]] = []
    replay(server, tmp_path, resume=True, on_progress=lambda done, total: reports.append((done, total)))
    assert reports[0] == (2, len(SUBSET)) and reports[-1] == (len(SUBSET), len(SUBSET))


def test_resume_skips_complete_entries_and_cuts_a_partial_tail(server: EmbeddedServer, tmp_path: Path) -> None:
    _, groups = replay(server, tmp_path)
    lines = (tmp_path / EXCHANGES_FILE).read_text().splitlines(keepends=True)
    kept = len(groups[0]) + len(groups[1])
    (tmp_path / EXCHANGES_FILE).write_text("".join(lines[: kept + 3]) + lines[kept + 3][:40])
    summary, resumed = replay(server, tmp_path, resume=True)
    assert (summary.resumed, summary.completed) == (2, len(SUBSET) - 2)
    assert sorted(g[0].entry_id for g in resumed) == sorted(SUBSET)
    assert all(len(g) in (4, 6) for g in resumed)


def test_resume_with_other_repeats_is_refused(server: EmbeddedServer, tmp_path: Path) -> None:
    replay(server, tmp_path)
    with pytest.raises(ResultsError, match="other targets or repeats"):
        replay(server, tmp_path, resume=True, repeats=3)
