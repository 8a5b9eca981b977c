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


class AnswerKind(StrEnum):
    """What the JSON and auth-outcome checks found; a finding's kind is one of these with its status (``html-404``,
    ``fixed-crash 500->400``), so entries that answered differently never share one finding or one title."""

    HTML = "html"
    NOT_JSON = "not-json"
    CONTENT_TYPE = "content-type"
    REDIRECT = "redirect"
    LOGIN_REDIRECT = "login-redirect"
    LOGIN_PAGE = "login-page"
    LEGACY_CRASH = "legacy-crash"
    FIXED_CRASH = "fixed-crash"
    SERVER_ERROR = "server-error"
    STATUS = "status"

    def at(self, status: int) -> str:
        """The kind of a finding about one answer: ``html-404``."""
        return f"{self.value}-{status}"

    def between(self, old: int | None, new: int | None) -> str:
        """The kind of a finding about a pair of answers: ``status 400->422``."""
        return f"{self.value} {old}->{new}"


class SameMeaning(StrEnum):
    """Body differences that change how a value is written but not what it means; each is its own finding kind."""

    SAME_INSTANT = "same_instant"
    """One instant written two ways: ``+00:00`` vs ``Z``, fractional seconds, epoch seconds vs ISO 8601."""
    DECIMAL_STRING = "decimal_string"
    """A number on one side, a decimal string of equal value on the other: ``29.97`` vs ``"29.97"``."""
    NUMERIC_STRING_ID = "numeric_string_id"
    """An integer id on one side, the same id as a numeric string on the other: ``1`` vs ``"1"``."""
