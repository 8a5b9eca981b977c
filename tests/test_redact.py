"""Redaction: registered secrets and credential-shaped text never leave the process."""

from chatmigrate.redact import MASK, redact, redact_headers, redact_obj, register_secret

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_a_registered_secret_is_masked_anywhere_in_text() -> None:
    register_secret("correct-horse-battery")
    assert redact("password was correct-horse-battery!") == f"password was {MASK}!"


def test_jwt_shaped_text_is_masked_without_registration() -> None:
    assert JWT not in redact(f"token {JWT} refused")


def test_authorization_header_values_are_masked() -> None:
    assert "abc123" not in redact("Authorization: Token abc123")


def test_cookie_pairs_are_masked() -> None:
    text = redact("Cookie: sessionid=k2j3h4k2j3h4; csrftoken=AbCdEf123456")
    assert "k2j3h4k2j3h4" not in text and "AbCdEf123456" not in text


def test_hidden_csrf_form_field_value_is_masked() -> None:
    page = '<input type="hidden" name="csrfmiddlewaretoken" value="Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9">'
    assert "Zx9Zx9" not in redact(page)


def test_sensitive_headers_are_masked_whole() -> None:
    headers = redact_headers({"Set-Cookie": "sessionid=abc; Path=/", "Content-Type": "application/json"})
    assert headers == {"set-cookie": MASK, "content-type": "application/json"}


def test_nested_json_strings_are_redacted_and_structure_kept() -> None:
    assert redact_obj({"a": [JWT, 3], "b": None}) == {"a": [MASK, 3], "b": None}


def test_ordinary_text_is_left_alone() -> None:
    text = "GET /admin/chat/?chatroom_id=1&request_type=recent_messages -> 200"
    assert redact(text) == text


def test_shell_placeholders_in_reproducers_are_kept() -> None:
    command = "curl -H 'Authorization: Bearer $TOKEN' -b 'sessionid=$SESSIONID' https://x/api"
    assert redact(command) == command
