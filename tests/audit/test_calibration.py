"""Calibrated accept/reject on a foreign server: refusals are judged against its own certain refusals.

The server here is not the reference server: its refusals are DRF-like ``{"detail": …}``, and two attacks
get answers that only calibration can place: an ``alg: none`` token refused with another shape, and the
genuine token with one signature byte flipped answered ``200 {"ok": true}`` (like neither the acceptance
nor a refusal)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

from chatmigrate.audit import AuditOptions, AuditOutcome, AuditTarget, run_audit
from chatmigrate.audit.findings import SHAPE_SUBJECT
from chatmigrate.audit.forge import b64url_decode
from chatmigrate.vocab import AuditState, FindingKind, Severity, Tier

GENUINE = jwt.encode({"user_id": 1, "exp": 4102444800, "iat": 1700000000}, "a-key-of-the-foreign-server-32by")
CHAT = {"status": "success", "messages": [{"id": 1, "message": "a seeded line of chat text"}]}
CASES = frozenset({"hdr-no-authorization", "sig-alg-none-variants", "sig-altered-signature"})


def answer_to(authorization: str | None) -> tuple[int, dict[str, object]]:
    token = (authorization or "").removeprefix("Bearer ")
    if token == GENUINE:
        return 200, CHAT
    parts, genuine = token.split("."), GENUINE.split(".")
    ends = {genuine[2][:8], genuine[2][-8:]}
    if len(parts) == 3 and parts[:2] == genuine[:2] and {parts[2][:8], parts[2][-8:]} & ends:
        return 200, {"ok": True}
    try:
        alg = json.loads(b64url_decode(parts[0])).get("alg")
    except (ValueError, AttributeError):
        alg = None
    if isinstance(alg, str) and alg.lower() == "none":
        return 401, {"error": "unsupported algorithm", "code": 17}
    return 401, {"detail": "Authentication credentials were not provided."}


@contextlib.contextmanager
def foreign_api() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answer_to(self.headers.get("Authorization"))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads the findings, not the log."""

    listener = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.server_port}"
    finally:
        listener.shutdown()
        listener.server_close()


def audit_foreign() -> AuditOutcome:
    with foreign_api() as base:
        target = AuditTarget(token=GENUINE, new_url=base)
        return run_audit(target, AuditOptions(tiers=frozenset({Tier.NEW}), cases=CASES, budget=0, contract=False))


def test_refusals_shaped_unlike_the_certain_refusals_are_one_low_finding_for_the_tier() -> None:
    shapes = [f for f in audit_foreign().findings if f.subject == SHAPE_SUBJECT]
    assert [(f.kind, f.severity, f.tier) for f in shapes] == [(FindingKind.BAD_ENVELOPE, Severity.LOW, Tier.NEW)]
    assert "{code: number, error: string}" in shapes[0].title and "sig-alg-none-variants" in (shapes[0].evidence or "")


def test_a_refusal_of_another_shape_is_no_failure_of_its_case() -> None:
    states = {result.case_id: result.state for result in audit_foreign().results}
    assert states["sig-alg-none-variants"] == AuditState.PASS


def test_an_answer_like_neither_needs_review_at_low_with_both_fingerprints() -> None:
    (review,) = [f for f in audit_foreign().findings if f.kind == FindingKind.NEEDS_REVIEW]
    assert (review.subject, review.severity) == ("sig-altered-signature", Severity.LOW)
    assert "answered 200 application/json {ok: boolean}" in review.title
    assert "acceptance: 200 application/json {messages: array, status: string}" in review.title
    assert "refusals: 401 application/json {detail: string}" in review.title


def test_a_refusal_like_the_certain_refusals_passes_without_the_seed_envelope() -> None:
    states = {result.case_id: result.state for result in audit_foreign().results}
    assert states["hdr-no-authorization"] == AuditState.PASS
