"""What the target promises beyond what any correct server does: declared, with stock-Django defaults.

A catalogue case asserts one of these only as the declaration says; the defaults describe a stock
Django + DRF + djangorestframework-simplejwt deployment, so an undeclared target is never failed
for behaviour that is correct there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chatmigrate.vocab import Tier


class JsonType(StrEnum):
    INTEGER = "integer"
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"

    @classmethod
    def of(cls, value: object) -> JsonType:
        if isinstance(value, bool):
            return cls.BOOLEAN
        if isinstance(value, int):
            return cls.INTEGER
        if isinstance(value, float):
            return cls.NUMBER
        return cls.STRING


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditPolicy:
    bearer_scheme_case_insensitive: bool = False
    """The target promises ``bearer`` and ``BEARER`` work like ``Bearer`` (RFC 7235 §2.1 says schemes are
    case-insensitive). simplejwt matches ``Bearer`` exactly, so by default a refusal is a low interoperability
    note; declared, it is a medium failure of the promise."""
    csrf_failure_reason: bool = False
    """The legacy 403 page states Django's CSRF failure reason ("CSRF cookie not set." …). Django prints it
    only with DEBUG=True, so by default any 403 passes the CSRF cases."""
    user_id_types: frozenset[JsonType] = frozenset({JsonType.INTEGER, JsonType.STRING})
    """JSON types of the ``user_id`` claim the target may accept for the same user: simplejwt before 5.5
    issues integers, 5.5 strings. The own id in any other type, accepted, is a low type-laxness finding."""
    forwarded_proto_https: bool = False
    """The legacy site takes ``X-Forwarded-Proto: https`` as a secure request (Django's SECURE_PROXY_SSL_HEADER),
    so the no-Referer CSRF probe can be sent over plain http. Stock Django ignores the header."""
    audience: str | None = None
    """The ``aud`` the JWT API checks (simplejwt's AUDIENCE). Declared, a token for another audience must be
    refused (high); unset, as simplejwt's default, ``aud`` is not checked and either answer passes if clean."""
    password_change_done_path: str = "/admin/password_change/done/"
    """Where a successful legacy password change redirects (Django's 302); a 200 answer counts as done too."""
    blacklist_after_rotation: bool = False
    """A refresh token is blacklisted once it has been rotated (simplejwt's ``BLACKLIST_AFTER_ROTATION``, off by
    default). Declared, reusing a rotated refresh token must be refused (high); unset, its acceptance is an info gap."""
    login_throttle: bool = False
    """Failed logins at the token endpoint are throttled or locked out by the 20th (DRF throttling, django-axes).
    Stock Django has neither: unset, no throttle is an info note; declared, a medium failure."""
    token_no_store: bool = False
    """Token answers carry ``Cache-Control: no-store`` (RFC 6749 §5.1). simplejwt does not send it: unset, its
    absence is an info note; declared, a medium failure."""

    max_access_lifetime: float = 86_400.0
    """The longest access-token lifetime (``exp - iat``, seconds) the API may issue. One day by default: far above
    simplejwt's 5 minutes, so only a token meant to live for days or weeks is a (medium) finding."""
    ws_session_revocation: bool = False
    """An open chat socket stops serving its user once they log out or are deactivated. Django Channels checks the
    user at connect only: unset, a socket that outlives either is an info gap; declared, a high failure."""

    def describe(self, tier: Tier) -> list[str]:
        """The policies in force on ``tier``, in words, for the report's target list."""
        if tier is Tier.OLD:
            return [
                "CSRF failure reason " + ("stated on the 403 page" if self.csrf_failure_reason else "not required"),
                "X-Forwarded-Proto " + ("trusted" if self.forwarded_proto_https else "ignored (stock Django)"),
                f"password change done at {self.password_change_done_path}",
            ]
        if tier in (Tier.NEW, Tier.PROXY):
            return [
                "Bearer scheme " + ("case-insensitive" if self.bearer_scheme_case_insensitive else "exact (simplejwt)"),
                "user_id types " + ", ".join(sorted(self.user_id_types)),
                f"audience {self.audience}" if self.audience else "audience not checked (simplejwt default)",
                "rotated refresh tokens " + ("blacklisted" if self.blacklist_after_rotation else "not promised dead"),
                "login throttle " + ("promised" if self.login_throttle else "not promised (stock Django)"),
                "token answers " + ("no-store" if self.token_no_store else "may be cached (simplejwt)"),
                f"access tokens live at most {duration_words(self.max_access_lifetime)}",
            ]
        return []


_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def duration_words(seconds: float) -> str:
    """A duration as a person says it, to two units: '14 minutes 58 seconds', '30 days'."""
    left, parts = max(0, int(seconds)), []
    for name, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) or "0 seconds"
