"""Latency per endpoint and side, and the p95 regressions of new (or proxy) against old."""

from __future__ import annotations

from array import array

from chatmigrate.records import Exchange, Finding, LatencyStat
from chatmigrate.vocab import Check, FindingKind, Severity, Tier


def _percentile(ordered: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class LatencySamples:
    """Per (endpoint, side) samples as packed doubles: 8 bytes per exchange."""

    def __init__(self) -> None:
        self._samples: dict[tuple[str, str], array[float]] = {}

    def add(self, exchange: Exchange) -> None:
        if exchange.status is not None:
            self._samples.setdefault((exchange.endpoint, exchange.side), array("d")).append(exchange.elapsed_ms)

    def stats(self) -> list[LatencyStat]:
        out = []
        for (endpoint, side), samples in sorted(self._samples.items()):
            ordered = sorted(samples)
            out.append(
                LatencyStat(
                    endpoint=endpoint,
                    side=side,
                    count=len(ordered),
                    p50_ms=round(_percentile(ordered, 0.5), 3),
                    p95_ms=round(_percentile(ordered, 0.95), 3),
                )
            )
        return out


def check_latency(stats: list[LatencyStat], limit: float, floor_ms: float, min_samples: int) -> list[Finding]:
    """p95 regressions past both a relative ``limit`` and an absolute ``floor_ms``, with enough samples."""
    by_key = {(stat.endpoint, stat.side): stat for stat in stats}
    findings = []
    for stat in stats:
        base = by_key.get((stat.endpoint, Tier.OLD))
        if stat.side == Tier.OLD or base is None or min(base.count, stat.count) < min_samples:
            continue
        if stat.p95_ms > base.p95_ms * (1 + limit) and stat.p95_ms - base.p95_ms > floor_ms:
            ratio = f"{stat.p95_ms / base.p95_ms:.1f}x" if base.p95_ms > 0 else "up from 0 ms"
            findings.append(
                Finding(
                    check=Check.LATENCY,
                    severity=Severity.MEDIUM,
                    subject=stat.endpoint,
                    endpoint=stat.endpoint,
                    tier=Tier(stat.side),
                    kind=FindingKind.P95,
                    old=base.p95_ms,
                    new=stat.p95_ms,
                    title=f"p95 latency {stat.p95_ms:.0f} ms on {stat.side} vs {base.p95_ms:.0f} ms on old ({ratio})",
                    evidence=f"p50 {base.p50_ms:.1f} -> {stat.p50_ms:.1f} ms, p95 {base.p95_ms:.1f} -> "
                    f"{stat.p95_ms:.1f} ms over {base.count} / {stat.count} samples",
                )
            )
    return findings
