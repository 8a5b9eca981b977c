"""The parity suite catches every drift of the reference server, and stays quiet on a clean one."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from server_wire import ServerFactory

from chatmigrate.compare import compare_file
from chatmigrate.config import Config, NormaliseRule, embedded_config
from chatmigrate.corpus import load_corpus
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.parity import ParityOutcome, judge, run_parity
from chatmigrate.records import CorpusEntry, Finding
from chatmigrate.replay import EXCHANGES_FILE
from chatmigrate.server.switches import DRIFTS
from chatmigrate.vocab import Check, Drift, FindingKind, Severity, Tier

SUBSET = (
    "chat-list",
    "room-1-recent_messages",
    "room-1-purchases_list",
    "room-1-recent_messages-limit-5",
    "unknown-chatroom-recent_messages",
    "bad-limit-zero",
)
# drift -> (check, path, kind, variant) of the finding that must name it on the new side
EXPECTED = {
    Drift.RENAME_FIELD: (Check.BODY, "$.messages[*].message", FindingKind.KEY_REMOVED, None),
    Drift.TIMESTAMP_FORMAT: (Check.BODY, "$.messages[*].timestamp", FindingKind.SAME_INSTANT, None),
    Drift.REVERSE_ORDER: (Check.BODY, "$.messages", FindingKind.ORDER_ONLY, None),
    Drift.PURCHASES_KEY: (Check.BODY, "$.messages", FindingKind.KEY_REMOVED, None),
    Drift.STRING_IDS: (Check.BODY, "$.messages[*].id", FindingKind.NUMERIC_STRING_ID, None),
    Drift.LIMIT_OFF_BY_ONE: (Check.BODY, "$.messages", FindingKind.LENGTH_CHANGED, None),
    Drift.HTML_404: (Check.JSON, None, FindingKind.HTML, "404"),
    Drift.STATUS_CHANGE: (Check.AUTH_OUTCOME, None, FindingKind.OUTCOME_CHANGED, "not-found 404->client-error 400"),
    Drift.SLOW_MESSAGES: (Check.LATENCY, None, FindingKind.P95, None),
}
RECENT_MESSAGES = "GET /admin/chat/ [recent_messages]"
# drift -> what the title of its same-meaning finding must say, and the severity a strict client's risk earns
SAME_MEANING = {
    Drift.TIMESTAMP_FORMAT: ("is the same instant written differently on new: string -> number", Severity.HIGH),
    Drift.STRING_IDS: ("is the same id as a string instead of a number on new", Severity.HIGH),
}


def subset() -> list[CorpusEntry]:
    return [entry for entry in load_corpus() if entry.id in SUBSET]


def parity(config: Config, out: Path) -> ParityOutcome:
    return run_parity(config, entries=subset(), out_dir=out)


def failing(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity is not Severity.INFO]


def test_every_drift_of_the_reference_server_has_an_expected_finding() -> None:
    assert set(EXPECTED) == set(DRIFTS)


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_the_parity_suite_fails_on_each_drift_naming_the_path_and_check(
    server_with: ServerFactory, tmp_path: Path, drift: str
) -> None:
    config = Config.embedded(server_with(drifts=(drift,))).model_copy(update={"ws": None})
    outcome = parity(config, tmp_path)
    check, path, kind, variant = EXPECTED[drift]
    named = [(f.check, f.path, f.kind, f.variant) for f in outcome.result.findings if f.tier is Tier.NEW]
    assert (check, path, kind, variant) in named
    assert judge(outcome, config).exit_code == 1


@pytest.mark.parametrize("drift", sorted(SAME_MEANING))
def test_a_same_meaning_drift_is_titled_for_what_it_is_and_offers_the_block_that_accepts_it(
    server_with: ServerFactory, tmp_path: Path, drift: Drift
) -> None:
    config = Config.embedded(server_with(drifts=(drift,))).model_copy(update={"ws": None})
    _, path, kind, _ = EXPECTED[drift]
    findings = [
        f
        for f in parity(config, tmp_path).result.findings
        if (f.tier, f.endpoint, f.path, f.kind) == (Tier.NEW, RECENT_MESSAGES, path, kind)
    ]
    phrase, severity = SAME_MEANING[drift]
    assert [(f.severity, phrase in f.title) for f in findings] == [(severity, True)]
    normalise = tomllib.loads(findings[0].accept_toml or "")["compare"]["normalise"]
    assert normalise == [{"kind": kind, "path": path, "endpoint": RECENT_MESSAGES, "reason": ""}]


def test_a_same_meaning_drift_accepted_by_its_blocks_leaves_only_the_contract_findings(
    server_with: ServerFactory, tmp_path: Path
) -> None:
    config = Config.embedded(server_with(drifts=(Drift.STRING_IDS,))).model_copy(update={"ws": None})
    outcome = parity(config, tmp_path)
    offered = {f.accept_toml for f in outcome.result.findings if f.check is Check.BODY}
    blocks = [tomllib.loads(text or "")["compare"]["normalise"][0] for text in sorted(offered, key=str)]
    rules = [NormaliseRule(**dict(block, reason="clients read ids as text since v4")) for block in blocks]
    exchanges = outcome.results_dir / EXCHANGES_FILE
    accepting = config.compare.model_copy(update={"normalise": rules})
    findings = failing(compare_file(exchanges, config.ignore, accepting).findings)
    assert {(f.check, f.path) for f in findings} == {(Check.SCHEMA, "$.messages[*].id")}


def test_ten_clean_runs_give_no_parity_findings(scratch_server: EmbeddedServer, tmp_path: Path) -> None:
    # Latency is measured in benchmarks/, not asserted here: a loaded CI runner must not fail this test.
    config = embedded_config(scratch_server, env={}, overrides={"compare.latency_floor_ms": "60000"})
    # Without further principals: ten runs a minute would lock the deactivated one out (the server's login
    # throttle counts its refused logins), and the stability of noise learning is the point here.
    config = config.model_copy(update={"principals": {}})
    runs = [parity(config, tmp_path / f"run-{n}") for n in range(10)]
    assert [failing(outcome.result.findings) for outcome in runs] == [[]] * 10
    assert all(outcome.result.noise for outcome in runs)
    assert all(judge(outcome, config).passed for outcome in runs)


def test_the_result_names_each_side_and_its_principal(scratch_server: EmbeddedServer, tmp_path: Path) -> None:
    result = parity(Config.embedded(scratch_server), tmp_path).result
    assert [(t.side, t.auth, t.principal) for t in result.targets] == [
        ("old", "session", "admin"),
        ("new", "token-endpoint", "admin"),
        ("proxy", "token-endpoint", "admin"),
    ]
    assert [w for w in result.warnings if "different principals" in w] == []
    assert [row.principal for row in result.principals] == ["admin", "anonymous", "deactivated", "support", "viewer"]


def test_different_principals_on_old_and_new_are_a_warning(scratch_server: EmbeddedServer, tmp_path: Path) -> None:
    config = Config.embedded(scratch_server, proxy=False)
    new = config.targets["new"]
    support = new.model_copy(update=dict(auth=new.auth.model_copy(update=dict(username="support"))))
    result = parity(config.model_copy(update=dict(targets={**config.targets, "new": support})), tmp_path).result
    assert [w for w in result.warnings if "different principals" in w] == [
        "targets run as different principals: old as 'admin', new as 'support'; "
        "differences may come from permissions rather than the migration"
    ]


def test_websocket_parity_runs_and_passes_on_the_embedded_server(
    scratch_server: EmbeddedServer, tmp_path: Path
) -> None:
    result = parity(Config.embedded(scratch_server), tmp_path).result
    rows = {row.endpoint: row for row in result.endpoints if row.endpoint.startswith(("WS ", "POST /api/v1/chat"))}
    assert set(rows) == {"WS /ws/cschat/", "POST /api/v1/chat/send/"}
    assert all(row.passed > 0 and row.failed == 0 for row in rows.values())
    assert not [f for f in result.findings if f.endpoint in rows]


def test_websocket_parity_is_skipped_where_writes_are_not_allowed(server: EmbeddedServer, tmp_path: Path) -> None:
    config = Config.embedded(server)
    staging = {side: t.model_copy(update=dict(embedded=False)) for side, t in config.targets.items()}
    result = parity(config.model_copy(update=dict(targets=staging)), tmp_path).result
    assert "WebSocket parity skipped: it sends messages; pass --allow-writes to run it" in result.warnings
    assert "WS /ws/cschat/" not in [row.endpoint for row in result.endpoints]
