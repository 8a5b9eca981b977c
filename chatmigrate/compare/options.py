"""What the compare stage is told (its options) and what it hands back (a comparison)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatmigrate.compare.meaning import NormaliseSpec
from chatmigrate.compare.schema import SchemaCheck, default_schema_check
from chatmigrate.records import EndpointParity, Finding, LatencyStat, NoisePath, RuleLedger, RunResult


@dataclass(slots=True)
class CompareOptions:
    latency_limit: float = 1.0
    """Regression when new p95 > old p95 x (1 + limit) ..."""
    latency_floor_ms: float = 50.0
    """... and new p95 - old p95 > this floor ..."""
    latency_min_samples: int = 5
    """... with at least this many samples on each side."""
    evidence_chars: int = 20_000
    value_chars: int = 500
    max_paths_per_endpoint: int = 100
    """Distinct findings per (check, endpoint, side) before the rest are counted in one summary finding."""
    normalise: tuple[NormaliseSpec, ...] = ()
    """``[[compare.normalise]]``: same-meaning differences accepted at a path, each with its reason."""
    schema_check: SchemaCheck = default_schema_check


@dataclass(slots=True)
class Comparison:
    findings: list[Finding] = field(default_factory=list)
    noise: list[NoisePath] = field(default_factory=list)
    rules: list[RuleLedger] = field(default_factory=list)
    latency: list[LatencyStat] = field(default_factory=list)
    endpoints: list[EndpointParity] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)

    def into(self, result: RunResult) -> RunResult:
        """Fill a run's parity fields from this comparison (replay and merge build runs the same way)."""
        result.entries, result.findings, result.noise = self.entries, self.findings, self.noise
        result.rules, result.latency, result.endpoints = self.rules, self.latency, self.endpoints
        return result
