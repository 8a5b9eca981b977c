"""Hypothesis token mutation: seeded, bounded, shrunk, and reported without the token."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from server_wire import ServerFactory, token_pair

from chatmigrate.audit import AuditOptions, AuditOutcome, embedded_target, run_audit
from chatmigrate.audit.forge import Forge, b64url, b64url_decode
from chatmigrate.audit.mutate import MutationOutcome, equivalent, policy_valid, run_mutation
from chatmigrate.audit.rules import JudgeContext
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.vocab import Severity

GENUINE = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.YWI"
ONLY_MUTATION = frozenset({"mutate-token"})
SECRET = "a-signing-key-of-thirty-two-bytes"
ENVELOPE = json.dumps({"status": "error", "message": "Authentication failed", "detail": "bad token"}).encode()


@contextlib.contextmanager
def cookie_setter(*, first_status: int = 401) -> Iterator[tuple[str, list[str | None]]]:
    """A JWT endpoint that refuses every token but hands out a session cookie; it records each Cookie header."""
    cookies: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            cookies.append(self.headers.get("Cookie"))
            self.send_response(first_status if len(cookies) == 1 else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Set-Cookie", "sessionid=handed-out; Path=/")
            self.send_header("Content-Length", str(len(ENVELOPE)))
            self.end_headers()
            self.wfile.write(ENVELOPE)

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads the requests, not the log."""

    listener = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.server_port}/api/v1/admin/chat/", cookies
    finally:
        listener.shutdown()
        listener.server_close()


def mutate_against(url: str, budget: int = 5) -> MutationOutcome:
    now = int(time.time())
    genuine = jwt.encode({"user_id": 1, "iat": now, "exp": now + 3600}, SECRET, algorithm="HS256")
    return run_mutation(
        Forge(genuine, SECRET), url, 0, JudgeContext(), seed=0, budget=budget, timeout=5, remember=lambda *_: None
    )


def mutate(server_with: ServerFactory, *, flaws: tuple[str, ...] = (), seed: int = 3, budget: int = 30) -> AuditOutcome:
    server = server_with(flaws=flaws) if flaws else server_with(seed=2025)
    options = AuditOptions(cases=ONLY_MUTATION, seed=seed, budget=budget, contract=False)
    return run_audit(embedded_target(server), options)


def test_a_change_in_base64_padding_bits_only_is_equivalent() -> None:
    signature = GENUINE.split(".")[2]
    flipped = signature[:-1] + chr(ord(signature[-1]) + 1)
    assert b64url_decode(flipped) == b64url_decode(signature)
    assert equivalent(GENUINE.rsplit(".", 1)[0] + "." + flipped, GENUINE)


def test_a_change_in_decoded_bytes_is_not_equivalent() -> None:
    other = GENUINE.rsplit(".", 1)[0] + "." + b64url(b"ac")
    assert not equivalent(other, GENUINE)
    assert not equivalent(GENUINE + ".x", GENUINE)


def test_time_claims_follow_the_documented_policy() -> None:
    now = time.time()
    assert policy_valid({"exp": now + 3600, "iat": now - 900}, 10, now) is True
    assert policy_valid({"exp": now - 3600, "iat": now - 7200}, 10, now) is False
    assert policy_valid({"exp": "9999999999", "iat": now - 900}, 10, now) is False
    assert policy_valid({"exp": True, "iat": now - 900}, 10, now) is False
    assert policy_valid({"exp": now + 3600, "iat": now - 900, "nbf": now + 3600}, 10, now) is False


def test_time_claims_near_a_boundary_are_left_undecided() -> None:
    now = time.time()
    assert policy_valid({"exp": now - 12, "iat": now - 900}, 10, now) is None


def test_one_clearly_failing_claim_decides_even_when_another_is_near_its_boundary() -> None:
    now = time.time()
    assert policy_valid({"exp": now - 3600, "iat": now - 2}, 10, now) is False


def test_a_clean_server_survives_the_whole_budget(server_with: ServerFactory) -> None:
    outcome = mutate(server_with)
    (result,) = [r for r in outcome.results if r.case_id == "mutate-token"]
    assert result.passed and outcome.mutation_examples == 30
    assert outcome.findings == []


def test_a_flaw_is_found_and_shrunk_to_a_minimal_token(server_with: ServerFactory) -> None:
    outcome = mutate(server_with, flaws=("alg-none",), budget=80)
    (finding,) = [f for f in outcome.findings if f.subject == "mutate-token"]
    assert finding.severity is Severity.CRITICAL
    assert '"alg":' in (finding.evidence or "") and "minimal mutant" in (finding.evidence or "")


def test_the_same_seed_finds_the_same_minimal_mutation(server_with: ServerFactory) -> None:
    first = mutate(server_with, flaws=("echo-token",), seed=11)
    second = mutate(server_with, flaws=("echo-token",), seed=11)
    assert [minimal_mutation(f.evidence) for f in first.findings] == [
        minimal_mutation(f.evidence) for f in second.findings
    ]
    assert first.mutation_examples == second.mutation_examples


def minimal_mutation(evidence: str | None) -> str:
    """The mutation itself (kind and change); the genuine token's times differ from run to run."""
    return (evidence or "").split(":", 2)[0] + ":" + (evidence or "").split(":", 2)[1]


def test_the_report_carries_the_shape_and_claims_but_never_the_token(server_with: ServerFactory) -> None:
    server = server_with(flaws=("echo-token",))
    genuine = token_pair(server)["access"]
    outcome = mutate(server_with, flaws=("echo-token",), seed=11)
    (finding,) = outcome.findings
    texts = [finding.title, finding.evidence or "", finding.reproducer or "", str(finding.new)]
    assert all(genuine.split(".")[2] not in text for text in texts)
    assert "$FORGED_TOKEN" in (finding.reproducer or "") and "segment(s)" in (finding.reproducer or "")
    assert "--seed 11 --budget 30" in (finding.reproducer or "")


def test_no_mutant_carries_a_cookie_an_earlier_answer_set() -> None:
    with cookie_setter() as (url, cookies):
        mutate_against(url)
    assert len(cookies) == 5 and set(cookies) == {None}


def test_a_mutant_that_fails_once_but_not_when_sent_again_is_kept_without_violations() -> None:
    with cookie_setter(first_status=500) as (url, _cookies):
        outcome = mutate_against(url)
    assert outcome.mutant is not None and outcome.violations == []


AUDIT_IN_A_FRESH_PROCESS = """
import sys
from chatmigrate.audit import AuditOptions, AuditTarget, Principal, run_audit
base, secret = sys.argv[1:3]
target = AuditTarget(principal=Principal("admin", "seed-Passw0rd"), new_url=base, signing_secret=secret)
run_audit(target, AuditOptions(groups=frozenset({"mutation", "contract"}), budget=5, contract_examples=2))
"""


def test_hypothesis_leaves_no_directory_where_the_user_runs_the_audit(server: EmbeddedServer, tmp_path: Path) -> None:
    """A fresh process, so that hypothesis takes the user's directory as its default home, as it would for them."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    finished = subprocess.run(
        [sys.executable, "-c", AUDIT_IN_A_FRESH_PROCESS, server.base_url, server.config.jwt_secret],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert list(tmp_path.iterdir()) == []
