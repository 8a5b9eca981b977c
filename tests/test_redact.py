"""Redaction: registered secrets and credential-shaped text never leave the process."""

import pytest

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


def test_opaque_values_under_sensitive_keys_are_masked() -> None:
    body = {
        "access": "opaque-0123456789",
        "password": "hunter2hunter2",
        "sessionid": "k2j3h4k2j3h4",
        "refresh_token": "opaque-refresh",
        "csrfmiddlewaretoken": "opaque-form",
        "X-Session-Token": "opaque-header",
        "nested": [{"accessToken": "opaque-camel"}],
    }
    assert redact_obj(body) == {
        "access": MASK,
        "password": MASK,
        "sessionid": MASK,
        "refresh_token": MASK,
        "csrfmiddlewaretoken": MASK,
        "X-Session-Token": MASK,
        "nested": [{"accessToken": MASK}],
    }


def test_keys_that_only_resemble_sensitive_words_are_kept() -> None:
    body = {"request_type": "chat_list", "has_more": "yes", "accessible": "yes", "tokens_left": "3"}
    assert redact_obj(body) == body


def test_headers_named_like_credentials_are_masked_whole() -> None:
    headers = redact_headers({"X-Session-Token": "opaque", "X-Api-Key": "opaque", "X-Request-Id": "r-1"})
    assert headers == {"x-session-token": MASK, "x-api-key": MASK, "x-request-id": "r-1"}


def test_the_longest_of_overlapping_registered_secrets_is_masked_whole() -> None:
    register_secret("shared-prefix-secret")
    register_secret("shared-prefix-secret-and-more")
    register_secret("shared-prefix-other")
    text = "a shared-prefix-secret-and-more b shared-prefix-secret c shared-prefix-other d shared-prefix"
    assert redact(text) == f"a {MASK} b {MASK} c {MASK} d shared-prefix"


def test_a_registered_secret_with_regex_characters_is_matched_literally() -> None:
    register_secret("p4ss.w*rd+(x)")
    assert redact("p4ss.w*rd+(x) p4ssAwwrd+x") == f"{MASK} p4ssAwwrd+x"


def test_secrets_registered_between_redactions_are_all_masked() -> None:
    register_secret("first-secret-value")
    assert redact("first-secret-value") == MASK
    register_secret("second-secret-value")
    assert redact("first-secret-value second-secret-value") == f"{MASK} {MASK}"


def test_a_registered_token_is_masked_wherever_it_appears() -> None:
    register_secret(JWT)
    assert JWT not in redact(f"x{JWT}y") and MASK in redact(f"x{JWT}y")


def test_a_status_after_a_credential_word_is_prose_and_kept() -> None:
    assert redact("no token: 403 without the reason") == "no token: 403 without the reason"


@pytest.mark.parametrize("text", ["no token: HTML answer", "refresh: null", "token: missing from the answer"])
def test_a_word_of_prose_after_a_credential_word_is_kept(text: str) -> None:
    assert redact(text) == text


def test_a_registered_secret_that_is_a_prose_word_is_still_masked() -> None:
    register_secret("expired")
    assert redact("password: expired") == f"password: {MASK}"


def test_a_credential_pair_with_a_longer_numeric_value_is_still_masked() -> None:
    assert "48151623" not in redact("password=48151623")
