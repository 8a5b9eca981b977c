"""Inspectors: a case's own look at an answer, for properties the pass rule does not judge.

Each returns the concerns (severity, finding kind, message) it found; ``rules`` turns them into
violations beside its own. They are closures over what the builder learned before sending.
"""

from __future__ import annotations

from chatmigrate.audit.probe import Concern, HttpObservation, Inspector
from chatmigrate.vocab import FindingKind, Severity


def never_data(markers: tuple[str, ...], *, success: Severity | None = None) -> Inspector:
    """A request that carries no valid credential: data is critical; a bare 2xx is ``success`` (None: fine)."""

    def inspect(seen: HttpObservation) -> list[Concern]:
        status = seen.status or 0
        if 200 <= status < 300 and any(marker in seen.text for marker in markers):  # seeded data text
            return [(Severity.CRITICAL, FindingKind.DATA_RETURNED, f"protected data returned with status {status}")]
        if success is not None and 200 <= status < 300:
            return [(success, FindingKind.ACCEPTED, f"accepted without valid auth, status {status}")]
        return []

    return inspect


def set_cookies(seen: HttpObservation) -> dict[str, dict[str, str]]:
    """Each cookie the answer sets, with its attributes by lower-case name (flags map to ``"true"``)."""
    found: dict[str, dict[str, str]] = {}
    for name, value in seen.headers:
        if name.lower() != "set-cookie":
            continue
        cookie_name = value.split("=", 1)[0].strip()
        attributes = {"value": value.split("=", 1)[1].split(";", 1)[0] if "=" in value else ""}
        for part in value.split(";")[1:]:
            key, _, setting = part.strip().partition("=")
            attributes[key.lower()] = setting or "true"
        found[cookie_name] = attributes
    return found
