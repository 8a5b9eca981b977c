"""What the compare stage hands back (a comparison); what it is told is ``config.CompareOptions``."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatmigrate.records import EndpointParity, Finding, LatencyStat, NoisePath, PrincipalRow, RuleLedger, RunResult


@dataclass(slots=True)
class Comparison:
    findings: list[Finding] = field(default_factory=list)
    noise: list[NoisePath] = field(default_factory=list)
    rules: list[RuleLedger] = field(default_factory=list)
    latency: list[LatencyStat] = field(default_factory=list)
    endpoints: list[EndpointParity] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    principals: list[PrincipalRow] = field(default_factory=list)

    def into(self, result: RunResult) -> RunResult:
        """Fill a run's parity fields from this comparison (replay and merge build runs the same way)."""
        result.entries, result.findings, result.noise = self.entries, self.findings, self.noise
        result.rules, result.latency, result.endpoints = self.rules, self.latency, self.endpoints
        result.principals = self.principals
        return result
