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


class Credential(StrEnum):
    """What a request carried: the principal's own credential; none at all (the anonymous principal); or none
    because that side's login refused the principal, so the side's answer to the anonymous is its answer to them."""

    OWN = "own"
    NONE = "none"
    REFUSED_AT_LOGIN = "refused-at-login"


class AuditState(StrEnum):
    """How one audit case ended on one tier; only ``pass`` is a pass, so a case that could not run is never one."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not-applicable"
    KNOWN_LEGACY = "known-legacy"


class Check(StrEnum):
    """What produced a finding. The per-entry parity checks (``json``, ``auth-outcome``, ``body``, ``schema``) are
    judged on each corpus entry, and one finding of theirs stands for every entry it occurred in."""

    JSON = "json"
    AUTH_OUTCOME = "auth-outcome"
    BODY = "body"
    SCHEMA = "schema"
    LATENCY = "latency"
    NOISE = "noise"
    IGNORE_RULE = "ignore-rule"
    NORMALISE_RULE = "normalise-rule"
    AUDIT = "audit"
    WS_PARITY = "ws-parity"

    @property
    def per_entry(self) -> bool:
        return self in _PER_ENTRY_CHECKS


_PER_ENTRY_CHECKS = frozenset({Check.JSON, Check.AUTH_OUTCOME, Check.BODY, Check.SCHEMA})


class FindingKind(StrEnum):
    """What a finding is about, within its check. Kinds that come in many variants (an outcome transition, a
    contract rule, the status an answer came with) are one member here, and the variant travels beside it
    (``Finding.variant``)."""

    # json: what came back where JSON was due; variant is its status ("404"), none for a transport error
    TRANSPORT_ERROR = "transport-error"
    REDIRECT = "redirect"
    LOGIN_REDIRECT = "login-redirect"
    LOGIN_PAGE = "login-page"
    HTML = "html"
    CONTENT_TYPE = "content-type"
    NOT_JSON = "not-json"
    LEGACY_CRASH = "legacy-crash"
    # auth-outcome: variant "not-found 404->client-error 400" (outcomes and statuses), "400->422" (statuses),
    # "500->400" (a legacy crash the new tier fixes) or "500" (a server error on both sides)
    OUTCOME_CHANGED = "outcome-changed"
    STATUS_CHANGED = "status-changed"
    FIXED_CRASH = "fixed-crash"
    # body: the typed JSON differences jsondiff finds
    VALUE_CHANGED = "value_changed"
    TYPE_CHANGED = "type_changed"
    KEY_ADDED = "key_added"
    KEY_REMOVED = "key_removed"
    LENGTH_CHANGED = "length_changed"
    ORDER_ONLY = "order_only"
    # body: a value written another way with the same meaning (see SAME_MEANING)
    SAME_INSTANT = "same_instant"
    DECIMAL_STRING = "decimal_string"
    NUMERIC_STRING_ID = "numeric_string_id"
    # schema: variant is the broken rule, without the offending value
    SCHEMA_VIOLATION = "schema-violation"
    # latency, noise, ignore rules, and the cap on distinct findings of any check
    P95 = "p95"
    LEARNED = "learned"
    UNUSED = "unused"
    OVERFLOW = "overflow"
    # audit: one per broken property of a refusal (HTML and REDIRECT above too)
    STACK_TRACE = "stack-trace"
    TOKEN_ECHO = "token-echo"
    INJECTED_DELAY = "injected-delay"
    NO_ANSWER = "no-answer"
    OUTBOUND_FETCH = "outbound-fetch"
    SERVER_ERROR = "server-error"
    DOCUMENTED_BEHAVIOUR = "documented-behaviour"
    INTEROPERABILITY = "interoperability"
    DATA_RETURNED = "data-returned"
    ACCEPTED = "accepted"
    WRONG_STATUS = "wrong-status"
    BAD_ENVELOPE = "bad-envelope"
    CSRF_BYPASSED = "csrf-bypassed"
    CSRF_REASON = "csrf-reason"
    LEFT_OPEN = "left-open"
    IMPERSONATION = "impersonation"
    LEGACY_LOGIN_REDIRECT = "legacy-login-redirect"
    LEGACY_CSRF_PAGE = "legacy-csrf-page"
    NEEDS_REVIEW = "needs-review"
    # audit, token lifecycle
    DOCUMENTED_GAP = "documented-gap"
    MISSING_HEADER = "missing-header"
    NOT_THROTTLED = "not-throttled"
    ENUMERATION = "enumeration"
    # audit, contract case: variant is the schemathesis check that failed
    CONTRACT_CHECK = "contract-check"
    # ws-parity: which round trip lost the message, or a principal the socket lets in whom old refused
    SOCKET_TO_HISTORY = "socket-to-history"
    SEND_TO_SOCKET = "send-to-socket"
    SOCKET_GRANTED = "socket-granted"
    # audit, wave-2 inspections of a served answer
    ACTIVE_CONTENT = "active-content"
    CORS_CREDENTIALS = "cors-credentials"
    COOKIE_FLAGS = "cookie-flags"
    SESSION_FIXATION = "session-fixation"
    OPEN_REDIRECT = "open-redirect"
    REFUSED_DOWNSTREAM = "refused-downstream"
    # audit, wave-3 inspections: a secret in an answer, a token that lives too long, data a shared cache may keep
    SECRET_EXPOSED = "secret-exposed"
    LONG_LIVED_TOKEN = "long-lived-token"
    SHARED_CACHE = "shared-cache"


class Answer(StrEnum):
    """How the audit classes an answer to an attack, by comparison with the tier's calibration answers."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    AMBIGUOUS = "ambiguous"
    SERVER_ERROR = "server-error"


SAME_MEANING: tuple[FindingKind, ...] = (
    FindingKind.SAME_INSTANT,
    FindingKind.DECIMAL_STRING,
    FindingKind.NUMERIC_STRING_ID,
)
"""Body differences that change how a value is written but not what it means, and the kinds a
``[[compare.normalise]]`` rule accepts: ``same_instant`` (one instant written two ways: ``+00:00`` vs ``Z``,
fractional seconds, epoch seconds vs ISO 8601), ``decimal_string`` (a number on one side, a decimal string of
equal value on the other: ``29.97`` vs ``"29.97"``), ``numeric_string_id`` (an integer id on one side, the same id
as a numeric string on the other: ``1`` vs ``"1"``)."""


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
    """Switches that make one tier of the reference server insecure in one known way."""

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
    REFRESH_AS_ACCESS = "refresh-as-access"
    NO_ROTATION_BLACKLIST = "no-rotation-blacklist"
    REFRESH_AFTER_LOGOUT = "refresh-after-logout"
    ACCESS_AFTER_DEACTIVATION = "access-after-deactivation"
    REFRESH_AFTER_DEACTIVATION = "refresh-after-deactivation"
    USER_ENUMERATION = "user-enumeration"
    NO_LOGIN_THROTTLE = "no-login-throttle"
    CACHEABLE_TOKEN = "cacheable-token"
    NO_WWW_AUTHENTICATE = "no-www-authenticate"
    STORED_ACTIVE_HTML = "stored-active-html"
    CORS_REFLECT_CREDENTIALS = "cors-reflect-credentials"
    PROXY_ROUTE_VARIANT = "proxy-route-variant"
    PROXY_METHOD_OVERRIDE = "proxy-method-override"
    NON_STAFF_ANY_ROOM = "non-staff-any-room"
    MIDDLEWARE_SUBREQUEST = "middleware-subrequest"
    PROXY_PRESENCE_ONLY = "proxy-presence-only"
    PROXY_TRUSTS_LOOPBACK = "proxy-trusts-loopback"
    SESSION_FIXATION = "session-fixation"
    SESSION_COOKIE_FLAGS = "session-cookie-flags"
    LOGIN_OPEN_REDIRECT = "login-open-redirect"
    ALG_LIST = "alg-list"
    ASYMMETRIC_ALG_UNVERIFIED = "asymmetric-alg-unverified"
    DUPLICATE_HEADER_PARAMS = "duplicate-header-params"
    DUPLICATE_CLAIMS_FIRST_WINS = "duplicate-claims-first-wins"
    CLAIM_SUBSTRING_MATCH = "claim-substring-match"
    TOKEN_PRIVILEGE_CLAIMS = "token-privilege-claims"
    USER_SECRETS_EXPOSED = "user-secrets-exposed"
    LONG_LIVED_ACCESS = "long-lived-access"
    PROXY_PATH_OVERRIDE = "proxy-path-override"
    PUBLIC_CACHE_DATA = "public-cache-data"
    WS_EXPIRED_TOKEN_KEPT = "ws-expired-token-kept"
    WS_LOGOUT_KEPT = "ws-logout-kept"
    WS_DEACTIVATED_USER_KEPT = "ws-deactivated-user-kept"
    WS_SENDER_FROM_MESSAGE = "ws-sender-from-message"
    WS_ROOM_FROM_MESSAGE = "ws-room-from-message"
    WS_NON_STAFF = "ws-non-staff"
    LEGACY_SESSION_UNCHECKED = "legacy-session-unchecked"
    LEGACY_NON_STAFF = "legacy-non-staff"
    LEGACY_SESSION_SURVIVES_PASSWORD_CHANGE = "legacy-session-survives-password-change"
    LEGACY_CSRF_EXEMPT = "legacy-csrf-exempt"
    WS_TOKEN_UNVERIFIED = "ws-token-unverified"
    WS_TOKEN_USER_MISMATCH = "ws-token-user-mismatch"
    WS_DEFAULT_USER = "ws-default-user"
    WS_ROOM_ID_OVERFLOW = "ws-room-id-overflow"
    CLAIM_TYPE_CRASH = "claim-type-crash"
    BAD_TOKEN_LOCKOUT = "bad-token-lockout"

    @property
    def ws_auth(self) -> WsAuth | None:
        """The one WebSocket auth mode the flaw acts in (None: any): in another mode no check can observe it."""
        if self in _JWT_SOCKET_FLAWS:
            return WsAuth.JWT
        return WsAuth.URL if self in _URL_SOCKET_FLAWS else None


_JWT_SOCKET_FLAWS = frozenset(
    {
        Flaw.WS_MISSING_TOKEN,
        Flaw.WS_EXPIRED_TOKEN_KEPT,
        Flaw.WS_LOGOUT_KEPT,
        Flaw.WS_TOKEN_UNVERIFIED,
        Flaw.WS_TOKEN_USER_MISMATCH,
    }
)
"""Flaws of the socket's token: a url-mode socket takes none, so there they cannot act."""
_URL_SOCKET_FLAWS = frozenset({Flaw.WS_DEFAULT_USER})
"""Flaws of the URL's user_id as the identity: a jwt-mode socket checks it against its token, so there they open
no hole."""


class ExitCode(IntEnum):
    OK = 0
    GATE_FAILED = 1
    USAGE = 2
    TRANSPORT = 3
    INTERRUPTED = 130
