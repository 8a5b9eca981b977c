"""The pass rule, property by property, on hand-made answers."""

from __future__ import annotations

import json

from chatmigrate.audit.probe import Expect, HttpObservation, HttpProbe, WsObservation, WsProbe
from chatmigrate.audit.rules import JudgeContext, judge
from chatmigrate.vocab import Severity, Tier

URL = "http://127.0.0.1:9/api/v1/admin/chat/?request_type=recent_messages&chatroom_id=1"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJlLW9mLXRoZS1wcmVzZW50ZWQtdG9rZW4"
ENVELOPE = json.dumps({"status": "error", "message": "Authentication failed", "detail": "Invalid token signature"})
DATA = json.dumps({"status": "success", "messages": [{"id": 1, "message": "Can you check my withdrawal?"}]})
CONTEXT = JudgeContext(median_ms=5.0, markers=("Can you check my withdrawal?",))


def probe(expect: Expect = Expect.REFUSED, **changes: object) -> HttpProbe:
    settings: dict[str, object] = {"label": "probe", "method": "GET", "url": URL, "expect": expect, "token": TOKEN}
    settings.update(changes)
    return HttpProbe(**settings)  # type: ignore[arg-type]


def answer(status: int, text: str, content_type: str = "application/json", **changes: object) -> HttpObservation:
    headers = [("content-type", content_type), *changes.pop("headers", [])]  # type: ignore[misc]
    return HttpObservation(status=status, headers=headers, text=text, elapsed_ms=changes.pop("elapsed_ms", 4.0))  # type: ignore[arg-type]


def kinds(
    tier: str, sent: HttpProbe | WsProbe, seen: HttpObservation | WsObservation, context: JudgeContext = CONTEXT
) -> dict[str, Severity]:
    return {violation.kind: violation.severity for violation in judge(Tier(tier), sent, seen, context)}


def test_a_clean_401_with_the_envelope_passes() -> None:
    assert kinds("new", probe(), answer(401, ENVELOPE)) == {}


def test_data_returned_to_a_forged_token_is_critical() -> None:
    assert kinds("new", probe(), answer(200, DATA)) == {"data-returned": Severity.CRITICAL}


def test_data_returned_to_a_noncanonical_genuine_token_takes_the_probe_breach_severity() -> None:
    assert kinds("new", probe(breach=Severity.MEDIUM), answer(200, DATA)) == {"data-returned": Severity.MEDIUM}


def test_seeded_message_text_counts_as_data_even_inside_an_error() -> None:
    leaky = json.dumps(
        {"status": "error", "message": "Authentication failed", "detail": "Can you check my withdrawal?"}
    )
    assert kinds("new", probe(), answer(401, leaky))["data-returned"] is Severity.CRITICAL


def test_a_2xx_without_data_is_still_an_accepted_forgery() -> None:
    assert kinds("new", probe(), answer(201, "{}")) == {"accepted": Severity.CRITICAL}


def test_html_on_a_new_tier_is_high() -> None:
    found = kinds("new", probe(), answer(401, "<html><body>Log in</body></html>", "text/html"))
    assert found["html"] is Severity.HIGH


def test_html_on_the_legacy_tier_is_not_an_html_finding() -> None:
    redirect = answer(302, "", "text/html", headers=[("location", "/admin/login/?next=/admin/chat/")])
    assert kinds("old", probe(Expect.LOGIN_REDIRECT), redirect) == {}


def test_a_server_error_is_high() -> None:
    assert kinds("new", probe(), answer(500, ENVELOPE))["server-error"] is Severity.HIGH


def test_each_debug_marker_is_a_stack_trace() -> None:
    for marker in ("Traceback (most recent call last)", 'File "/srv/app.py"', "django.core", "Exception Value:"):
        body = json.dumps({"status": "error", "message": "x", "detail": marker})
        assert kinds("new", probe(), answer(401, body))["stack-trace"] is Severity.HIGH, marker


def test_debug_words_in_the_chat_data_of_a_success_are_not_a_stack_trace() -> None:
    chat = json.dumps({"status": "success", "messages": [{"id": 2, "message": 'Is it django? File "x" fails'}]})
    assert kinds("new", probe(Expect.ACCEPTED), answer(200, chat)) == {}


def test_data_with_debug_words_where_a_refusal_was_due_is_the_data_finding_alone() -> None:
    chat = json.dumps({"status": "success", "messages": [{"id": 2, "message": "Traceback from django"}]})
    assert kinds("new", probe(), answer(200, chat)) == {"data-returned": Severity.CRITICAL}


def test_debug_words_in_websocket_chat_frames_are_not_a_stack_trace() -> None:
    frames = ['{"type": "connected"}', '{"type": "message", "message": "django keeps crashing"}']
    assert kinds("ws", ws(Expect.WS_ACCEPTED), WsObservation(handshake_status=101, frames=frames)) == {}


def test_debug_text_in_a_websocket_close_reason_is_a_stack_trace() -> None:
    seen = WsObservation(handshake_status=101, close_code=4401, close_reason="Traceback (most recent call last)")
    assert kinds("ws", ws(), seen) == {"stack-trace": Severity.HIGH}


def test_the_presented_token_echoed_is_high() -> None:
    body = json.dumps({"status": "error", "message": "Authentication failed", "detail": f"bad: {TOKEN}"})
    assert kinds("new", probe(), answer(401, body))["token-echo"] is Severity.HIGH


def test_the_signature_part_alone_echoed_is_high() -> None:
    body = json.dumps({"status": "error", "message": "x", "detail": TOKEN.split(".")[2]})
    assert kinds("new", probe(), answer(401, body))["token-echo"] is Severity.HIGH


def test_the_genuine_token_echoed_to_another_probe_is_high() -> None:
    genuine = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoyfQ.Z2VudWluZS1zaWduYXR1cmUtdmFsdWUtaGVyZQ"
    body = json.dumps({"status": "error", "message": "x", "detail": genuine})
    context = JudgeContext(secrets=(genuine,))
    assert kinds("new", probe(), answer(401, body), context)["token-echo"] is Severity.HIGH


def test_a_wrong_status_is_medium() -> None:
    assert kinds("new", probe(), answer(400, ENVELOPE)) == {"wrong-status": Severity.MEDIUM}


def test_a_401_without_the_envelope_is_medium() -> None:
    assert kinds("new", probe(), answer(401, '{"error": "nope"}')) == {"bad-envelope": Severity.MEDIUM}


def test_a_redirect_on_a_refusal_is_medium() -> None:
    seen = answer(401, ENVELOPE, headers=[("location", "/login")])
    assert kinds("new", probe(), seen) == {"redirect": Severity.MEDIUM}


def test_a_403_is_right_only_where_the_principal_is_valid_but_not_allowed() -> None:
    forbidden = json.dumps({"status": "error", "message": "Permission denied", "detail": "role viewer"})
    assert kinds("new", probe(Expect.FORBIDDEN), answer(403, forbidden)) == {}
    assert kinds("new", probe(), answer(403, forbidden)) == {"wrong-status": Severity.MEDIUM}


def test_an_injected_delay_well_beyond_the_median_is_critical() -> None:
    slow = answer(401, ENVELOPE, elapsed_ms=10_050.0)
    assert kinds("new", probe(timed=True), slow)["injected-delay"] is Severity.CRITICAL


def test_ordinary_jitter_is_not_an_injected_delay() -> None:
    assert kinds("new", probe(timed=True), answer(401, ENVELOPE, elapsed_ms=60.0)) == {}


def test_a_timeout_on_a_timed_probe_is_an_injected_delay() -> None:
    seen = HttpObservation(error="timeout after 10s (ReadTimeout)", elapsed_ms=10_000.0)
    assert kinds("new", probe(timed=True), seen) == {"injected-delay": Severity.CRITICAL}


def test_the_http_layer_may_reject_raw_bytes_with_a_400() -> None:
    raw = probe(Expect.REFUSED_OR_REJECTED, raw=True)
    assert kinds("new", raw, answer(400, "Invalid HTTP request received.", "text/plain")) == {}


def test_documented_success_must_return_data() -> None:
    assert kinds("new", probe(Expect.ACCEPTED), answer(200, DATA)) == {}
    assert kinds("new", probe(Expect.ACCEPTED), answer(401, ENVELOPE)) == {"documented-behaviour": Severity.MEDIUM}


def test_clean_either_accepts_data_or_a_refusal_but_not_a_dirty_answer() -> None:
    assert kinds("new", probe(Expect.CLEAN_EITHER), answer(200, DATA)) == {}
    assert kinds("new", probe(Expect.CLEAN_EITHER), answer(401, ENVELOPE)) == {}
    assert "server-error" in kinds("new", probe(Expect.CLEAN_EITHER), answer(502, ENVELOPE))


def test_a_legacy_refusal_is_a_302_to_the_login_page_with_next() -> None:
    seen = answer(302, "", headers=[("location", "/admin/login/?next=/admin/chat/")])
    assert kinds("old", probe(Expect.LOGIN_REDIRECT), seen) == {}
    elsewhere = answer(302, "", headers=[("location", "/somewhere/")])
    assert kinds("old", probe(Expect.LOGIN_REDIRECT), elsewhere) == {"wrong-status": Severity.MEDIUM}


def test_legacy_data_without_a_session_is_critical() -> None:
    assert kinds("old", probe(Expect.LOGIN_REDIRECT), answer(200, DATA)) == {"data-returned": Severity.CRITICAL}


def test_a_csrf_rejection_must_give_the_reason() -> None:
    page = "<html><pre>    CSRF cookie not set.\n    </pre></html>"
    csrf = probe(Expect.CSRF_REJECTED, reason="CSRF cookie not set.", breach=Severity.HIGH)
    assert kinds("old", csrf, answer(403, page, "text/html")) == {}
    other = "<html><pre>CSRF token missing.</pre></html>"
    assert kinds("old", csrf, answer(403, other, "text/html")) == {"csrf-reason": Severity.MEDIUM}


def test_an_unsafe_request_that_proceeds_without_csrf_is_high() -> None:
    csrf = probe(Expect.CSRF_REJECTED, reason="CSRF cookie not set.", breach=Severity.HIGH)
    assert kinds("old", csrf, answer(302, "")) == {"csrf-bypassed": Severity.HIGH}


def ws(expect: Expect = Expect.WS_REFUSED, **changes: object) -> WsProbe:
    settings: dict[str, object] = {
        "label": "socket",
        "url": "ws://127.0.0.1:9/ws/cschat/P1001Chat/?user_id=1",
        "expect": expect,
    }
    settings.update(changes)
    return WsProbe(**settings)  # type: ignore[arg-type]


def test_a_refused_handshake_passes() -> None:
    assert kinds("ws", ws(), WsObservation(handshake_status=403)) == {}


def test_a_44xx_close_before_any_frame_passes() -> None:
    assert kinds("ws", ws(), WsObservation(handshake_status=101, close_code=4401)) == {}


def test_a_frame_before_the_refusal_is_a_breach() -> None:
    seen = WsObservation(handshake_status=101, frames=['{"type": "connected"}'])
    assert kinds("ws", ws(breach=Severity.HIGH), seen) == {"data-returned": Severity.HIGH}


def test_a_socket_left_open_is_medium() -> None:
    assert kinds("ws", ws(), WsObservation(handshake_status=101, still_open=True)) == {"left-open": Severity.MEDIUM}


def test_a_normal_close_instead_of_44xx_is_medium() -> None:
    assert kinds("ws", ws(), WsObservation(handshake_status=101, close_code=1000)) == {"wrong-status": Severity.MEDIUM}


def test_url_mode_impersonation_takes_the_declared_severity() -> None:
    seen = WsObservation(handshake_status=101, frames=['{"type": "connected"}'])
    assert kinds("ws", ws(Expect.WS_URL_TRUSTED), seen) == {"impersonation": Severity.INFO}
    strict = JudgeContext(ws_url_severity=Severity.HIGH)
    assert kinds("ws", ws(Expect.WS_URL_TRUSTED), seen, strict) == {"impersonation": Severity.HIGH}


def test_a_refusal_where_the_standard_allows_success_is_a_low_interoperability_note() -> None:
    assert kinds("new", probe(Expect.INTEROPERABLE), answer(401, ENVELOPE)) == {"interoperability": Severity.LOW}
    assert kinds("new", probe(Expect.INTEROPERABLE), answer(200, DATA)) == {}


def test_a_csrf_403_without_a_declared_reason_passes_whatever_the_page_says() -> None:
    csrf = probe(Expect.CSRF_REJECTED, breach=Severity.HIGH)
    assert kinds("old", csrf, answer(403, "<h1>Forbidden (403)</h1>", "text/html")) == {}
