"""The project's one vocabulary: every name that travels between modules is a member here, never a bare string.

This module sits at the bottom of the import graph (it imports only the standard library), so config, records,
runners and reporters can all share it. Values are the strings that appear in files users read and write
(run.json, chatmigrate.toml, CLI flags); they are part of the results schema and do not change lightly.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Tier(StrEnum):
    """Where a request goes. ``old``, ``new`` and ``proxy`` are HTTP sides that replay compares; ``ws`` is audited."""

    OLD = "old"
    NEW = "new"
    PROXY = "proxy"
    WS = "ws"

    @property
    def label(self) -> str:
        return _TIER_LABELS[self]

    @property
    def is_jwt(self) -> bool:
        """The tiers that promised JSON always: HTML there is a defect, while on ``old`` it is legacy behaviour."""
        return self is not Tier.OLD


_TIER_LABELS = {Tier.OLD: "legacy admin", Tier.NEW: "JWT API", Tier.PROXY: "proxy routes", Tier.WS: "WebSocket"}

SIDES: tuple[Tier, ...] = (Tier.OLD, Tier.NEW, Tier.PROXY)
"""The tiers a replay can call over HTTP, in report order; ``old`` is the primary the others are measured against."""

AUDIT_TIERS: tuple[Tier, ...] = (Tier.NEW, Tier.PROXY, Tier.OLD, Tier.WS)
"""The tiers the audit attacks, in the order it runs them."""


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, text: object) -> Severity:
        """From user input (config, flags), case-insensitively, with the choices in the error."""
        try:
            return cls(str(text).strip().lower())
        except ValueError:
            raise ValueError(f"expected one of {', '.join(s.value for s in cls)}, got {text!r}") from None


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Outcome(StrEnum):
    """Auth outcome of a response, so a legacy 302-to-login and a JWT 401 compare as equal."""

    OK = "ok"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not-found"
    CLIENT_ERROR = "client-error"
    SERVER_ERROR = "server-error"
    TRANSPORT_ERROR = "transport-error"


class AuditState(StrEnum):
    """How one audit case ended on one tier; only ``pass`` is a pass, so a case that could not run is never one."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not-applicable"
    KNOWN_LEGACY = "known-legacy"


class WsAuth(StrEnum):
    """How the chat WebSocket authenticates: today's URL parameter, or a JWT in the first message."""

    URL = "url"
    JWT = "jwt"


class Drift(StrEnum):
    """Switches that make the reference server's JWT tier differ from legacy in one known way."""

    RENAME_FIELD = "rename-field"
    TIMESTAMP_FORMAT = "timestamp-format"
    REVERSE_ORDER = "reverse-order"
    PURCHASES_KEY = "purchases-key"
    STRING_IDS = "string-ids"
    LIMIT_OFF_BY_ONE = "limit-off-by-one"
    HTML_404 = "html-404"
    STATUS_CHANGE = "status-change"
    SLOW_MESSAGES = "slow-messages"


class Flaw(StrEnum):
    """Switches that make the reference server's JWT tier insecure in one known way."""

    ACCEPT_EXPIRED = "accept-expired"
    ALG_NONE = "alg-none"
    SKIP_SIGNATURE = "skip-signature"
    ROLE_BYPASS = "role-bypass"
    HTML_401 = "html-401"
    STACK_TRACE = "stack-trace"
    ECHO_TOKEN = "echo-token"
    LOWERCASE_BEARER = "lowercase-bearer"
    WS_MISSING_TOKEN = "ws-missing-token"
    WS_NO_ORIGIN_CHECK = "ws-no-origin-check"


class ExitCode(IntEnum):
    OK = 0
    GATE_FAILED = 1
    USAGE = 2
    TRANSPORT = 3
    INTERRUPTED = 130
