"""The names the compare stage gives its checks and finding kinds.

They are written to run.json and baselines (a finding's fingerprint includes its check and kind), so they change
only with a results schema change.
"""

from __future__ import annotations

from enum import StrEnum

CHECK_JSON = "json"
CHECK_OUTCOME = "auth-outcome"
CHECK_BODY = "body"
CHECK_SCHEMA = "schema"
CHECK_LATENCY = "latency"
CHECK_NOISE = "noise"
CHECK_IGNORE_RULE = "ignore-rule"
CHECK_NORMALISE_RULE = "normalise-rule"


class SameMeaning(StrEnum):
    """Body differences that change how a value is written but not what it means; each is its own finding kind."""

    SAME_INSTANT = "same_instant"
    """One instant written two ways: ``+00:00`` vs ``Z``, fractional seconds, epoch seconds vs ISO 8601."""
    DECIMAL_STRING = "decimal_string"
    """A number on one side, a decimal string of equal value on the other: ``29.97`` vs ``"29.97"``."""
    NUMERIC_STRING_ID = "numeric_string_id"
    """An integer id on one side, the same id as a numeric string on the other: ``1`` vs ``"1"``."""
