"""The compare stage over recorded exchanges: each corpus entry's old response against new (and proxy).

Two streamed passes over the exchanges: the first learns noise (what differs between two identical calls of one
side), because entries of one endpoint teach each other; the second runs the checks. Only aggregates and findings
are kept, so memory stays bounded however long the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from chatmigrate.compare.answers import check_json, check_outcome, fixes_legacy_crash
from chatmigrate.compare.body import check_body
from chatmigrate.compare.book import FindingBook, redacted, sort_key
from chatmigrate.compare.comparison import Comparison
from chatmigrate.compare.exchanges import JsonlSource
from chatmigrate.compare.latency import LatencySamples, check_latency
from chatmigrate.compare.meaning import Normalisers
from chatmigrate.compare.principals import CONFIGURED, PrincipalMatrix
from chatmigrate.compare.schema import check_schema, schema_check_for
from chatmigrate.config import CompareOptions, SchemaCheck
from chatmigrate.noise import DeclaredRule, NoiseModel, RuleBook, RuleSpec, ignore_block
from chatmigrate.records import EndpointParity, Exchange, Finding, NoisePath
from chatmigrate.vocab import Check, FindingKind, Severity, Tier


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
    first: dict[str, Exchange],
    noise: NoiseModel,
    rules: RuleBook,
    normalisers: Normalisers,
    options: CompareOptions,
    schema_check: SchemaCheck,
) -> list[Finding]:
    findings: list[Finding] = []
    old = first.get(Tier.OLD)
    candidates = [exchange for side, exchange in first.items() if side != Tier.OLD]
    crash_fixed = old is not None and fixes_legacy_crash(old, candidates)
    for exchange in first.values():
        json_finding = check_json(exchange, options.evidence_chars, crash_fixed=crash_fixed)
        if json_finding is not None:
            findings.append(json_finding)
        findings.extend(check_schema(exchange, schema_check))
    if old is None:
        return findings
    for candidate in candidates:
        outcome_finding = check_outcome(old, candidate)
        if outcome_finding is not None:
            findings.append(outcome_finding)
        elif old.is_json and candidate.is_json:
            findings.extend(check_body(old, candidate, noise, rules, options.value_chars, normalisers))
    return findings


def _noise_findings(paths: list[NoisePath]) -> list[Finding]:
    """One info finding per learned path, naming every side that showed it."""
    by_path: dict[tuple[str, str], list[NoisePath]] = {}
    for noise in paths:
        by_path.setdefault((noise.endpoint, noise.path), []).append(noise)
    return [
        Finding(
            check=Check.NOISE,
            severity=Severity.INFO,
            subject=endpoint,
            endpoint=endpoint,
            path=path,
            kind=FindingKind.LEARNED,
            title=f"{path} differs between two identical calls on {', '.join(n.side for n in sides)}: learned as noise",
            evidence="\n".join(f"{n.side}: {'; '.join(n.examples)}" for n in sides),
            accept_toml=sides[0].ignore_toml,
        )
        for (endpoint, path), sides in by_path.items()
    ]


def _unused_rule_findings(rules: list[DeclaredRule], check: Check) -> list[Finding]:
    return [
        Finding(
            check=check,
            severity=Severity.INFO,
            subject=rule.path,
            endpoint=rule.endpoint or "",
            path=rule.path,
            kind=FindingKind.UNUSED,
            evidence=f"reason given: {rule.reason}",
            title=f"{rule.label} {rule.path} matched nothing: remove it or fix its path",
        )
        for rule in rules
    ]


def compare_exchanges(
    groups: Iterable[list[Exchange]],
    rules: Iterable[RuleSpec] = (),
    options: CompareOptions | None = None,
    *,
    principal: str = CONFIGURED,
) -> Comparison:
    """Compare grouped exchanges; ``groups`` is iterated twice (a one-shot iterator is held in memory).

    ``rules`` are the ``[[ignore]]`` blocks; ``options.normalise`` holds the ``[[compare.normalise]]`` ones:
    same-meaning differences accepted at a path, each with its reason. ``principal`` names the targets' own
    user in the principal matrix."""
    options = options or CompareOptions()
    schema_check = schema_check_for(options)
    if iter(groups) is groups:
        groups = list(groups)
    book = RuleBook(rules)
    normalisers = Normalisers(options.normalise)
    noise = NoiseModel()
    for group in groups:
        _learn(group, noise)
    latency = LatencySamples()
    found = FindingBook(options.max_paths_per_endpoint)
    parity: dict[str, EndpointParity] = {}
    entries: list[str] = []
    matrix = PrincipalMatrix(principal)
    seen: set[str] = set()
    for group in groups:
        for exchange in group:
            latency.add(exchange)
        first = _first_attempts(group)
        matrix.add(first)
        entry_findings = _check_entry(first, noise, book, normalisers, options, schema_check)
        for finding in entry_findings:
            found.add(finding)
        entry_id = group[0].entry_id
        if entry_id not in seen:
            seen.add(entry_id)
            entries.append(entry_id)
        endpoint = first.get(Tier.OLD, group[0]).endpoint
        row = parity.setdefault(endpoint, EndpointParity(endpoint=endpoint))
        row.entries += 1
        if any(finding.severity is not Severity.INFO for finding in entry_findings):
            row.failed += 1
        else:
            row.passed += 1
    stats = latency.stats()
    noise_paths = [replace(path, ignore_toml=ignore_block(path.path, path.endpoint)) for path in noise.paths()]
    findings = found.findings() + _noise_findings(noise_paths)
    findings += check_latency(stats, options.latency_limit, options.latency_floor_ms, options.latency_min_samples)
    findings += _unused_rule_findings(book.unused(), Check.IGNORE_RULE)
    findings += _unused_rule_findings(list(normalisers.unused()), Check.NORMALISE_RULE)
    return Comparison(
        findings=sorted((redacted(finding) for finding in findings), key=sort_key),
        noise=noise_paths,
        rules=book.ledger(),
        latency=stats,
        endpoints=[parity[endpoint] for endpoint in sorted(parity)],
        entries=entries,
        principals=matrix.table(),
    )


def compare_file(
    path: Path | str,
    rules: Iterable[RuleSpec] = (),
    options: CompareOptions | None = None,
    *,
    principal: str = CONFIGURED,
) -> Comparison:
    """Compare a runner's ``exchanges.jsonl``, streaming it twice with bounded memory."""
    return compare_exchanges(JsonlSource(Path(path)), rules, options, principal=principal)
