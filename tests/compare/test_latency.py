"""The latency check: p95 regressions of new against old."""

from __future__ import annotations

from exchange_samples import (
    exchange,
    messages_body,
    of,
    pair,
    run,
)

from chatmigrate.records import Exchange
from chatmigrate.vocab import Severity, Tier

# Latency -------------------------------------------------------------------------------------------------------


def timed_entry(entry: str, old_ms: float, new_ms: float) -> list[Exchange]:
    return pair(
        lambda a: exchange(Tier.OLD, a, messages_body(), entry=entry, elapsed_ms=old_ms),
        lambda a: exchange(Tier.NEW, a, messages_body(), entry=entry, elapsed_ms=new_ms),
    )


def timed_entries(old_ms: float, new_ms: float, count: int) -> list[list[Exchange]]:
    return [timed_entry(f"e{i}", old_ms, new_ms) for i in range(count)]


def test_p95_regression_past_limit_and_floor_is_medium() -> None:
    (finding,) = of(run(*timed_entries(20, 200, 5)), "latency")
    assert (finding.severity, finding.tier, finding.old, finding.new) == (Severity.MEDIUM, Tier.NEW, 20, 200)
    assert finding.title == "p95 latency 200 ms on new vs 20 ms on old (10.0x)"


def test_slower_but_under_the_absolute_floor_is_not_a_regression() -> None:
    assert of(run(*timed_entries(2, 40, 5)), "latency") == []


def test_too_few_samples_give_no_latency_verdict() -> None:
    assert of(run(*timed_entries(20, 200, 2), latency_min_samples=5), "latency") == []


def test_latency_limit_is_configurable() -> None:
    assert of(run(*timed_entries(100, 180, 5), latency_limit=1.0), "latency") == []
    assert len(of(run(*timed_entries(100, 180, 5), latency_limit=0.5), "latency")) == 1


def test_latency_percentiles_are_reported_per_endpoint_and_side() -> None:
    groups = [timed_entry(f"e{i}", float(i + 1), 10.0) for i in range(10)]
    stats = {stat.side: stat for stat in run(*groups).latency}
    assert (stats[Tier.OLD].count, stats[Tier.OLD].p50_ms, stats[Tier.OLD].p95_ms) == (20, 5.5, 10.0)
    assert (stats[Tier.NEW].p50_ms, stats[Tier.NEW].p95_ms) == (10.0, 10.0)
