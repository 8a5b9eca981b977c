"""The pass rule: is this answer to a bad credential a safe one?

Each answer is first classed against the tier's calibration (``calibrate``): accepted, rejected,
ambiguous or a server error. On the JWT tiers a safe refusal is a rejection (401; 403 when the principal
is valid but not allowed) shaped like the tier's certain refusals, or, where a contract is declared, as
the contract's response for that status; never data, HTML, a 5xx, a stack trace, an echo of the token, a redirect
or an injected delay. On the legacy tier it is a 302 to the login page or Django's CSRF 403 page. Each
broken property is one ``Violation`` with its severity.

Severity follows who can do it: a token forged with the real signing key models someone holding that
key. A 5xx answering such a token is a low robustness note, since only the key holder can send it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chatmigrate.audit.calibrate import Calibration, Fingerprint
from chatmigrate.audit.probe import (
    Expect,
    HeaderDemand,
    HttpObservation,
    HttpProbe,
    Observation,
    Probe,
    WsObservation,
    WsProbe,
)
from chatmigrate.audit.socket_session import judge as judge_session
from chatmigrate.vocab import Answer, FindingKind, Severity, Tier

DEBUG_MARKERS = ("Traceback", 'File "', "django", "Exception Value")
LEGACY_DEBUG_MARKERS = ("Traceback", 'File "', "Exception Value")
MIN_ECHO_LENGTH = 16
GROUPED = frozenset({FindingKind.BAD_ENVELOPE})
"""Kinds reported once per tier and shape over every case that shows them, never as a failure of each case."""


@dataclass(frozen=True, slots=True)
class Violation:
    severity: Severity
    kind: FindingKind
    message: str


@dataclass(frozen=True, slots=True)
class JudgeContext:
    """What the rule needs beyond the probe: the run's latency and what protected data looks like."""

    median_ms: float = 0.0
    delay_margin_ms: float = 2500.0
    markers: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    login_path: str = "/admin/login/"
    ws_url_severity: Severity = Severity.INFO
    fetched: frozenset[str] = frozenset()
    calibrations: Mapping[Tier, Calibration] = field(default_factory=dict)
    declared_refusal: Callable[[int, Any], list[str]] | None = None
    """Where the target declares a contract: its violations by a refusal body of the chat operation with this
    status (the seed contract requires the JSON error envelope)."""

    def classify(self, tier: Tier, seen: HttpObservation) -> Answer:
        return self.calibrations.get(tier, Calibration()).classify(seen, self.markers)

    def calibration(self, tier: Tier) -> Calibration:
        return self.calibrations.get(tier, Calibration())


def judge(tier: Tier, probe: Probe, observation: Observation, context: JudgeContext) -> list[Violation]:
    if isinstance(probe, HttpProbe) and isinstance(observation, HttpObservation):
        return _judge_http(tier, probe, observation, context)
    if isinstance(probe, WsProbe) and isinstance(observation, WsObservation):
        return _judge_ws(probe, observation, context)
    raise TypeError("probe and observation kinds differ")


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def echoed(text: str, presented: str | None, secrets: tuple[str, ...]) -> bool:
    candidates = [*secrets]
    if presented:
        candidates.append(presented)
        candidates.extend(presented.split(".")[2:3])
    return any(len(value) >= MIN_ECHO_LENGTH and value in text for value in candidates)


def _hygiene(tier: Tier, text: str, refusal: str, presented: str | None, context: JudgeContext) -> list[Violation]:
    """Debug text in the refusal, echoes anywhere.

    Debug words are looked for in refusals only: a success body is chat data, where a message may well
    say "django"; data where a refusal was due is already the (critical) data finding. A traceback
    inside a JSON string has its ``File \\"…\\"`` quotes escaped.
    """
    found = []
    markers = DEBUG_MARKERS if tier.is_jwt else LEGACY_DEBUG_MARKERS
    unescaped = refusal.replace('\\"', '"')
    leaked = [marker for marker in markers if marker in unescaped]
    if leaked:
        found.append(Violation(Severity.HIGH, FindingKind.STACK_TRACE, f"debug text in the answer ({leaked[0]!r})"))
    if echoed(text, presented, context.secrets):
        found.append(
            Violation(Severity.HIGH, FindingKind.TOKEN_ECHO, "the presented token (or its signature) is echoed")
        )
    return found


def _judge_http(tier: Tier, probe: HttpProbe, seen: HttpObservation, context: JudgeContext) -> list[Violation]:
    if seen.error is not None:
        if probe.timed and "timeout" in seen.error.lower():
            return [Violation(Severity.CRITICAL, FindingKind.INJECTED_DELAY, f"no answer in time: {seen.error}")]
        if probe.raw and probe.expect is Expect.REFUSED_OR_REJECTED:
            return []
        return [Violation(Severity.MEDIUM, FindingKind.NO_ANSWER, f"no HTTP answer: {seen.error}")]
    status = seen.status or 0
    refusal = "" if 200 <= status < 300 else seen.text
    found = _hygiene(tier, seen.text, refusal, probe.token, context)
    if probe.canary and probe.canary in context.fetched:
        found.append(Violation(Severity.HIGH, FindingKind.OUTBOUND_FETCH, f"the server fetched {probe.canary}"))
    if status >= 500 and key_holder(probe):
        message = f"status {status} answering a token only the signing-key holder can mint (robustness)"
        return [*found, Violation(Severity.LOW, FindingKind.SERVER_ERROR, message)]
    if status >= 500:
        found.append(Violation(Severity.HIGH, FindingKind.SERVER_ERROR, f"status {status}"))
    is_html = seen.content_type == "text/html" or seen.text.lstrip().startswith("<")
    if tier.is_jwt and is_html and probe.expect not in (Expect.INSPECTED, Expect.NO_DATA):  # public pages may be HTML
        found.append(
            Violation(Severity.HIGH, FindingKind.HTML, f"HTML answer ({seen.content_type or 'no content type'})")
        )
    if probe.timed and seen.elapsed_ms > context.median_ms * 10 + context.delay_margin_ms:
        found.append(
            Violation(
                Severity.CRITICAL,
                FindingKind.INJECTED_DELAY,
                f"answered in {seen.elapsed_ms:.0f} ms against a run median of {context.median_ms:.0f} ms",
            )
        )
    if probe.demand is not None and status == probe.demand.status:
        found.extend(_demanded(probe.demand, seen))
    if probe.same_as is not None and answer_text(seen.status, seen.text) != probe.same_as:
        found.append(Violation(Severity.MEDIUM, FindingKind.ENUMERATION, "answered differently from an unknown user"))
    found.extend(_expectation(tier, probe, seen, context))
    if probe.inspect is not None:
        found.extend(Violation(*concern) for concern in probe.inspect(seen))
    return found


def key_holder(probe: HttpProbe) -> bool:
    """The token was signed with the target's real key: only someone holding that key can send it."""
    return probe.note is not None and probe.note.real_key


def answer_text(status: int | None, text: str) -> str:
    """What a client can tell two answers apart by: status and body."""
    return f"{status} {text}"


def _demanded(demand: HeaderDemand, seen: HttpObservation) -> list[Violation]:
    value = seen.header(demand.name)
    words = [word.strip().lower() for word in re.split(r"[,\s]+", value or "")]
    if demand.word.lower() in words:
        return []
    shown = f"{demand.name}: {value}" if value is not None else f"no {demand.name}"
    return [Violation(demand.severity, FindingKind.MISSING_HEADER, f"{shown} on a {demand.status}, {demand.word} due")]


def _breach(probe: HttpProbe, kind: FindingKind, message: str) -> list[Violation]:
    """Access granted where it should not be; a declared gap of the target is an info finding instead."""
    if probe.gap is not None:
        return [Violation(Severity.INFO, FindingKind.DOCUMENTED_GAP, probe.gap)]
    return [Violation(probe.breach, kind, message)]


def _token_answer(probe: HttpProbe, seen: HttpObservation, status: int) -> list[Violation]:
    """The token endpoints answer in the framework's own error shape (DRF's ``detail``), so no envelope is due."""
    issued = 200 <= status < 300 and isinstance(parse_json(seen.text), dict)
    if probe.expect is Expect.TOKEN_ISSUED:
        if issued:
            return []
        return [Violation(Severity.MEDIUM, FindingKind.DOCUMENTED_BEHAVIOUR, f"no token issued: status {status}")]
    if 200 <= status < 300:
        return _breach(probe, FindingKind.ACCEPTED, f"a token was issued with status {status}")
    if probe.expect is Expect.THROTTLED:
        if status in (403, 429):
            return []
        return [Violation(probe.breach, FindingKind.NOT_THROTTLED, f"status {status}: neither throttled nor locked")]
    if status not in (400, 401):
        return [Violation(Severity.MEDIUM, FindingKind.WRONG_STATUS, f"status {status}, expected 401 or 400")]
    return []


def _expectation(tier: Tier, probe: HttpProbe, seen: HttpObservation, context: JudgeContext) -> list[Violation]:
    status = seen.status or 0
    answer = context.classify(tier, seen)
    data = answer is Answer.ACCEPTED
    expect = probe.expect
    if expect in (Expect.TOKEN_REFUSED, Expect.TOKEN_ISSUED, Expect.THROTTLED):
        return _token_answer(probe, seen, status)
    if expect is Expect.INSPECTED:
        return []
    if expect is Expect.NO_DATA and not data:
        return []
    if expect is Expect.ACCEPTED:
        if status == 200 and data:
            return []
        return [
            Violation(
                Severity.MEDIUM, FindingKind.DOCUMENTED_BEHAVIOUR, f"documented success not honoured: status {status}"
            )
        ]
    if expect is Expect.INTEROPERABLE:
        if status == 200 and data:
            return []
        return [
            Violation(
                Severity.LOW,
                FindingKind.INTEROPERABILITY,
                f"refused with status {status} although the standard allows it",
            )
        ]
    if expect is Expect.LOGIN_REDIRECT:
        return _login_redirect(probe, seen, status, data, context)
    if expect is Expect.CSRF_REJECTED:
        return _csrf(probe, seen, status)
    if expect is Expect.CLEAN_EITHER:
        if status == 200 and seen.content_type == "application/json":
            return []
        allowed = {400, 401, 403}
    elif data:
        return _breach(probe, FindingKind.DATA_RETURNED, f"protected data returned with status {status}")
    elif answer is Answer.AMBIGUOUS:
        return [_needs_review(tier, seen, context)]
    else:
        allowed = {Expect.REFUSED: {401}, Expect.FORBIDDEN: {403}, Expect.REFUSED_OR_REJECTED: {401, 400, 431}}[expect]
        if expect is Expect.REFUSED:
            allowed |= context.calibration(tier).statuses
    found = []
    if status not in allowed:
        wanted = " or ".join(str(code) for code in sorted(allowed))
        found.append(Violation(Severity.MEDIUM, FindingKind.WRONG_STATUS, f"status {status}, expected {wanted}"))
    if status in (401, 403):
        found.extend(_envelope(tier, seen, context))
    if seen.header("location"):
        found.append(Violation(Severity.MEDIUM, FindingKind.REDIRECT, "answer carries a Location redirect"))
    return found


def _needs_review(tier: Tier, seen: HttpObservation, context: JudgeContext) -> Violation:
    """Like neither the acceptance nor the refusals: a person has to look, so it is low."""
    return Violation(
        Severity.LOW, FindingKind.NEEDS_REVIEW, f"needs review: {context.calibration(tier).side_by_side(seen)}"
    )


def _envelope(tier: Tier, seen: HttpObservation, context: JudgeContext) -> list[Violation]:
    """A refusal unlike what the declared contract requires (medium) or unlike the tier's certain refusals (low).

    The message names the shape and status, nothing of the case: findings group these per tier and shape."""
    shape = Fingerprint.of(seen).envelope_text
    status = seen.status or 0
    if context.declared_refusal is not None:
        body = parse_json(seen.text)
        if context.declared_refusal(status, seen.text if body is None else body):
            message = f"{status} refusals shaped {shape} break the declared contract's {status} response"
            return [Violation(Severity.MEDIUM, FindingKind.BAD_ENVELOPE, message)]
        return []
    if not context.calibration(tier).usual_refusal(seen):
        usual = "; ".join(sorted({mark.envelope_text for mark in context.calibration(tier).rejected}))
        message = f"refusals shaped {shape}, unlike the tier's certain refusals ({usual})"
        return [Violation(Severity.LOW, FindingKind.BAD_ENVELOPE, message)]
    return []


def _login_redirect(
    probe: HttpProbe, seen: HttpObservation, status: int, data: bool, context: JudgeContext
) -> list[Violation]:
    if data:
        return [Violation(probe.breach, FindingKind.DATA_RETURNED, f"protected data returned with status {status}")]
    location = urlsplit(seen.header("location") or "")
    if status == 302 and location.path == context.login_path and "next=" in location.query:
        return []
    if 200 <= status < 300 and seen.content_type == "application/json":
        return [Violation(probe.breach, FindingKind.ACCEPTED, f"accepted with status {status}")]
    return [
        Violation(
            Severity.MEDIUM, FindingKind.WRONG_STATUS, f"status {status}, expected 302 to {context.login_path}?next=…"
        )
    ]


def _csrf(probe: HttpProbe, seen: HttpObservation, status: int) -> list[Violation]:
    if status < 400:
        return [Violation(probe.breach, FindingKind.CSRF_BYPASSED, f"unsafe request proceeded with status {status}")]
    if status != 403:
        return [Violation(Severity.MEDIUM, FindingKind.WRONG_STATUS, f"status {status}, expected 403")]
    if probe.reason and probe.reason not in html.unescape(seen.text):
        return [Violation(Severity.MEDIUM, FindingKind.CSRF_REASON, f"403 without the reason {probe.reason!r}")]
    return []


def _judge_ws(probe: WsProbe, seen: WsObservation, context: JudgeContext) -> list[Violation]:
    if seen.handshake_status is None:
        return [Violation(Severity.MEDIUM, FindingKind.NO_ANSWER, f"no WebSocket answer: {seen.error}")]
    refusal = "\n".join([seen.handshake_body, seen.close_reason])
    found = _hygiene(Tier.WS, "\n".join([refusal, *seen.frames]), refusal, probe.token, context)
    if seen.handshake_status >= 500 or (seen.close_code is not None and seen.close_code == 1011):
        found.append(
            Violation(
                Severity.HIGH, FindingKind.SERVER_ERROR, f"handshake {seen.handshake_status}, close {seen.close_code}"
            )
        )
    connected = seen.handshake_status == 101 and bool(seen.frames)
    if probe.session is not None:
        return found + [Violation(*concern) for concern in judge_session(probe, connected, seen.session)]
    if probe.expect is Expect.WS_ACCEPTED:
        if not any(_frame_type(frame) == "connected" for frame in seen.frames):
            found.append(
                Violation(
                    Severity.MEDIUM,
                    FindingKind.DOCUMENTED_BEHAVIOUR,
                    f"documented connection refused (handshake {seen.handshake_status}, close {seen.close_code})",
                )
            )
        return found
    if probe.expect is Expect.WS_URL_TRUSTED:
        if connected:
            found.append(
                Violation(
                    context.ws_url_severity,
                    FindingKind.IMPERSONATION,
                    "the URL user_id alone opened the chat: impersonation is possible",
                )
            )
        return found
    if connected:
        found.append(
            Violation(
                probe.breach, FindingKind.DATA_RETURNED, f"{len(seen.frames)} frame(s) received before any refusal"
            )
        )
    elif seen.handshake_status == 101:
        if seen.still_open:
            found.append(Violation(Severity.MEDIUM, FindingKind.LEFT_OPEN, "connection neither refused nor closed"))
        elif seen.close_code is None or not 4400 <= seen.close_code <= 4499:
            found.append(
                Violation(
                    Severity.MEDIUM, FindingKind.WRONG_STATUS, f"closed with code {seen.close_code}, expected 44xx"
                )
            )
    return found


def _frame_type(frame: str) -> Any:
    body = parse_json(frame)
    return body.get("type") if isinstance(body, dict) else None
