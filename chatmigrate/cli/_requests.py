"""One typed request per command: what the command line asked for, parsed and checked, handed to the library.

The command functions only build these; everything they run reads a request, never loose flags.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatmigrate import report
from chatmigrate.config import Config
from chatmigrate.corpus import parse_shard
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.targets import open_targets


@dataclass(frozen=True, slots=True)
class TargetsRequest:
    """Where a run goes: a config (given, found or from the environment) or the embedded server."""

    config: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    drifts: tuple[str, ...] = ()
    flaws: tuple[str, ...] = ()
    ws_auth: str | None = None

    @contextmanager
    def open(self) -> Iterator[tuple[Config, EmbeddedServer | None]]:
        with open_targets(
            self.config, self.overrides, drifts=self.drifts, flaws=self.flaws, ws_auth=self.ws_auth
        ) as opened:
            yield opened


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    targets: TargetsRequest
    shard: tuple[int, int] | None = None
    resume: bool = False
    allow_writes: bool = False
    progress: bool | None = None
    recorded: Path | None = None
    """A capture whose requests are the corpus and whose answers stand for old."""


@dataclass(frozen=True, slots=True)
class ReportsRequest:
    """Where the reports go, in which formats, and the CI step summary the Markdown is appended to, if any."""

    out: Path = Path("reports")
    formats: tuple[str, ...] = report.FORMATS
    step_summary: Path | None = None

    @classmethod
    def parse(cls, out: Path, formats: str, step_summary: Path | None = None) -> ReportsRequest:
        return cls(out=out, formats=tuple(report.parse_formats(formats)), step_summary=step_summary)


@dataclass(frozen=True, slots=True)
class GateRequest:
    replay: ReplayRequest
    reports: ReportsRequest
    audit: bool = True


@dataclass(frozen=True, slots=True)
class AuditRequest:
    targets: TargetsRequest
    reports: ReportsRequest
    cases: frozenset[str] = frozenset()
    allow_writes: bool = False
    progress: bool | None = None


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """Folders to join; the merged results folder, corpus and gate come from ``overrides`` and the config."""

    folders: tuple[Path, ...]
    out: Path | None
    formats: str
    config: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    step_summary: Path | None = None


def shard_of(text: str | None) -> tuple[int, int] | None:
    return parse_shard(text) if text else None
