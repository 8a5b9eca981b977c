"""Forged tokens are what their notes say they are, byte for byte."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from chatmigrate.audit.forge import DROP, Forge, assemble, b64url_decode, decode_unverified, shape_of

SECRET = "forge-test-secret-0123456789abcdef"


@pytest.fixture
def forge() -> Forge:
    now = int(time.time())
    claims = {
        "user_id": 1,
        "username": "admin",
        "email": "admin@example.com",
        "role": "admin",
        "exp": now + 900,
        "iat": now,
    }
    return Forge(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)


def test_a_token_signed_with_the_real_key_verifies_and_is_marked_as_such(forge: Forge) -> None:
    forged = forge.real(claims=forge.with_claims(role="support"))
    assert jwt.decode(forged.token, SECRET, algorithms=["HS256"])["role"] == "support"
    assert forged.note.real_key


def test_alg_none_leaves_the_signature_empty(forge: Forge) -> None:
    forged = forge.make("alg none", header={"alg": "nOnE", "typ": "JWT"})
    assert forged.token.endswith(".")
    assert forged.note.header == {"alg": "nOnE", "typ": "JWT"}


def test_keep_signature_pastes_the_genuine_signature_onto_edited_claims(forge: Forge) -> None:
    forged = forge.keep_signature(claims=forge.with_claims(user_id=2))
    assert forged.token.split(".")[2] == forge.token.split(".")[2]
    assert decode_unverified(forged.token).claims["user_id"] == 2
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged.token, SECRET, algorithms=["HS256"])


def test_raw_json_payloads_are_kept_as_written(forge: Forge) -> None:
    forged = forge.real(claims='{"user_id":1,"exp":1e999}')
    assert b64url_decode(forged.token.split(".")[1]) == b'{"user_id":1,"exp":1e999}'


def test_claims_can_be_dropped(forge: Forge) -> None:
    assert "exp" not in forge.with_claims(exp=DROP)


def test_without_the_secret_real_signing_is_refused() -> None:
    token = assemble({"alg": "HS256", "typ": "JWT"}, {"user_id": 1}, key=b"k")
    with pytest.raises(LookupError):
        Forge(token, None).real()


def test_an_embedded_jwk_token_verifies_with_the_attacker_key_only(forge: Forge) -> None:
    header = {"alg": "RS256", "typ": "JWT"}
    forged = forge.make("rs256", header=header, alg="RS256", key=forge.attacker)
    public = forge.attacker.public_key()
    assert jwt.decode(forged.token, public, algorithms=["RS256"])["user_id"] == 1  # type: ignore[arg-type]


def test_notes_describe_the_shape_and_decoded_parts_without_the_token(forge: Forge) -> None:
    forged = forge.make("HS256 with the weak key 'secret'", key=b"secret")
    text = forged.note.describe()
    assert forged.token not in text and forged.token.split(".")[2] not in text
    assert shape_of(forged.token) in text and '"username":"admin"' in text
    assert json.loads(text.split("header ", 1)[1].split(";")[0]) == forged.note.header
