"""Secret hygiene: with known passwords and signing keys, nothing the audit prints or writes contains them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import jwt
import pytest
from server_wire import ServerFactory

from chatmigrate.audit import AuditOptions, AuditTarget, embedded_target, run_audit
from chatmigrate.audit.catalogue import PasswordChange
from chatmigrate.audit.context import AuditContext, LegacySession
from chatmigrate.audit.forge import Forge, decode_unverified
from chatmigrate.audit.mutate import Mutant
from chatmigrate.audit.probe import Expect, HttpProbe, WsProbe
from chatmigrate.cli import main
from chatmigrate.records import to_dict

PASSWORD = "Hygiene-password-4f1c9e"
SECRET = "Hygiene-signing-key-8d2b7a61c3e5f0"
JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def leaks(text: str) -> list[str]:
    """The known secrets, and every JWT-shaped string that verifies with the signing key."""
    found = [name for name, value in (("password", PASSWORD), ("secret", SECRET)) if value in text]
    for candidate in JWT_SHAPE.findall(text):
        try:
            jwt.decode(
                candidate,
                SECRET,
                algorithms=["HS256", "HS384", "HS512"],
                options={"verify_exp": False, "verify_aud": False},
            )
        except jwt.PyJWTError:
            continue
        found.append(f"verifiable token {candidate[:12]}…")
    return found


def test_the_cli_prints_and_writes_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHATMIGRATE_CONFIG", raising=False)
    monkeypatch.setenv("CHATMIGRATE_PASSWORD", PASSWORD)
    monkeypatch.setenv("CHATMIGRATE_JWT_SECRET", SECRET)
    out_dir = tmp_path / "results"
    with pytest.raises(SystemExit) as exited:
        main(["audit", "--flaw", "echo-token", "--flaw", "stack-trace", "--budget", "15", "-o", str(out_dir)])
    assert exited.value.code == 1
    printed = "".join(capsys.readouterr())
    written = {path: path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file()}
    assert written and printed
    assert leaks(printed) == []
    assert {str(path): leaks(text) for path, text in written.items() if leaks(text)} == {}


def test_websocket_first_message_findings_carry_no_secret(server_with: ServerFactory) -> None:
    server = server_with(
        flaws=("echo-token", "ws-missing-token"),
        ws_auth="jwt",
        ws_auth_timeout=1.0,
        password=PASSWORD,
        jwt_secret=SECRET,
    )
    outcome = run_audit(embedded_target(server), AuditOptions(budget=15, groups=frozenset({"websocket", "signature"})))
    assert any(finding.tier == "ws" for finding in outcome.findings)
    assert leaks(json.dumps(to_dict(outcome.findings)) + json.dumps(to_dict(outcome.results))) == []


def test_the_leak_detector_recognises_a_token_signed_with_the_key() -> None:
    token = jwt.encode({"user_id": 1}, SECRET, algorithm="HS256")
    assert leaks(f"detail: {token}") == [f"verifiable token {token[:12]}…"]
    foreign = jwt.encode({"user_id": 1}, "another-signing-key-0123456789abcdef", algorithm="HS256")
    assert leaks(f"detail: {foreign}") == []


def test_no_audit_record_shows_a_credential_in_its_repr() -> None:
    token = jwt.encode({"user_id": 1, "note": "x" * 20}, SECRET, algorithm="HS256")
    signature = token.rsplit(".", 1)[1]
    forged = Forge(token, SECRET).real(claims={"user_id": 2})
    session = LegacySession(sessionid=PASSWORD, csrftoken=PASSWORD)
    records = [
        AuditContext(
            AuditTarget(token=token, signing_secret=SECRET),
            AuditOptions(),
            httpx.AsyncClient(),
            token=token,
            forbidden_token=token,
            placeholders={token: "TOKEN", signature: "TOKEN_SIGNATURE"},
        ),
        HttpProbe(
            "probe",
            "POST",
            f"http://127.0.0.1:9/chat/?token={token}",
            Expect.REFUSED,
            headers=(("Authorization", f"Bearer {token}"),),
            body=f"csrfmiddlewaretoken={PASSWORD}".encode(),
            token=token,
        ),
        WsProbe("socket", "ws://127.0.0.1:9/ws/", Expect.WS_REFUSED, first_message=token, token=token),
        forged,
        decode_unverified(token),
        Mutant(token, "bit-flip", "none", Expect.REFUSED, forged.note),
        PasswordChange(token, session),
    ]
    assert [type(record).__name__ for record in records if leaks(repr(record)) or signature in repr(record)] == []
