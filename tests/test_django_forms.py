"""The CSRF form token is read from a Django login page whichever quotes its template uses."""

from __future__ import annotations

import pytest

from chatmigrate.django_forms import csrf_form_token

FORM_TOKEN = "f" * 64


@pytest.mark.parametrize(
    "page",
    [
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{FORM_TOKEN}">',
        f"<input type='hidden' name='csrfmiddlewaretoken' value='{FORM_TOKEN}'>",
        f"<input type=hidden name=csrfmiddlewaretoken value={FORM_TOKEN}>",
    ],
    ids=["double quotes", "single quotes", "no quotes"],
)
def test_the_form_token_is_read_whichever_quotes_the_template_uses(page: str) -> None:
    assert csrf_form_token(page) == FORM_TOKEN


def test_a_page_without_the_field_has_no_form_token() -> None:
    assert csrf_form_token("<form><input name='username'></form>") is None
