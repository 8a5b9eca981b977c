"""The schema check: each side's JSON answer against its own contract."""

from __future__ import annotations

from typing import Any

from contract_samples import RECENT, STORED_MESSAGE
from exchange_samples import (
    exchange,
    json_pair,
    messages_body,
    of,
    pair,
    run,
    with_change,
)

from chatmigrate.compare import (
    SchemaCheck,
    check_schema,
    compare_exchanges,
)
from chatmigrate.records import Exchange
from chatmigrate.vocab import Severity, Tier

# Schema conformance ----------------------------------------------------------------------------------------


def test_schema_check_gets_each_sides_tier_and_concrete_path() -> None:
    calls: list[tuple[str, str, str, int]] = []

    def schema_check(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
        calls.append((tier, method, path, status))
        return []

    group = [*json_pair(messages_body(), messages_body()), exchange(Tier.PROXY, 0, messages_body())]
    run(group, schema_check=schema_check)
    assert sorted(calls) == [
        ("jwt", "GET", "/api/v1/admin/chat/", 200),
        ("legacy", "GET", "/admin/chat/", 200),
        (Tier.PROXY, "GET", "/api/chat-messages", 200),
    ]


def test_schema_violation_is_a_medium_finding_for_that_side() -> None:
    def schema_check(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
        return ["$.messages[0].id: '100' is not of type 'integer'"] if tier == "jwt" else []

    (finding,) = of(run(json_pair(messages_body(), messages_body()), schema_check=schema_check), "schema")
    assert (finding.severity, finding.tier) == (Severity.MEDIUM, Tier.NEW)
    assert "breaks the jwt contract: $.messages[0].id" in finding.title


def test_same_schema_violation_on_any_item_is_one_finding_per_path() -> None:
    def schema_check(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
        return [f"$.messages[{body['count']}].id: 'x' is not of type 'integer'"] if tier == "jwt" else []

    groups = [json_pair(messages_body(count), messages_body(count), entry=f"e{count}") for count in (1, 2, 3)]
    (finding,) = of(run(*groups, schema_check=schema_check), "schema")
    assert (finding.path, finding.subject) == ("$.messages[*].id", "e1")
    assert finding.title.endswith("(in 3 entries)")


def test_published_contracts_are_the_default_schema_check() -> None:
    conformant = {**RECENT, "messages": [STORED_MESSAGE], "count": 1}
    string_ids = with_change(conformant, lambda b: b["messages"][0].update(id="7"))
    comparison = compare_exchanges([json_pair(conformant, string_ids)])
    (finding,) = of(comparison, "schema")
    assert (finding.tier, finding.path) == (Tier.NEW, "$.messages[*].id")


def test_schema_check_is_skipped_for_non_json_responses() -> None:
    group = pair(
        lambda a: exchange(Tier.OLD, a, status=302, headers={"location": "/admin/login/"}),
        lambda a: exchange(Tier.NEW, a, {"status": "error"}, status=401),
    )
    seen: list[str] = []

    def schema_check(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
        seen.append(tier)
        return []

    run(group, schema_check=schema_check)
    assert seen == ["jwt"]


def new_json_answer(status: int) -> Exchange:
    url, endpoint = "http://x/api/v1/admin/chat/", "GET /admin/chat/"
    return Exchange("e1", Tier.NEW, 0, "GET", url, endpoint, status, "application/json", body={}, is_json=True)


def test_two_schema_problems_at_one_path_are_two_findings_with_distinct_fingerprints() -> None:
    def two_missing(tier: str, method: str, path: str, status: int, body: object) -> list[str]:
        return ["$: 'message' is a required property", "$: 'detail' is a required property"]

    exchange = new_json_answer(401)
    first, second = check_schema(exchange, two_missing)
    assert first.fingerprint != second.fingerprint


def test_the_same_schema_problem_with_other_values_keeps_its_fingerprint() -> None:
    def bad_id(value: str) -> SchemaCheck:
        return lambda *_: [f"$.messages[0].id: {value!r} is not of type 'integer'"]

    exchange = new_json_answer(200)
    (first,) = check_schema(exchange, bad_id("7"))
    (second,) = check_schema(exchange, bad_id("8"))
    assert first.fingerprint == second.fingerprint
