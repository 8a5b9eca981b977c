"""Reproducers: placeholders instead of secrets, valid shell, and unchanged by any later redaction."""

from __future__ import annotations

import subprocess

import pytest

from chatmigrate.audit.forge import TokenNote
from chatmigrate.audit.probe import Expect, HttpProbe, WsProbe
from chatmigrate.audit.reproducer import reproducer
from chatmigrate.redact import redact, register_secret

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.Z2VudWluZS1zaWduYXR1cmUtdmFsdWU"
FORGED = "eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ."
SESSION = "k2l3m4n5o6p7q8r9s0t1u2v3w4x5y6z7"
CSRF = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
PLACEHOLDERS = {TOKEN: "TOKEN", SESSION: "SESSIONID", CSRF: "CSRFTOKEN"}
URL = "http://127.0.0.1:8000/api/v1/admin/chat/?request_type=recent_messages&chatroom_id=1"

PROBES = {
    "bearer": HttpProbe(
        "valid first",
        "GET",
        URL,
        Expect.REFUSED,
        headers=(("Authorization", f"Bearer {TOKEN}"), ("Authorization", "Bearer garbage")),
        token=TOKEN,
    ),
    "forged": HttpProbe(
        "alg none",
        "GET",
        URL,
        Expect.REFUSED,
        headers=(("Authorization", f"Bearer {FORGED}"),),
        token=FORGED,
        note=TokenNote("alg none, empty signature", {"alg": "none"}, {"user_id": 1}),
    ),
    "query": HttpProbe("query", "GET", f"{URL}&token={TOKEN}&access_token={TOKEN}", Expect.REFUSED, token=TOKEN),
    "cookie": HttpProbe(
        "cookie", "GET", URL, Expect.REFUSED, headers=(("Cookie", f"sessionid={SESSION}; csrftoken={CSRF}"),)
    ),
    "form": HttpProbe(
        "csrf",
        "POST",
        "http://127.0.0.1:8000/admin/login/",
        Expect.CSRF_REJECTED,
        headers=(("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", f"csrftoken={CSRF}")),
        body=f"username=admin&password=wrong&csrfmiddlewaretoken={CSRF}".encode(),
    ),
    "raw": HttpProbe(
        "trailing NUL",
        "GET",
        URL,
        Expect.REFUSED_OR_REJECTED,
        headers=(("Authorization", f"Bearer {TOKEN}\x00"),),
        token=TOKEN,
        raw=True,
    ),
    "ws": WsProbe(
        "bad token",
        "ws://127.0.0.1:8000/ws/cschat/P1001Chat/?user_id=1",
        Expect.WS_REFUSED,
        origin="https://evil.example",
        first_message=f'{{"type": "auth", "token": "{FORGED}"}}',
        token=FORGED,
    ),
}


@pytest.fixture(autouse=True)
def _secrets() -> None:
    for value in PLACEHOLDERS:
        register_secret(value)


@pytest.mark.parametrize("kind", sorted(PROBES))
def test_no_secret_survives_in_a_reproducer(kind: str) -> None:
    text = reproducer(PROBES[kind], PLACEHOLDERS)
    assert all(value not in text for value in (TOKEN, FORGED, SESSION, CSRF))


@pytest.mark.parametrize("kind", sorted(PROBES))
def test_a_reproducer_is_unchanged_by_redaction(kind: str) -> None:
    text = reproducer(PROBES[kind], PLACEHOLDERS)
    assert redact(text) == text


@pytest.mark.parametrize("kind", sorted(PROBES))
def test_a_reproducer_is_valid_shell(kind: str) -> None:
    text = reproducer(PROBES[kind], PLACEHOLDERS)
    assert subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True).returncode == 0


def test_the_genuine_token_becomes_token_and_a_forged_one_forged_token() -> None:
    assert "$TOKEN" in reproducer(PROBES["bearer"], PLACEHOLDERS)
    forged = reproducer(PROBES["forged"], PLACEHOLDERS)
    assert "$FORGED_TOKEN" in forged and "# $FORGED_TOKEN: " in forged and '{"alg":"none"}' in forged


def test_the_placeholders_to_set_are_listed_first() -> None:
    text = reproducer(PROBES["cookie"], PLACEHOLDERS)
    assert text.splitlines()[1].startswith("# set first: $CSRFTOKEN, $SESSIONID")


def test_a_websocket_reproducer_reads_the_token_from_the_environment() -> None:
    text = reproducer(PROBES["ws"], PLACEHOLDERS)
    assert "message['token'] = os.environ['FORGED_TOKEN']" in text and "origin='https://evil.example'" in text


def test_curl_sends_exactly_the_probe_when_the_placeholders_are_set() -> None:
    text = reproducer(PROBES["bearer"], PLACEHOLDERS)
    command = text.split("\n", 2)[2].replace("curl -sS -i", "printf '%s\\n'", 1)
    words = subprocess.run(
        ["bash", "-c", command], input="", text=True, capture_output=True, env={"TOKEN": TOKEN, "PATH": "/usr/bin:/bin"}
    ).stdout.splitlines()
    assert f"Authorization: Bearer {TOKEN}" in words and "Authorization: Bearer garbage" in words
