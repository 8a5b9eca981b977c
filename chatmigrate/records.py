"""Typed records that flow one way: corpus entry -> exchange -> finding -> run result.

Every record round-trips through plain JSON (``to_dict`` / ``from_dict``) so that
runners can stream them to JSONL and reporters can re-render from disk without
touching the network.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from chatmigrate.vocab import AuditState, Check, Credential, FindingKind, Severity, Tier

RESULTS_SCHEMA_VERSION = 2
"""2: a finding's ``side`` is ``tier``; kinds with variants carry them in ``variant``; ``entries`` and ``probes``
say what a finding stands for. Version 1 files are still read."""

T = TypeVar("T")


@dataclass(slots=True)
class CorpusEntry:
    id: str
    method: str = "GET"
    path: str = "/admin/chat/"
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    tags: list[str] = field(default_factory=list)
    unsafe: bool = False
    principal: str | None = None
    """Who it is sent as: None for the targets' own `[auth]` user, else a `[principals.<name>]` entry."""


@dataclass(slots=True)
class Exchange:
    """One request/response on one side; bodies and headers are already redacted."""

    entry_id: str
    side: str
    attempt: int
    method: str
    url: str
    endpoint: str
    status: int | None = None
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    text: str | None = None
    is_json: bool = False
    elapsed_ms: float = 0.0
    error: str | None = None
    principal: str | None = None
    credential: Credential = Credential.OWN


def principal_id(entry_id: str, principal: str) -> str:
    """The id of a corpus entry sent again as a further principal: ``entry@viewer``."""
    return f"{entry_id}@{principal}"


def corpus_id(entry_id: str, principal: str | None) -> str:
    """The corpus entry an exchange replays: the inverse of ``principal_id``."""
    return entry_id.removesuffix(principal_id("", principal)) if principal else entry_id


@dataclass(slots=True)
class Finding:
    """One defect. ``old`` / ``new`` hold the two sides' values for parity checks, and the expectation and the
    observation for the audit. A per-entry parity finding stands for every entry in ``entries`` (``subject`` is the
    first), an audit finding for ``probes`` probes of its case on ``tier``.

    ``check``, ``kind`` and ``tier`` may be given as their string values; they are held as vocabulary members.
    """

    check: Check
    severity: Severity
    title: str
    subject: str
    endpoint: str = ""
    path: str | None = None
    kind: FindingKind | None = None
    variant: str | None = None
    """What tells findings of one kind apart where the kind has many: ``ok->unauthenticated``, a broken rule."""
    tier: Tier | None = None
    old: Any = None
    new: Any = None
    evidence: str | None = None
    reproducer: str | None = None
    entries: list[str] = field(default_factory=list)
    probes: int = 0
    accept_toml: str | None = None
    """chatmigrate.toml lines that accept this finding once their ``reason`` is filled in."""

    def __post_init__(self) -> None:
        self.check = Check(self.check)
        if self.tier is not None:
            self.tier = Tier(self.tier)
        if self.kind is not None and not isinstance(self.kind, FindingKind):
            self.kind, variant = read_kind(self.check, str(self.kind))
            self.variant = self.variant or variant

    @property
    def fingerprint(self) -> str:
        """Stable identity for baselines: what was checked where, not the values seen, nor (for a finding grouped
        over entries) which entry happened to be its example. Built from the results-v1 spelling of the kind,
        so baselines accepted before version 2 still match."""
        subject = None if self.check.per_entry else self.subject
        key = "|".join(
            str(part or "") for part in (self.check, subject, self.endpoint, self.path, self._v1_kind(), self.tier)
        )
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    @property
    def group_key(self) -> tuple[str, ...]:
        """The root cause: the same check finding the same kind (and variant) at the same path on the same tier,
        whichever entry, case or endpoint showed it."""
        return tuple(str(part or "") for part in (self.check, self.kind, self.variant, self.tier, self.path))

    def _v1_kind(self) -> str | None:
        if self.kind is None or self.variant is None:
            return self.kind
        return _V1_SPELLING.get(self.kind, "{kind}-{variant}").format(kind=self.kind.value, variant=self.variant)


_V1_SPELLING: dict[FindingKind, str] = {
    FindingKind.OUTCOME_CHANGED: "{variant}",
    FindingKind.SCHEMA_VIOLATION: "{variant}",
    FindingKind.CONTRACT_CHECK: "{variant}",
    FindingKind.STATUS_CHANGED: "status {variant}",
    FindingKind.FIXED_CRASH: "fixed-crash {variant}",
}
"""How results v1 spelled a kind with its variant; any other kind's variant is a status, spelled ``html-404``."""
_PAIR_PREFIXES = {
    kind: spelling.removesuffix("{variant}") for kind, spelling in _V1_SPELLING.items() if spelling != "{variant}"
}
_KIND_VALUES = frozenset(kind.value for kind in FindingKind)
_AT_STATUS = re.compile(r"(?P<kind>[a-z-]+)-(?P<status>[1-5]\d\d)")


def read_kind(check: Check, text: str) -> tuple[FindingKind, str | None]:
    """A kind given as a string: a member's value, or the results-v1 spelling of a kind with its variant
    (``html-404``, ``ok->unauthenticated``, ``status 400->422``, a schema rule, a schemathesis check name)."""
    if text in _KIND_VALUES:
        return FindingKind(text), None
    at_status = _AT_STATUS.fullmatch(text)
    if at_status is not None and at_status["kind"] in _KIND_VALUES:
        return FindingKind(at_status["kind"]), at_status["status"]
    if check is Check.AUTH_OUTCOME:
        for kind, prefix in _PAIR_PREFIXES.items():
            if text.startswith(prefix):
                return kind, text.removeprefix(prefix)
        if "->" in text:
            return FindingKind.OUTCOME_CHANGED, text
    if check is Check.SCHEMA:
        return FindingKind.SCHEMA_VIOLATION, text
    if check is Check.AUDIT and "_" in text and text.isidentifier():
        return FindingKind.CONTRACT_CHECK, text
    raise ValueError(f"unknown {check} finding kind {text!r}")


@dataclass(slots=True)
class TargetInfo:
    side: str
    base_url: str
    auth: str
    principal: str
    expectations: list[str] = field(default_factory=list)
    """The contract and declared policies it was held to, in words."""


@dataclass(slots=True)
class NoisePath:
    endpoint: str
    path: str
    side: str
    examples: list[str] = field(default_factory=list)
    ignore_toml: str = ""
    """The ``[[ignore]]`` block that would declare this path, for a reviewer who prefers it declared."""


@dataclass(slots=True)
class RuleLedger:
    path: str
    reason: str
    endpoint: str | None = None
    suppressed: int = 0


@dataclass(slots=True)
class LatencyStat:
    endpoint: str
    side: str
    count: int
    p50_ms: float
    p95_ms: float


@dataclass(slots=True)
class EndpointParity:
    endpoint: str
    entries: int = 0
    passed: int = 0
    failed: int = 0


@dataclass(slots=True)
class MatrixCell:
    """What one tier answered one principal, over the corpus: entries granted, refused, or neither."""

    tier: Tier
    granted: int = 0
    refused: int = 0
    other: int = 0
    refused_at_login: bool = False
    grants_more: int = 0
    """Entries this tier granted where old refused the same principal the same request."""


@dataclass(slots=True)
class PrincipalRow:
    """One row of the principal matrix: the table a cutover owner signs."""

    principal: str
    cells: list[MatrixCell] = field(default_factory=list)

    @property
    def grants_more(self) -> int:
        return sum(cell.grants_more for cell in self.cells)


@dataclass(slots=True)
class AuditResult:
    """``passed`` stays for readers of report.json and must agree with ``state``, the one readers here use."""

    case_id: str
    group: str
    tier: str
    description: str
    passed: bool
    status: int | None = None
    detail: str = ""
    state: AuditState = field(kw_only=True)

    def __post_init__(self) -> None:
        if self.passed != (self.state is AuditState.PASS):
            raise ValueError(f"AuditResult {self.case_id} [{self.tier}]: passed={self.passed} but state {self.state}")


@dataclass(slots=True)
class Verdict:
    passed: bool
    exit_code: int
    reason: str
    threshold: Severity = Severity.MEDIUM


@dataclass(slots=True)
class RunResult:
    """Everything a reporter needs; details only for findings, aggregates for the rest."""

    tool_version: str
    started_at: str
    finished_at: str = ""
    schema_version: int = RESULTS_SCHEMA_VERSION
    targets: list[TargetInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    noise: list[NoisePath] = field(default_factory=list)
    rules: list[RuleLedger] = field(default_factory=list)
    latency: list[LatencyStat] = field(default_factory=list)
    endpoints: list[EndpointParity] = field(default_factory=list)
    audit: list[AuditResult] = field(default_factory=list)
    principals: list[PrincipalRow] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    stale_baseline: list[str] = field(default_factory=list)
    verdict: Verdict | None = None


def to_dict(record: Any) -> Any:
    """JSON-ready view of a record (enums as their values)."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: to_dict(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, Enum):
        return record.value
    if isinstance(record, list):
        return [to_dict(item) for item in record]
    if isinstance(record, dict):
        return {key: to_dict(value) for key, value in record.items()}
    return record


def from_dict(cls: type[T], data: Any) -> T:
    """Rebuild a record from ``to_dict`` output; unknown keys are an error so drift is caught early."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    upgrade = _UPGRADES.get(cls)
    if upgrade is not None:
        data = upgrade(data)
    converters = _converters(cls)  # type: ignore[arg-type]
    unknown = data.keys() - converters
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field(s) {', '.join(sorted(unknown))}")
    kwargs = {name: value if (convert := converters[name]) is None else convert(value) for name, value in data.items()}
    return cls(**kwargs)


Converter = Callable[[Any], Any]


def _finding_from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 called the tier ``side`` and spelled kinds with their variants (see ``read_kind``)."""
    if "side" not in data:
        return data
    upgraded = {name: value for name, value in data.items() if name != "side"}
    upgraded.setdefault("tier", data["side"])
    if isinstance(data.get("kind"), str):
        kind, upgraded["variant"] = read_kind(Check(str(data.get("check"))), data["kind"])
        upgraded["kind"] = kind.value
    return upgraded


def _run_from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version 1 run, once read, is a current one: written again, it says so."""
    return {**data, "schema_version": RESULTS_SCHEMA_VERSION} if data.get("schema_version") == 1 else data


_UPGRADES: dict[type, Callable[[dict[str, Any]], dict[str, Any]]] = {Finding: _finding_from_v1, RunResult: _run_from_v1}


@functools.cache
def _converters(cls: type) -> dict[str, Converter | None]:
    """Per field, how to rebuild it (None: plain JSON as is); worked out once per class, since result files
    of 100k lines are loaded record by record."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {name: _converter(hint) for name, hint in typing.get_type_hints(cls).items() if name in names}


def _converter(hint: Any) -> Converter | None:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        inner = _converter(args[0]) if len(args) == 1 else None
        return None if inner is None else (lambda value: None if value is None else inner(value))
    if origin is list:
        item = _converter(typing.get_args(hint)[0])
        return None if item is None else (lambda value: [item(element) for element in value])
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return functools.partial(from_dict, hint)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    return None
