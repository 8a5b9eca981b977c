"""Findings counted across entries: one per endpoint and root cause (``Finding.group_key``), naming the entries
that showed it.

A systematic drift becomes one finding per path with a count, not ten thousand copies, and memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from chatmigrate.records import Finding
from chatmigrate.redact import redact, redact_obj
from chatmigrate.vocab import FindingKind


@dataclass(slots=True)
class _Bucket:
    finding: Finding
    findings: int = 0
    shown_by: set[str] = field(default_factory=set)
    """The entries it occurred in; sorted into ``Finding.entries`` so a report can mark every one of them."""


class FindingBook:
    """The kept instance is the one from the smallest entry id, so output does not depend on the order in which a
    concurrent runner wrote entries. Past ``max_per_group`` distinct findings per (check, endpoint, tier), the rest
    are counted in one summary finding."""

    def __init__(self, max_per_group: int) -> None:
        self._max = max_per_group
        self._buckets: dict[tuple[str, ...], _Bucket] = {}
        self._distinct: dict[tuple[str, str, str], int] = {}
        self._overflow: dict[tuple[str, str, str], _Bucket] = {}

    def add(self, finding: Finding) -> None:
        key = (finding.endpoint, *finding.group_key)
        bucket = self._buckets.get(key)
        if bucket is None:
            group = (finding.check, finding.endpoint, finding.tier or "")
            if self._distinct.get(group, 0) >= self._max:
                self._add_overflow(group, finding)
                return
            self._distinct[group] = self._distinct.get(group, 0) + 1
            bucket = self._buckets[key] = _Bucket(finding)
        elif finding.subject < bucket.finding.subject:
            bucket.finding = finding
        bucket.shown_by.add(finding.subject)

    def _add_overflow(self, group: tuple[str, str, str], finding: Finding) -> None:
        bucket = self._overflow.get(group)
        if bucket is None:
            bucket = self._overflow[group] = _Bucket(
                replace(
                    finding,
                    path=None,
                    kind=FindingKind.OVERFLOW,
                    variant=None,
                    old=None,
                    new=None,
                    evidence=None,
                    accept_toml=None,
                )
            )
        else:
            if finding.severity.rank > bucket.finding.severity.rank:
                bucket.finding.severity = finding.severity
            bucket.finding.subject = min(bucket.finding.subject, finding.subject)
        bucket.findings += 1
        bucket.shown_by.add(finding.subject)

    def findings(self) -> list[Finding]:
        out = []
        for bucket in self._buckets.values():
            finding = bucket.finding
            count = len(bucket.shown_by)
            noun = "entry" if count == 1 else "entries"
            out.append(replace(finding, title=f"{finding.title} (in {count} {noun})", entries=sorted(bucket.shown_by)))
        for (check, endpoint, side), bucket in self._overflow.items():
            out.append(
                replace(
                    bucket.finding,
                    title=f"{bucket.findings} more {check} findings on {side or 'any side'} "
                    f"for {endpoint}, beyond {self._max} distinct ones",
                    entries=sorted(bucket.shown_by),
                )
            )
        return out


def redacted(finding: Finding) -> Finding:
    return replace(
        finding,
        title=redact(finding.title),
        evidence=redact(finding.evidence) if finding.evidence is not None else None,
        old=redact_obj(finding.old),
        new=redact_obj(finding.new),
    )


def sort_key(finding: Finding) -> tuple[Any, ...]:
    """Most severe first, then a stable order, so two runs over the same exchanges list findings alike."""
    return (
        -finding.severity.rank,
        finding.check,
        finding.endpoint,
        finding.path or "",
        finding.kind or "",
        finding.variant or "",
        finding.tier or "",
        finding.subject,
    )
