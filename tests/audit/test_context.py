"""What the audit reads from the genuine credentials before any case runs."""

from __future__ import annotations

import jwt
import pytest

from chatmigrate.audit.context import user_id_of


@pytest.mark.parametrize(
    ("claim", "expected"),
    [(7, 7), ("7", 7), (True, None), ("x7", None), (None, None)],
    ids=["integer", "decimal string (simplejwt 5.5)", "boolean", "not a number", "absent"],
)
def test_the_user_id_of_a_token_is_an_integer_or_a_decimal_string(claim: object, expected: int | None) -> None:
    assert user_id_of(jwt.encode({"user_id": claim}, "k" * 32)) == expected
