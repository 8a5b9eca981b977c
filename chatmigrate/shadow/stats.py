"""Live counts per endpoint for the status page, and Diffy's two thresholds that mark an endpoint failing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from chatmigrate.records import EndpointParity


@dataclass(slots=True)
class EndpointCounts:
    endpoint: str
    seen: int = 0
    mirrored: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    compared: int = 0
    differing: int = 0

    def failing(self, relative: float, absolute: int) -> bool:
        """Both thresholds: a share of differing requests, and enough of them to not be a fluke."""
        if not self.compared:
            return False
        return self.differing >= absolute and 100.0 * self.differing / self.compared >= relative


class LiveStats:
    def __init__(self) -> None:
        self.endpoints: dict[str, EndpointCounts] = {}
        self.primary_errors = 0

    def of(self, endpoint: str) -> EndpointCounts:
        counts = self.endpoints.get(endpoint)
        if counts is None:
            counts = self.endpoints[endpoint] = EndpointCounts(endpoint)
        return counts

    def seen(self, endpoint: str) -> None:
        self.of(endpoint).seen += 1

    def skipped(self, endpoint: str, reason: str) -> None:
        self.of(endpoint).skipped[reason] += 1

    def mirrored(self, endpoint: str) -> None:
        self.of(endpoint).mirrored += 1

    def compared(self, parity: list[EndpointParity]) -> None:
        """From the latest comparison of everything mirrored so far (the same engine as replay)."""
        for row in parity:
            counts = self.of(row.endpoint)
            counts.compared, counts.differing = row.entries, row.failed

    def rows(self) -> list[EndpointCounts]:
        return [self.endpoints[name] for name in sorted(self.endpoints)]
