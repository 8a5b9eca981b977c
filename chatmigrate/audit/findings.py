"""From judged probes to records: one ``AuditResult`` per case and tier, ``Finding``s for what broke.

Violations of one kind in one case and tier make one finding (the evidence lists
every probe that showed it; the reproducer is the first). Expected legacy
behaviour, the HTML login redirect and Django's CSRF page, is noted once as info.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chatmigrate.audit.catalogue import CONTRACT, MUTATION, Case
from chatmigrate.audit.contract import ContractOutcome
from chatmigrate.audit.engine import CaseRun, ProbeRun
from chatmigrate.audit.mutate import MutationOutcome
from chatmigrate.audit.probe import Expect, HttpObservation, HttpProbe, Observation, WsObservation
from chatmigrate.audit.reproducer import reproducer, scrub, shell_pair
from chatmigrate.audit.rules import DATA_KEYS, parse_json
from chatmigrate.audit.target import AuditTarget
from chatmigrate.records import AuditResult, Finding
from chatmigrate.vocab import AuditState, Check, FindingKind, Severity, Tier

CHECK = Check.AUDIT
EXCERPT = 300


def endpoint_of(probe: HttpProbe, target: AuditTarget) -> str:
    """The agreed endpoint key: legacy canonical paths, with the request type in brackets."""
    parts = urlsplit(probe.url)
    path, query = parts.path, parse_qs(parts.query)
    request_type = query.get("request_type", [""])[0]
    routes = {route: kind for kind, route in target.proxy_routes.items()}
    if path in routes:
        path, request_type = target.old_chat_path, routes[path]
    elif path == target.new_chat_path:
        path = target.old_chat_path
    if path == target.old_chat_path and not request_type:
        request_type = "recent_messages"
    return f"{probe.method} {path}" + (f" [{request_type}]" if request_type else "")


def _endpoint(item: ProbeRun, target: AuditTarget) -> str:
    if isinstance(item.probe, HttpProbe):
        return endpoint_of(item.probe, target)
    return "WS " + target.ws_path.replace("P{player_id}Chat", "{room}")


def observed(seen: Observation) -> str:
    """What came back; a body carrying chat data is described by its shape, so reports never copy the data."""
    if isinstance(seen, HttpObservation):
        if seen.error:
            return seen.error
        body = parse_json(seen.text)
        if isinstance(body, dict) and DATA_KEYS & body.keys() and body.get("status") != "error":
            excerpt = shape(body)
        else:
            excerpt = " ".join(seen.text[:EXCERPT].split())
        return f"status {seen.status}, {seen.content_type or 'no content type'}: {excerpt}"
    assert isinstance(seen, WsObservation)
    if seen.error:
        return seen.error
    frames = f", first frame {seen.frames[0][:EXCERPT]}" if seen.frames else ""
    close = f", close {seen.close_code} {seen.close_reason}".rstrip() if seen.close_code is not None else ""
    open_note = ", still open" if seen.still_open else ""
    return f"handshake {seen.handshake_status}{close}{open_note}{frames}"


def shape(value: Any) -> str:
    """A JSON value as a report may show it: keys and list lengths, never the values."""
    if isinstance(value, dict):
        keys = ", ".join(f"{key}[{len(item)}]" if isinstance(item, list) else key for key, item in value.items())
        return f"JSON object with {keys}"
    if isinstance(value, list):
        return f"JSON array of {len(value)} item(s)"
    return f"JSON {type(value).__name__}"


def _status(seen: Observation) -> int | None:
    if isinstance(seen, HttpObservation):
        return seen.status
    return seen.close_code if seen.close_code is not None else seen.handshake_status


def _result(case: Case, tier: Tier, state: AuditState, detail: str, status: int | None = None) -> AuditResult:
    """The detail of a not-applicable or known-legacy result opens with the state's name, for people to read."""
    if state in (AuditState.NOT_APPLICABLE, AuditState.KNOWN_LEGACY):
        detail = f"{state.value}: {detail}"
    passed = state is AuditState.PASS
    return AuditResult(case.id, case.group, tier, case.description, passed, status, detail, state=state)


def result_of(run: CaseRun) -> AuditResult:
    if run.not_applicable is not None:
        return _result(run.case, run.tier, AuditState.NOT_APPLICABLE, run.not_applicable)
    failing = [item for item in run.probes if item.violations]
    if not failing:
        status = _status(run.probes[0].observation) if run.probes else None
        return _result(run.case, run.tier, AuditState.PASS, f"{len(run.probes)} probe(s) safe", status)
    known = all(v.severity is Severity.INFO for item in failing for v in item.violations)
    state = AuditState.KNOWN_LEGACY if known else AuditState.FAIL
    detail = "; ".join(f"{item.probe.label}: {', '.join(v.message for v in item.violations)}" for item in failing)
    return _result(run.case, run.tier, state, detail, _status(failing[0].observation))


def findings_of(run: CaseRun, target: AuditTarget, placeholders: Mapping[str, str]) -> list[Finding]:
    kinds: dict[str, list[tuple[ProbeRun, str, Severity]]] = {}
    for item in run.probes:
        for violation in item.violations:
            kinds.setdefault(violation.kind, []).append((item, violation.message, violation.severity))
    found = []
    for kind, hits in kinds.items():
        first, message, _severity = hits[0]
        severity = max((hit[2] for hit in hits), key=lambda value: value.rank)
        evidence = "\n".join(_evidence(item, text, placeholders) for item, text, _ in hits)
        more = f" ({len(hits)} probes)" if len(hits) > 1 else ""
        label = f"{AuditState.KNOWN_LEGACY}: " if severity is Severity.INFO else ""
        found.append(
            Finding(
                check=CHECK,
                severity=severity,
                kind=FindingKind(kind),
                tier=Tier(run.tier),
                subject=run.case.id,
                title=scrub(f"{label}{run.case.id} on the {run.tier.label}: {message}{more}", placeholders),
                endpoint=_endpoint(first, target),
                old=first.probe.expect.describe(),
                new=scrub(observed(first.observation)[:EXCERPT], placeholders),
                evidence=evidence,
                reproducer=reproducer(first.probe, placeholders),
                probes=len(hits),
            )
        )
    return found


def _evidence(item: ProbeRun, message: str, names: Mapping[str, str]) -> str:
    note = f" [token {item.probe.note.describe()}]" if item.probe.note is not None else ""
    return scrub(f"{item.probe.label}: {message}; observed {observed(item.observation)}{note}", names)


def legacy_notes(runs: list[CaseRun]) -> list[Finding]:
    """Info findings for the legacy tier's expected HTML answers, so reports say why they are not failures."""
    notes = []
    for expect, kind, title in (
        (
            Expect.LOGIN_REDIRECT,
            FindingKind.LEGACY_LOGIN_REDIRECT,
            "the legacy tier answers auth failures with a 302 to its HTML login page (expected legacy behaviour)",
        ),
        (
            Expect.CSRF_REJECTED,
            FindingKind.LEGACY_CSRF_PAGE,
            "the legacy tier answers CSRF failures with Django's HTML 403 page (expected legacy behaviour)",
        ),
    ):
        cases = sorted(
            {
                run.case.id
                for run in runs
                if run.tier is Tier.OLD
                and run.probes
                and all(not item.violations for item in run.probes)
                and any(item.probe.expect is expect for item in run.probes)
            }
        )
        if cases:
            notes.append(
                Finding(
                    check=CHECK,
                    severity=Severity.INFO,
                    kind=kind,
                    tier=Tier.OLD,
                    subject="legacy-tier",
                    title=title,
                    evidence="cases: " + ", ".join(cases),
                )
            )
    return notes


_AUTH_SENTINEL = "__CHATMIGRATE_AUTH_HEADER__"
_AUTH_HEADER = re.compile(
    r"""(?:-H|--header)\s+(?:'(?i:authorization):(?:[^']|'"'"')*'|"(?i:authorization):(?:[^"\\]|\\.)*")"""
)
"""A curl Authorization header, single-quoted the way shlex quotes it (``'"'"'`` for a quote) or double-quoted."""
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_VALUE_SECTION = "\n\nValue:\n"
CONTRACT_SEVERITY = {"ignored_auth": Severity.CRITICAL, "not_a_server_error": Severity.HIGH}


def mutation_records(
    outcome: MutationOutcome, target: AuditTarget, placeholders: Mapping[str, str]
) -> tuple[AuditResult, list[Finding]]:
    replay = f"chatmigrate audit --target new --seed {outcome.seed} --budget {outcome.budget}"
    searched = f"{outcome.examples} examples, seed {outcome.seed}"
    if outcome.mutant is None:
        return _result(MUTATION, Tier.NEW, AuditState.PASS, f"{searched}: every answer safe"), []
    if outcome.probe is None or outcome.observation is None or not outcome.violations:
        mutant = outcome.mutant
        found = f"{mutant.kind}: {mutant.detail}; token {mutant.note.describe()}"
        detail = scrub(
            f"{searched}: a failing mutant was found, not reproduced on re-send ({found}); {replay}", placeholders
        )
        return _result(MUTATION, Tier.NEW, AuditState.FAIL, detail), []
    run = CaseRun(
        case=MUTATION, tier=Tier.NEW, probes=[ProbeRun(outcome.probe, outcome.observation, outcome.violations)]
    )
    findings = findings_of(run, target, placeholders)
    for finding in findings:
        finding.reproducer = f"{finding.reproducer}\n# replay the search: {replay}"
        finding.evidence = f"{finding.evidence}\nminimal mutant after shrinking; {replay}"
    result = result_of(run)
    result.detail = f"{outcome.examples} examples, seed {outcome.seed}; {result.detail}"
    return result, findings


def contract_records(
    outcome: ContractOutcome, target: AuditTarget, placeholders: Mapping[str, str]
) -> tuple[AuditResult, list[Finding]]:
    findings = []
    for failure in outcome.failures:
        masked = _AUTH_HEADER.sub(_AUTH_SENTINEL, failure.curl)
        auth = "-H " + shell_pair("Authorization", ": ", "Bearer $TOKEN", placeholders)
        curl = scrub(masked, placeholders).replace(_AUTH_SENTINEL, auth)
        method, _, path = failure.operation.partition(" ")
        findings.append(
            Finding(
                check=CHECK,
                severity=CONTRACT_SEVERITY.get(failure.check, Severity.MEDIUM),
                kind=FindingKind.CONTRACT_CHECK,
                variant=failure.check,
                tier=Tier.NEW,
                subject=CONTRACT.id,
                title=scrub(f"{CONTRACT.id} {failure.operation}: {failure.check}: {failure.title}", placeholders),
                endpoint=f"{method} {target.old_chat_path if path == target.new_chat_path else path}",
                evidence=scrub(contract_evidence(failure.message), placeholders)[:2000],
                reproducer=f"# set first: $TOKEN (docs/audit.md, 'Reproducers')\n{curl}",
            )
        )
    if outcome.errors and not outcome.cases:
        return _result(CONTRACT, Tier.NEW, AuditState.NOT_APPLICABLE, "; ".join(outcome.errors)), findings
    detail = f"{outcome.operations} operation(s), {outcome.cases} case(s), {len(outcome.failures)} failure(s)"
    return _result(CONTRACT, Tier.NEW, AuditState.FAIL if findings else AuditState.PASS, detail), findings


def contract_evidence(message: str) -> str:
    """schemathesis quotes the response under 'Value:' and in its first line; a report keeps the value's shape,
    and of the quoted strings only those the schema itself holds (property and type names)."""
    head, marker, value = message.partition(_VALUE_SECTION)
    if not marker:
        return message
    schema = head.partition("Schema:")[2]
    head = _QUOTED.sub(lambda m: m[0] if m[0] in schema else f"<string of {len(m[0]) - 2} characters>", head)
    return f"{head}\n\nValue: {_value_shape(textwrap.dedent(value).strip())}"


def _value_shape(text: str) -> str:
    """schemathesis cuts long values short, which leaves JSON that no longer parses: then its top-level keys."""
    value = parse_json(text)
    if value is not None or text == "null":
        return shape(value)
    keys = re.findall(r'^ {4}"((?:[^"\\]|\\.)*)":', text, re.MULTILINE)
    return f"JSON object with {', '.join(keys)} (cut short by schemathesis)" if keys else f"{len(text)} characters"
