"""JSON read fast where that is exact: integers past 64 bits keep every digit."""

from __future__ import annotations

import math

import pytest

from chatmigrate import exactjson

BIG = 123456789012345678901234567


def test_an_integer_past_64_bits_keeps_every_digit() -> None:
    assert exactjson.loads(b'{"id": 123456789012345678901234567}') == {"id": BIG}


def test_two_big_integers_that_differ_in_the_last_digit_stay_different() -> None:
    assert exactjson.loads(b"[10000000000000000001]") != exactjson.loads(b"[10000000000000000002]")


def test_a_long_run_of_digits_in_a_string_does_not_change_the_result() -> None:
    assert exactjson.loads(b'{"phone": "00441234567890123456789"}') == {"phone": "00441234567890123456789"}


def test_nan_which_only_pythons_parser_reads_is_read() -> None:
    assert math.isnan(exactjson.loads(b"[NaN]")[0])


def test_what_neither_parser_reads_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        exactjson.loads(b"{not json")
