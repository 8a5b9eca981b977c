"""A finding as plain text: what the JUnit failure and the pytest plugin show a developer."""

from __future__ import annotations

import json
from typing import Any

from chatmigrate.records import Finding
from chatmigrate.vocab import Check


def finding_text(
    finding: Finding, *, note: str = "", value_chars: int | None = None, evidence_chars: int | None = None
) -> str:
    """Title first, then where, the values (as JSON, so that 17 against "17" shows), evidence, reproducer."""
    lines = [f"[{finding.severity.value}] {finding.check}: {finding.title}{note}"]
    place = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("endpoint", finding.endpoint),
            ("tier", finding.tier),
            ("path", finding.path),
            ("kind", finding.kind),
            ("variant", finding.variant),
        )
        if value
    )
    if place:
        lines.append(f"    {place}")
    if finding.old is not None or finding.new is not None:
        before, after = value_labels(finding)
        lines.append(f"    {before}: {clip(_json(finding.old), value_chars)}")
        lines.append(f"    {after}: {clip(_json(finding.new), value_chars)}")
    if finding.evidence:
        lines.append(f"    evidence: {clip(finding.evidence, evidence_chars)}")
    if finding.reproducer:
        lines.append("    reproduce:")
        lines += [f"      {line}" for line in finding.reproducer.splitlines()]
    lines.append(f"    fingerprint: {finding.fingerprint}")
    return "\n".join(lines)


def value_labels(finding: Finding) -> tuple[str, str]:
    """An audit finding holds what was expected and what was observed; a parity finding the two sides."""
    return ("expected", "observed") if finding.check is Check.AUDIT else ("old", "new")


def clip(text: str, limit: int | None) -> str:
    """One line; cut at ``limit`` characters (if any) saying how much was left out."""
    flat = " ".join(text.split())
    if limit is None or len(flat) <= limit:
        return flat
    return f"{flat[:limit]}… ({len(flat) - limit} more characters)"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
