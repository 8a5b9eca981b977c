"""What the shadow proxy may do: how much it mirrors, where, and when an endpoint counts as failing."""

from __future__ import annotations

from dataclasses import dataclass, field

from chatmigrate.vocab import Tier

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ShadowOptions:
    queue_size: int = 1_000
    """Mirror jobs waiting at most; past it a request is answered as usual and its mirror is dropped and counted."""
    max_queued_bytes: int = 64 * MIB
    """Bytes of bodies held by waiting jobs at most: the hard memory bound of the mirror."""
    max_body_bytes: int = 16 * MIB
    """A primary body is teed for comparison up to this size; past it the exchange is recorded as too large."""
    workers: int = 4
    """Mirror jobs in flight at once."""
    sample_rate: float = 1.0
    """Fraction of eligible requests mirrored (0 to 1)."""
    allow_paths: tuple[str, ...] = ()
    """Path prefixes to mirror; empty: every path."""
    deny_paths: tuple[str, ...] = ()
    """Path prefixes never mirrored (checked after ``allow_paths``)."""
    mirror_writes: frozenset[Tier] = field(default_factory=frozenset)
    """Tiers to which an unsafe request (POST, PUT, PATCH, DELETE) may be mirrored; by default none."""
    timeout: float = 10.0
    """Seconds for each request to old (primary and mirror) and to new."""
    drain_seconds: float = 10.0
    """On shutdown, how long queued mirrors may still finish before the final report."""
    report_every: float = 30.0
    """Seconds between rewrites of run.json and the reports; they are also written on shutdown."""
    relative_threshold: float = 10.0
    """An endpoint fails when at least this percentage of its compared requests differ …"""
    absolute_threshold: int = 5
    """… and at least this many of them do (Diffy's two thresholds: a few differences in many is noise)."""
    session_cookie: str = "sessionid"
    login_path: str = "/admin/login/"
    logout_path: str = "/admin/logout/"

    def __post_init__(self) -> None:
        if not 0.0 <= self.sample_rate <= 1.0:
            raise ValueError(f"sample_rate must be between 0 and 1, got {self.sample_rate}")
        for name in ("queue_size", "max_queued_bytes", "max_body_bytes", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
