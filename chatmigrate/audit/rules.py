"""The pass rule: is this answer to a bad credential a safe one?

On the new tiers (JWT API, proxy, WebSocket) a safe refusal is a 401 (403 when
the principal is valid but not allowed) carrying the seed's JSON envelope, with
no data, no HTML, no 5xx, no stack trace, no echo of the token, no redirect and
no injected delay. On the legacy tier it is a 302 to the login page or Django's
CSRF 403 page. Each broken property is one ``Violation`` with its severity.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chatmigrate.audit.probe import Expect, HttpObservation, HttpProbe, Observation, Probe, WsObservation, WsProbe
from chatmigrate.vocab import FindingKind, Severity, Tier

DEBUG_MARKERS = ("Traceback", 'File "', "django", "Exception Value")
LEGACY_DEBUG_MARKERS = ("Traceback", 'File "', "Exception Value")
DATA_KEYS = frozenset({"messages", "chats", "message"})
MIN_ECHO_LENGTH = 16


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


def carries_data(text: str, markers: tuple[str, ...]) -> bool:
    """Protected data: the chat keys of a success body, or any text seeded in the protected resource."""
    body = parse_json(text)
    if isinstance(body, dict) and (DATA_KEYS & body.keys()) and body.get("status") != "error":
        return True
    return any(marker in text for marker in markers)


def is_envelope(text: str) -> bool:
    body = parse_json(text)
    return (
        isinstance(body, dict)
        and body.get("status") == "error"
        and isinstance(body.get("message"), str)
        and "detail" in body
    )


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
    if status >= 500:
        found.append(Violation(Severity.HIGH, FindingKind.SERVER_ERROR, f"status {status}"))
    is_html = seen.content_type == "text/html" or seen.text.lstrip().startswith("<")
    if tier.is_jwt and is_html and probe.expect is not Expect.INSPECTED:  # an inspected probe is judged by its case
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
    found.extend(_expectation(probe, seen, status, context))
    if probe.inspect is not None:
        found.extend(Violation(*concern) for concern in probe.inspect(seen))
    return found


def _expectation(probe: HttpProbe, seen: HttpObservation, status: int, context: JudgeContext) -> list[Violation]:
    data = carries_data(seen.text, context.markers)
    expect = probe.expect
    if expect is Expect.INSPECTED:
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
        return [Violation(probe.breach, FindingKind.DATA_RETURNED, f"protected data returned with status {status}")]
    elif 200 <= status < 300:
        return [Violation(probe.breach, FindingKind.ACCEPTED, f"accepted with status {status}")]
    else:
        allowed = {Expect.REFUSED: {401}, Expect.FORBIDDEN: {403}, Expect.REFUSED_OR_REJECTED: {401, 400, 431}}[expect]
    found = []
    if status not in allowed:
        wanted = " or ".join(str(code) for code in sorted(allowed))
        found.append(Violation(Severity.MEDIUM, FindingKind.WRONG_STATUS, f"status {status}, expected {wanted}"))
    if status in (401, 403) and not is_envelope(seen.text):
        found.append(
            Violation(
                Severity.MEDIUM,
                FindingKind.BAD_ENVELOPE,
                "body is not the JSON error envelope {status, message, detail}",
            )
        )
    if seen.header("location"):
        found.append(Violation(Severity.MEDIUM, FindingKind.REDIRECT, "answer carries a Location redirect"))
    return found


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
