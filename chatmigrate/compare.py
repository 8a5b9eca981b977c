"""Parity checks over recorded exchanges: each corpus entry's old response against new (and proxy).

Two streamed passes over the exchanges: the first learns noise (what differs
between two identical calls of one side), because entries of one endpoint teach
each other; the second runs the checks. Only aggregates and findings are kept,
so memory stays bounded however long the run, and a systematic drift becomes
one finding per path with a count, not ten thousand copies.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from chatmigrate.config import CompareOptions as CompareOptions
from chatmigrate.config import SchemaCheck
from chatmigrate.errors import ConfigError
from chatmigrate.jsondiff import Difference, DiffKind, diff, json_type
from chatmigrate.noise import NoiseModel, RuleBook, RuleSpec
from chatmigrate.records import (
    EndpointParity,
    Exchange,
    Finding,
    LatencyStat,
    NoisePath,
    RuleLedger,
    RunResult,
    from_dict,
)
from chatmigrate.redact import redact, redact_obj
from chatmigrate.vocab import Check, FindingKind, Outcome, Severity, Tier

PRIMARY_SIDE = "old"
TIERS = {"old": "legacy", "new": "jwt", "proxy": "proxy"}

CHECK_JSON = Check.JSON
CHECK_OUTCOME = Check.AUTH_OUTCOME
CHECK_BODY = Check.BODY
CHECK_SCHEMA = Check.SCHEMA
CHECK_LATENCY = Check.LATENCY
CHECK_NOISE = Check.NOISE
CHECK_IGNORE_RULE = Check.IGNORE_RULE

_BODY_SEVERITY = {
    DiffKind.VALUE_CHANGED: Severity.HIGH,
    DiffKind.TYPE_CHANGED: Severity.HIGH,
    DiffKind.KEY_REMOVED: Severity.HIGH,
    DiffKind.LENGTH_CHANGED: Severity.HIGH,
    DiffKind.ORDER_ONLY: Severity.MEDIUM,
    DiffKind.KEY_ADDED: Severity.LOW,
}
_LOGIN_PATH = re.compile(r"(?:^|/)(?:login|log-in|signin|sign-in)(?:/|$)", re.IGNORECASE)
_PASSWORD_INPUT = re.compile(r"<input[^>]*(?:type\s*=\s*[\"']?password|name\s*=\s*[\"']?password)", re.IGNORECASE)
_HTML_START = re.compile(r"\s*<(?:!doctype\s+html|html)\b", re.IGNORECASE)
_VIOLATION_PATH = re.compile(r"(\$\S*?):\s")
_LEADING_VALUE = re.compile(
    r"^(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|-?[\d.][\w.+-]*|True|False|None|\[.*?\]|\{.*?\})\s+"
)
_INDEX = re.compile(r"\[\d+\]")


def _schema_check(options: CompareOptions) -> SchemaCheck:
    """The caller's own check, else the user's contract documents (config ``[contracts]``) over the built-in ones."""
    from chatmigrate.contracts import response_checker

    return options.schema_check or response_checker(options.contracts)


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


# Outcome classification -------------------------------------------------------------------------


def _is_html(exchange: Exchange) -> bool:
    return "html" in exchange.content_type.lower() or bool(exchange.text and _HTML_START.match(exchange.text))


def is_json_type(content_type: str) -> bool:
    """JSON by media type (``application/json``, ``application/problem+json``); the runner shares it."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _is_json_text(text: str | None) -> bool:
    """The runner parses only bodies labelled JSON and keeps any other as text, so JSON mislabelled shows here."""
    if not text:
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _location(exchange: Exchange) -> str:
    return next((value for name, value in exchange.headers.items() if name.lower() == "location"), "")


def _is_login_redirect(exchange: Exchange) -> bool:
    status = exchange.status or 0
    return 300 <= status < 400 and bool(_LOGIN_PATH.search(urlsplit(_location(exchange)).path))


def _is_login_page(exchange: Exchange) -> bool:
    return _is_html(exchange) and bool(exchange.text and _PASSWORD_INPUT.search(exchange.text))


def classify(exchange: Exchange) -> Outcome:
    """The auth outcome, so a legacy 302-to-login and a JWT 401 compare as the same thing.

    Redirects elsewhere than a login page count as client errors: the request did not
    reach its resource.
    """
    status = exchange.status
    if status is None:
        return Outcome.TRANSPORT_ERROR
    if 200 <= status < 300:
        return Outcome.UNAUTHENTICATED if _is_login_page(exchange) else Outcome.OK
    if 300 <= status < 400:
        return Outcome.UNAUTHENTICATED if _is_login_redirect(exchange) else Outcome.CLIENT_ERROR
    if status == 401:
        return Outcome.UNAUTHENTICATED
    if status == 403:
        return Outcome.FORBIDDEN
    if status == 404:
        return Outcome.NOT_FOUND
    if status >= 500:
        return Outcome.SERVER_ERROR
    return Outcome.CLIENT_ERROR


# Checks: each returns findings for one entry; the aggregator counts them across entries. -------


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}\n… [truncated, {len(text) - limit} more characters]"


def _status(exchange: Exchange) -> str:
    return str(exchange.status) if exchange.status is not None else "no response"


def check_json(exchange: Exchange, evidence_chars: int = 20_000) -> Finding | None:
    """A JSON API must answer JSON with a JSON content type; the legacy tier's login and 404 pages are known.

    No answer at all fails too, on any side: two sides that both fail to answer are not in parity.
    """
    status = exchange.status
    side = exchange.side
    finding = partial(Finding, check=CHECK_JSON, subject=exchange.entry_id, endpoint=exchange.endpoint, tier=Tier(side))
    if status is None:
        error = exchange.error or "no error recorded"
        return finding(
            severity=Severity.HIGH,
            kind=FindingKind.TRANSPORT_ERROR,
            evidence=error,
            title=f"{side} gave no answer: {error}",
        )
    if status == 204 or (exchange.is_json and is_json_type(exchange.content_type)):
        return None
    legacy = side == PRIMARY_SIDE
    if 300 <= status < 400:
        location = f"Location: {_location(exchange)}"
        if not _is_login_redirect(exchange):
            return finding(
                severity=Severity.HIGH,
                kind=FindingKind.REDIRECT,
                evidence=location,
                title=f"{side} answers a {status} redirect where JSON was due",
            )
        if legacy:
            return finding(
                severity=Severity.INFO,
                kind=FindingKind.LOGIN_REDIRECT,
                evidence=location,
                title=f"old answers {status} to the login page (expected legacy behaviour)",
            )
        return finding(
            severity=Severity.HIGH,
            kind=FindingKind.LOGIN_REDIRECT,
            evidence=location,
            title=f"{side} answers {status} to a login page instead of a JSON 401",
        )
    page = _truncate(exchange.text or "", evidence_chars)
    if _is_html(exchange):
        if legacy and _is_login_page(exchange):
            return finding(
                severity=Severity.INFO,
                kind=FindingKind.LOGIN_PAGE,
                evidence=page,
                title=f"old answers an HTML login page ({status}) (expected legacy behaviour)",
            )
        if legacy and status == 404:
            return finding(
                severity=Severity.INFO,
                kind=FindingKind.HTML_404,
                evidence=page,
                title="old answers an HTML 404 page (expected legacy behaviour)",
            )
        return finding(
            severity=Severity.HIGH,
            kind=FindingKind.HTML,
            evidence=page,
            title=f"{side} answers an HTML page ({status}) where JSON was due",
        )
    content_type = exchange.content_type or "no content type"
    if _is_json_text(exchange.text):
        return finding(
            severity=Severity.MEDIUM,
            kind=FindingKind.CONTENT_TYPE,
            old="application/json",
            new=content_type,
            title=f"{side} answers JSON labelled {content_type!r} ({status})",
        )
    return finding(
        severity=Severity.HIGH,
        kind=FindingKind.NOT_JSON,
        evidence=page,
        title=f"{side} answers a non-JSON body ({content_type}, {status}) where JSON was due",
    )


def check_outcome(old: Exchange, candidate: Exchange) -> Finding | None:
    """Auth outcomes must match; with JSON on both sides, so must the status code (400 vs 422 breaks clients)."""
    before, after = classify(old), classify(candidate)
    side = candidate.side
    finding = partial(
        Finding,
        check=CHECK_OUTCOME,
        subject=old.entry_id,
        endpoint=old.endpoint,
        tier=Tier(side),
        old=old.status,
        new=candidate.status,
    )
    if before != after:
        return finding(
            severity=Severity.HIGH if after is Outcome.SERVER_ERROR else Severity.MEDIUM,
            kind=FindingKind.OUTCOME_CHANGED,
            variant=f"{before.value}->{after.value}",
            evidence=redact(candidate.error or old.error or "") or None,
            title=f"auth outcome differs: old {before.value} ({_status(old)}), "
            f"{side} {after.value} ({_status(candidate)})",
        )
    if old.status != candidate.status and old.is_json and candidate.is_json:
        return finding(
            severity=Severity.MEDIUM,
            kind=FindingKind.STATUS_CHANGED,
            variant=f"{old.status}->{candidate.status}",
            title=f"same outcome ({after.value}) but status {old.status} on old, {candidate.status} on {side}",
        )
    return None


def _cap(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return _truncate(value, limit)
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return value if len(text) <= limit else _truncate(text, limit)
    return value


def _describe(difference: Difference, pattern: str, side: str) -> str:
    kind = difference.kind
    if kind is DiffKind.VALUE_CHANGED:
        return f"{pattern} value changed on {side}"
    if kind is DiffKind.TYPE_CHANGED:
        return f"{pattern} type changed on {side}: {json_type(difference.old)} -> {json_type(difference.new)}"
    if kind is DiffKind.KEY_ADDED:
        return f"{pattern} added on {side}"
    if kind is DiffKind.KEY_REMOVED:
        return f"{pattern} missing on {side}"
    if kind is DiffKind.LENGTH_CHANGED:
        return f"{pattern} length differs on {side}"
    return f"{pattern} has the same items in a different order on {side}"


def check_body(
    old: Exchange, candidate: Exchange, noise: NoiseModel, rules: RuleBook, value_chars: int = 500
) -> list[Finding]:
    """Typed body diff after declared ignores (credited in the ledger) and learned noise are taken out."""
    endpoint = old.endpoint
    groups: dict[tuple[DiffKind, str], tuple[Difference, int]] = {}
    for difference in diff(old.body, candidate.body):
        if rules.suppresses(endpoint, difference) or noise.is_noise(endpoint, difference, entry=old.entry_id):
            continue
        key = (difference.kind, difference.pattern)
        first, count = groups.get(key, (difference, 0))
        groups[key] = (first, count + 1)
    findings = []
    for (kind, pattern), (first, count) in groups.items():
        items = f"; {count} items in this entry, e.g. {first.path}" if count > 1 else f"; at {first.path}"
        findings.append(
            Finding(
                check=CHECK_BODY,
                severity=_BODY_SEVERITY[kind],
                title=_describe(first, pattern, candidate.side),
                subject=old.entry_id,
                endpoint=endpoint,
                path=pattern,
                kind=kind,
                tier=Tier(candidate.side),
                old=_cap(first.old, value_chars),
                new=_cap(first.new, value_chars),
                evidence=f"{kind.value}{items}",
            )
        )
    return findings


def _violation_path(violation: str) -> str | None:
    """The JSON path a violation starts with, positions as ``[*]``: the same defect on any item is one finding."""
    match = _VIOLATION_PATH.match(violation)
    return _INDEX.sub("[*]", match.group(1)) if match else None


def check_schema(exchange: Exchange, schema_check: SchemaCheck) -> list[Finding]:
    """Each side must conform to its own published contract."""
    tier = TIERS.get(exchange.side)
    if tier is None or not exchange.is_json or exchange.status is None:
        return []
    path = urlsplit(exchange.url).path
    return [
        Finding(
            check=CHECK_SCHEMA,
            severity=Severity.MEDIUM,
            subject=exchange.entry_id,
            endpoint=exchange.endpoint,
            tier=Tier(exchange.side),
            path=_violation_path(violation),
            kind=FindingKind.SCHEMA_VIOLATION,
            variant=_violation_kind(violation),
            title=f"{exchange.side} {exchange.status} response breaks the {tier} contract: {violation}",
        )
        for violation in schema_check(tier, exchange.method, path, exchange.status, exchange.body)
    ]


def _violation_kind(violation: str) -> str:
    """The problem without the offending value, so that two defects at one path stay two findings (and two
    baseline entries) while the same defect with other values stays one."""
    problem = _VIOLATION_PATH.sub("", violation, count=1).split(" (and ", 1)[0]
    if not problem.endswith(" is a required property"):
        problem = _LEADING_VALUE.sub("", problem, count=1)
    return problem[:120]


# Aggregates ---------------------------------------------------------------------------------------


def _percentile(ordered: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _Latency:
    """Per (endpoint, side) samples as packed doubles: 8 bytes per exchange."""

    def __init__(self) -> None:
        self._samples: dict[tuple[str, str], array[float]] = {}

    def add(self, exchange: Exchange) -> None:
        if exchange.status is not None:
            self._samples.setdefault((exchange.endpoint, exchange.side), array("d")).append(exchange.elapsed_ms)

    def stats(self) -> list[LatencyStat]:
        out = []
        for (endpoint, side), samples in sorted(self._samples.items()):
            ordered = sorted(samples)
            out.append(
                LatencyStat(
                    endpoint=endpoint,
                    side=side,
                    count=len(ordered),
                    p50_ms=round(_percentile(ordered, 0.5), 3),
                    p95_ms=round(_percentile(ordered, 0.95), 3),
                )
            )
        return out


def check_latency(stats: list[LatencyStat], options: CompareOptions) -> list[Finding]:
    """p95 regressions of new (or proxy) against old, past both a relative limit and an absolute floor."""
    by_key = {(stat.endpoint, stat.side): stat for stat in stats}
    findings = []
    for stat in stats:
        base = by_key.get((stat.endpoint, PRIMARY_SIDE))
        if stat.side == PRIMARY_SIDE or base is None:
            continue
        if min(base.count, stat.count) < options.latency_min_samples:
            continue
        if (
            stat.p95_ms > base.p95_ms * (1 + options.latency_limit)
            and stat.p95_ms - base.p95_ms > options.latency_floor_ms
        ):
            ratio = f"{stat.p95_ms / base.p95_ms:.1f}x" if base.p95_ms > 0 else "up from 0 ms"
            findings.append(
                Finding(
                    check=CHECK_LATENCY,
                    severity=Severity.MEDIUM,
                    subject=stat.endpoint,
                    endpoint=stat.endpoint,
                    tier=Tier(stat.side),
                    kind=FindingKind.P95,
                    old=base.p95_ms,
                    new=stat.p95_ms,
                    title=f"p95 latency {stat.p95_ms:.0f} ms on {stat.side} vs {base.p95_ms:.0f} ms on old ({ratio})",
                    evidence=f"p50 {base.p50_ms:.1f} -> {stat.p50_ms:.1f} ms, p95 {base.p95_ms:.1f} -> "
                    f"{stat.p95_ms:.1f} ms over {base.count} / {stat.count} samples",
                )
            )
    return findings


@dataclass(slots=True)
class _Bucket:
    finding: Finding
    findings: int = 0
    shown_by: set[str] = field(default_factory=set)
    """The entries it occurred in; sorted into ``Finding.entries`` so a report can mark every one of them."""


class _FindingBook:
    """One finding per endpoint and root cause (``Finding.group_key``), naming the entries it occurred in.

    The kept instance is the one from the smallest entry id, so output does not depend on
    the order in which a concurrent runner wrote entries.
    """

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
                replace(finding, path=None, kind=FindingKind.OVERFLOW, variant=None, old=None, new=None, evidence=None)
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


def _redacted(finding: Finding) -> Finding:
    return replace(
        finding,
        title=redact(finding.title),
        evidence=redact(finding.evidence) if finding.evidence is not None else None,
        old=redact_obj(finding.old),
        new=redact_obj(finding.new),
    )


def _sort_key(finding: Finding) -> tuple[Any, ...]:
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


# Orchestration ------------------------------------------------------------------------------------


def group_exchanges(exchanges: Iterable[Exchange]) -> Iterator[list[Exchange]]:
    """Consecutive exchanges of one entry; the runner writes each entry's exchanges contiguously."""
    group: list[Exchange] = []
    for exchange in exchanges:
        if group and exchange.entry_id != group[0].entry_id:
            yield group
            group = []
        group.append(exchange)
    if group:
        yield group


def _parse_line(line: str) -> Any:
    """orjson parses recorded bodies about 3x faster; lines it refuses (NaN, integers past 64 bits, which a
    server may send and Python's json accepts) go to the standard parser."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def read_exchanges(path: Path) -> Iterator[Exchange]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read exchanges: {error.strerror}", file=str(path)) from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield from_dict(Exchange, _parse_line(line))
            except (ValueError, TypeError) as error:
                raise ConfigError(f"not an exchange record: {error}", file=str(path), line=number) from None


@dataclass(frozen=True, slots=True)
class _JsonlSource:
    """Re-iterable, so the two passes each stream the file instead of holding it."""

    path: Path

    def __iter__(self) -> Iterator[list[Exchange]]:
        return group_exchanges(read_exchanges(self.path))


def _first_attempts(group: list[Exchange]) -> dict[str, Exchange]:
    first: dict[str, Exchange] = {}
    for exchange in group:
        current = first.get(exchange.side)
        if current is None or exchange.attempt < current.attempt:
            first[exchange.side] = exchange
    return first


def _learn(group: list[Exchange], noise: NoiseModel) -> None:
    by_side: dict[str, dict[int, Exchange]] = {}
    for exchange in group:
        by_side.setdefault(exchange.side, {})[exchange.attempt] = exchange
    for side, attempts in by_side.items():
        first, second = attempts.get(0), attempts.get(1)
        if first is None or second is None or not (first.is_json and second.is_json):
            continue
        if first.status == second.status:
            noise.learn(first.endpoint, side, first.body, second.body, entry=first.entry_id)


def _check_entry(
    first: dict[str, Exchange], noise: NoiseModel, rules: RuleBook, options: CompareOptions, schema_check: SchemaCheck
) -> list[Finding]:
    findings: list[Finding] = []
    for exchange in first.values():
        json_finding = check_json(exchange, options.evidence_chars)
        if json_finding is not None:
            findings.append(json_finding)
        findings.extend(check_schema(exchange, schema_check))
    old = first.get(PRIMARY_SIDE)
    if old is None:
        return findings
    for side, candidate in first.items():
        if side == PRIMARY_SIDE:
            continue
        outcome_finding = check_outcome(old, candidate)
        if outcome_finding is not None:
            findings.append(outcome_finding)
        elif old.is_json and candidate.is_json:
            findings.extend(check_body(old, candidate, noise, rules, options.value_chars))
    return findings


def _noise_findings(paths: list[NoisePath]) -> list[Finding]:
    """One info finding per learned path, naming every side that showed it."""
    by_path: dict[tuple[str, str], list[NoisePath]] = {}
    for noise in paths:
        by_path.setdefault((noise.endpoint, noise.path), []).append(noise)
    return [
        Finding(
            check=CHECK_NOISE,
            severity=Severity.INFO,
            subject=endpoint,
            endpoint=endpoint,
            path=path,
            kind=FindingKind.LEARNED,
            title=f"{path} differs between two identical calls on {', '.join(n.side for n in sides)}: learned as noise",
            evidence="\n".join(f"{n.side}: {'; '.join(n.examples)}" for n in sides),
        )
        for (endpoint, path), sides in by_path.items()
    ]


def _unused_rule_findings(rules: RuleBook) -> list[Finding]:
    return [
        Finding(
            check=CHECK_IGNORE_RULE,
            severity=Severity.INFO,
            subject=rule.path,
            endpoint=rule.endpoint or "",
            path=rule.path,
            kind=FindingKind.UNUSED,
            evidence=f"reason given: {rule.reason}",
            title=f"ignore rule {rule.path} suppressed nothing: remove it or fix its path",
        )
        for rule in rules.unused()
    ]


def compare_exchanges(
    groups: Iterable[list[Exchange]], rules: Iterable[RuleSpec] = (), options: CompareOptions | None = None
) -> Comparison:
    """Compare grouped exchanges; ``groups`` is iterated twice (a one-shot iterator is held in memory)."""
    options = options or CompareOptions()
    schema_check = _schema_check(options)
    if iter(groups) is groups:
        groups = list(groups)
    book = RuleBook(rules)
    noise = NoiseModel()
    for group in groups:
        _learn(group, noise)
    latency = _Latency()
    found = _FindingBook(options.max_paths_per_endpoint)
    parity: dict[str, EndpointParity] = {}
    entries: list[str] = []
    seen: set[str] = set()
    for group in groups:
        for exchange in group:
            latency.add(exchange)
        first = _first_attempts(group)
        entry_findings = _check_entry(first, noise, book, options, schema_check)
        for finding in entry_findings:
            found.add(finding)
        entry_id = group[0].entry_id
        if entry_id not in seen:
            seen.add(entry_id)
            entries.append(entry_id)
        endpoint = first.get(PRIMARY_SIDE, group[0]).endpoint
        row = parity.setdefault(endpoint, EndpointParity(endpoint=endpoint))
        row.entries += 1
        if any(finding.severity is not Severity.INFO for finding in entry_findings):
            row.failed += 1
        else:
            row.passed += 1
    stats = latency.stats()
    noise_paths = noise.paths()
    findings = found.findings() + check_latency(stats, options) + _noise_findings(noise_paths)
    findings += _unused_rule_findings(book)
    return Comparison(
        findings=sorted((_redacted(finding) for finding in findings), key=_sort_key),
        noise=noise_paths,
        rules=book.ledger(),
        latency=stats,
        endpoints=[parity[endpoint] for endpoint in sorted(parity)],
        entries=entries,
    )


def compare_file(path: Path | str, rules: Iterable[RuleSpec] = (), options: CompareOptions | None = None) -> Comparison:
    """Compare a runner's ``exchanges.jsonl``, streaming it twice with bounded memory."""
    return compare_exchanges(_JsonlSource(Path(path)), rules, options)
