"""Root causes: the findings that share one defect, counted and shown once.

One defect often surfaces as many findings. An API that answers every refusal with an HTML page fails each
audit case that refuses; a renamed field fails every endpoint that carries it. Findings with one
``Finding.group_key`` (check, kind, tier, path) are one root cause, and so is a finding that another finding
on the same case already explains (``EXPLAINED_BY``). The gate counts root causes beside findings, and reports
lead with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from chatmigrate.records import AuditResult, Finding
from chatmigrate.vocab import Check, FindingKind, Tier

EXPLAINED_BY: dict[FindingKind, FindingKind] = {
    FindingKind.BAD_ENVELOPE: FindingKind.HTML,
    FindingKind.WRONG_STATUS: FindingKind.SERVER_ERROR,
}
"""A kind that a finding of the other kind on the same subject and tier already explains: an HTML page is never
the JSON error envelope, and a server error is never the status a refusal was due."""

_PHRASES: dict[FindingKind, str] = {
    FindingKind.HTML: "answers {status} with an HTML page",
    FindingKind.BAD_ENVELOPE: "refuses {status} without the JSON error envelope",
    FindingKind.WRONG_STATUS: "refuses with the wrong status ({status})",
    FindingKind.SERVER_ERROR: "fails with a server error ({status})",
    FindingKind.STACK_TRACE: "shows debug text when it refuses",
    FindingKind.TOKEN_ECHO: "echoes the presented token",
    FindingKind.ACCEPTED: "accepts credentials it must refuse",
    FindingKind.DATA_RETURNED: "returns protected data to credentials it must refuse",
    FindingKind.INJECTED_DELAY: "stalls on crafted credentials",
    FindingKind.NO_ANSWER: "gives no answer",
    FindingKind.REDIRECT: "answers refusals with a redirect",
    FindingKind.CSRF_BYPASSED: "lets unsafe requests through without a valid CSRF token",
    FindingKind.CSRF_REASON: "refuses CSRF failures without saying why",
    FindingKind.LEFT_OPEN: "leaves refused connections open",
    FindingKind.IMPERSONATION: "lets a client act as another user",
    FindingKind.DOCUMENTED_BEHAVIOUR: "does not honour a documented success",
    FindingKind.OUTBOUND_FETCH: "fetches URLs named in credentials",
    FindingKind.CONTRACT_CHECK: "breaks its contract ({variant})",
    FindingKind.TRANSPORT_ERROR: "gives no answer",
    FindingKind.NOT_JSON: "answers {status} with a non-JSON body where JSON was due",
    FindingKind.CONTENT_TYPE: "labels JSON with another content type ({status})",
    FindingKind.LOGIN_REDIRECT: "answers {status} with a redirect to a login page",
    FindingKind.LOGIN_PAGE: "answers {status} with an HTML login page",
    FindingKind.LEGACY_CRASH: "crashes with {status} where the other tiers refuse cleanly",
    FindingKind.OUTCOME_CHANGED: "changes the auth outcome ({variant})",
    FindingKind.STATUS_CHANGED: "changes the status ({variant})",
    FindingKind.FIXED_CRASH: "refuses cleanly where the legacy admin crashed ({variant})",
    FindingKind.KEY_REMOVED: "drops {path}",
    FindingKind.KEY_ADDED: "adds {path}",
    FindingKind.VALUE_CHANGED: "changes the value of {path}",
    FindingKind.TYPE_CHANGED: "changes the type of {path}",
    FindingKind.LENGTH_CHANGED: "changes the length of {path}",
    FindingKind.ORDER_ONLY: "reorders {path}",
    FindingKind.SAME_INSTANT: "writes the instants at {path} in another format",
    FindingKind.DECIMAL_STRING: "writes the decimals at {path} as another JSON type",
    FindingKind.NUMERIC_STRING_ID: "writes the ids at {path} as another JSON type",
    FindingKind.SCHEMA_VIOLATION: "breaks its contract at {path} ({variant})",
    FindingKind.SOCKET_TO_HISTORY: "loses messages sent over the WebSocket",
    FindingKind.SEND_TO_SOCKET: "loses messages sent with the REST endpoint",
}
"""How a root cause of several findings reads after its tier's name; one finding is headed by its own title."""

_JSON_PHRASES: dict[FindingKind, str] = {
    FindingKind.HTML: "answers {status} with an HTML page where JSON was due",
    FindingKind.REDIRECT: "answers {status} with a redirect where JSON was due",
}
"""The json check's reading of kinds the audit shares."""


@dataclass(frozen=True, slots=True)
class RootCause:
    findings: tuple[Finding, ...]
    """Worst first."""
    statuses: tuple[int, ...] = ()
    """The statuses its audit cases ended with, or its parity findings name as their variant, for the headline."""

    @property
    def lead(self) -> Finding:
        return self.findings[0]

    @property
    def headline(self) -> str:
        lead = self.lead
        template = _template(lead)
        if len(self.findings) == 1 or template is None:
            return lead.title
        status = "/".join(map(str, self.statuses))
        phrase = template.format(status=status, variant=lead.variant or "", path=lead.path or "")
        phrase = " ".join(phrase.replace("()", "").split())
        return f"{_label(lead.tier)} {phrase}".strip()

    @property
    def subjects(self) -> list[str]:
        """What it was seen on: the corpus entries of per-entry findings, else each finding's subject."""
        seen: dict[str, None] = {}
        for finding in self.findings:
            seen.update(dict.fromkeys(finding.entries or [finding.subject]))
        return sorted(seen)

    @property
    def extent(self) -> str:
        lead = self.lead
        if lead.check is Check.AUDIT:
            return f"{_count(len(self.subjects), 'case')}, {_count(self.probes, 'probe')}"
        if lead.check.per_entry:
            return _count(len(self.subjects), "entry", "entries")
        return _count(len(self.findings), "finding")

    @property
    def probes(self) -> int:
        """Probes of one case that several findings name are the same probes: counted once per case."""
        most: dict[str, int] = {}
        for finding in self.findings:
            most[finding.subject] = max(most.get(finding.subject, 0), finding.probes or 1)
        return sum(most.values())

    @property
    def summary(self) -> str:
        return f"{self.headline}: {self.extent}"


def root_causes(findings: Iterable[Finding], audit: Iterable[AuditResult] = ()) -> list[RootCause]:
    """Root causes worst first, then the widest; each lists its findings worst first."""
    listed = list(findings)
    kinds_on: dict[tuple[str, ...], set[FindingKind | None]] = {}
    for finding in listed:
        kinds_on.setdefault(_case(finding), set()).add(finding.kind)
    groups: dict[tuple[str, ...], list[Finding]] = {}
    for finding in listed:
        groups.setdefault(_cause_key(finding, kinds_on[_case(finding)]), []).append(finding)
    status_of = {(result.case_id, result.tier): result.status for result in audit}
    causes = []
    for members in groups.values():
        ordered = tuple(sorted(members, key=lambda f: (-f.severity.rank, f.subject, f.endpoint)))
        statuses = {_status(f, status_of) for f in ordered}
        causes.append(RootCause(ordered, tuple(sorted(s for s in statuses if s is not None))))
    return sorted(causes, key=lambda c: (-c.lead.severity.rank, -len(c.findings), c.headline))


def count_line(findings: int, causes: int) -> str:
    """The gate's count: "90 findings in 3 root causes"."""
    return f"{_count(findings, 'finding')} in {_count(causes, 'root cause')}"


def _status(finding: Finding, status_of: dict[tuple[str, str], int | None]) -> int | None:
    """An audit finding's case status; a parity finding's status is its variant where the variant is one."""
    if finding.check is Check.AUDIT:
        return status_of.get((finding.subject, finding.tier or ""))
    return int(finding.variant) if finding.variant is not None and finding.variant.isdigit() else None


def _case(finding: Finding) -> tuple[str, ...]:
    return (finding.check, finding.subject, finding.tier or "")


def _cause_key(finding: Finding, kinds_on_case: set[FindingKind | None]) -> tuple[str, ...]:
    cause = EXPLAINED_BY.get(finding.kind) if finding.kind is not None else None
    if cause is None or cause not in kinds_on_case:
        return finding.group_key
    return replace(finding, kind=cause, variant=None).group_key


def _template(finding: Finding) -> str | None:
    if finding.kind is None:
        return None
    if finding.check is Check.JSON and finding.kind in _JSON_PHRASES:
        return _JSON_PHRASES[finding.kind]
    return _PHRASES.get(finding.kind)


def _label(tier: Tier | None) -> str:
    return tier.label if tier is not None else ""


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
