"""Drifts and flaws: each makes one tier wrong in exactly one known way.

They exist so that every chatmigrate check can be shown to catch what it claims,
and so that a user can see a failing report with one command.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chatmigrate.vocab import Drift, Flaw

DRIFTS: dict[Drift, str] = {
    Drift.RENAME_FIELD: "messages carry 'text' instead of 'message'",
    Drift.TIMESTAMP_FORMAT: "timestamps are epoch seconds instead of ISO 8601",
    Drift.REVERSE_ORDER: "messages come oldest first instead of newest first",
    Drift.PURCHASES_KEY: "purchases come under 'purchases' instead of 'messages'",
    Drift.STRING_IDS: "item ids are strings instead of integers",
    Drift.LIMIT_OFF_BY_ONE: "limit=N returns N-1 items",
    Drift.HTML_404: "an unknown chatroom gives an HTML 404 page instead of JSON",
    Drift.STATUS_CHANGE: "an unknown chatroom gives 400 instead of 404",
    Drift.SLOW_MESSAGES: "recent_messages answers 400 ms late (a latency regression)",
}

FLAWS: dict[Flaw, str] = {
    Flaw.ACCEPT_EXPIRED: "expired access tokens are accepted",
    Flaw.ALG_NONE: "tokens with alg 'none' and no signature are accepted",
    Flaw.SKIP_SIGNATURE: "the token signature is not verified",
    Flaw.ROLE_BYPASS: "the role check is skipped: any valid token may read chats",
    Flaw.HTML_401: "authentication failures answer an HTML page instead of JSON",
    Flaw.STACK_TRACE: "authentication failures include a Python traceback in the body",
    Flaw.ECHO_TOKEN: "authentication failures echo the presented token in 'detail'",
    Flaw.LOWERCASE_BEARER: "a lowercase 'bearer' scheme takes a path that skips signature checks",
    Flaw.WS_MISSING_TOKEN: "WebSocket jwt mode accepts an auth message without a token",
    Flaw.WS_NO_ORIGIN_CHECK: "the WebSocket accepts any browser Origin",
    Flaw.REFRESH_AS_ACCESS: "a refresh token is accepted as an access token",
    Flaw.NO_ROTATION_BLACKLIST: "a refresh token rotated away stays usable (not blacklisted)",
    Flaw.REFRESH_AFTER_LOGOUT: "logout answers 200 but does not blacklist the refresh token",
    Flaw.ACCESS_AFTER_DEACTIVATION: "access tokens of a deactivated user are still accepted",
    Flaw.REFRESH_AFTER_DEACTIVATION: "refresh tokens of a deactivated user still refresh",
    Flaw.USER_ENUMERATION: "the token endpoint answers an unknown user differently from a wrong password",
    Flaw.NO_LOGIN_THROTTLE: "failed logins at the token endpoint are never throttled",
    Flaw.CACHEABLE_TOKEN: "token responses lack Cache-Control: no-store",
    Flaw.NO_WWW_AUTHENTICATE: "401 answers lack the WWW-Authenticate: Bearer challenge",
    Flaw.STORED_ACTIVE_HTML: "a purchase's html_content carries a <script> and an onerror handler (stored XSS)",
    Flaw.CORS_REFLECT_CREDENTIALS: "the API reflects any Origin with Access-Control-Allow-Credentials: true",
    Flaw.PROXY_ROUTE_VARIANT: "the proxy checks auth on its exact paths only: a trailing slash is served "
    "with its service credential",
    Flaw.PROXY_METHOD_OVERRIDE: "the proxy honours X-HTTP-Method-Override and checks auth on the real verb only",
    Flaw.NON_STAFF_ANY_ROOM: "non-staff users are served the API: chat_list lists their own room, "
    "but any room's messages are served",
    Flaw.MIDDLEWARE_SUBREQUEST: "the proxy skips its auth for x-middleware-subrequest (CVE-2025-29927) and "
    "forwards with its service credential",
    Flaw.PROXY_PRESENCE_ONLY: "the proxy checks only that an Authorization header exists, forwarding any string",
    Flaw.PROXY_TRUSTS_LOOPBACK: "the proxy treats a loopback X-Forwarded-For / Forwarded for= as internal and "
    "forwards with its service credential",
    Flaw.SESSION_FIXATION: "the legacy login keeps a session id the browser already presented",
    Flaw.SESSION_COOKIE_FLAGS: "the legacy sessionid cookie lacks HttpOnly and SameSite",
    Flaw.LOGIN_OPEN_REDIRECT: "the legacy login redirects to any next= URL, foreign hosts included",
    Flaw.ALG_LIST: "a token header's alg given as a list is read as its first item ('none' included)",
    Flaw.ASYMMETRIC_ALG_UNVERIFIED: "RS256 / ES256 tokens are accepted unverified (no public key is configured)",
    Flaw.DUPLICATE_HEADER_PARAMS: "a token header with two alg members passes the allow-list by its first and is "
    "verified by its last: a last alg 'none' skips the signature",
    Flaw.DUPLICATE_CLAIMS_FIRST_WINS: "a payload's duplicate claim names are read first-wins (RFC 7519 §4 wants a "
    "refusal or the last): an earlier user_id or exp overrides the last",
    Flaw.CLAIM_SUBSTRING_MATCH: "iss and aud are matched as substrings either way: a lookalike issuer or audience "
    "is accepted",
    Flaw.TOKEN_PRIVILEGE_CLAIMS: "staff rights come from the token's is_staff / is_superuser / role / scope / "
    "groups claims when it has them, not from the user table",
    Flaw.USER_SECRETS_EXPOSED: "every chat answer carries the requesting user's record with all its fields, "
    "the password hash included",
    Flaw.LONG_LIVED_ACCESS: "access tokens are issued for 30 days",
    Flaw.PROXY_PATH_OVERRIDE: "the proxy's public home page routes by X-Original-URL / X-Rewrite-URL / "
    "X-Forwarded-Prefix and forwards with its service credential",
    Flaw.PUBLIC_CACHE_DATA: "the JWT API answers chat data with Cache-Control: public, max-age=300",
    Flaw.WS_EXPIRED_TOKEN_KEPT: "an open jwt-mode socket keeps serving its user after the token expired",
    Flaw.WS_LOGOUT_KEPT: "an open jwt-mode socket keeps serving its user after they logged out",
    Flaw.WS_DEACTIVATED_USER_KEPT: "an open socket keeps serving its user after they were deactivated",
    Flaw.WS_SENDER_FROM_MESSAGE: "a socket message's user_id names its sender: anyone may post as another user",
    Flaw.WS_ROOM_FROM_MESSAGE: "a socket message's chatroom_id names its room: a socket may post into any room",
    Flaw.WS_NON_STAFF: "the chat socket lets any active user in, staff or not",
    Flaw.LEGACY_SESSION_UNCHECKED: "the legacy chat view serves a request without a valid session (none, unknown, "
    "tampered, logged out) as a default staff user, as a development auto-login left on does",
    Flaw.LEGACY_NON_STAFF: "the legacy chat view serves any logged-in active user, staff or not (login_required "
    "where staff_member_required belongs)",
    Flaw.LEGACY_SESSION_SURVIVES_PASSWORD_CHANGE: "legacy sessions survive a password change: the session auth "
    "hash is not checked",
    Flaw.LEGACY_CSRF_EXEMPT: "the legacy login, logout and password change skip the CSRF check (CsrfViewMiddleware "
    "left out)",
    Flaw.WS_TOKEN_UNVERIFIED: "a jwt-mode socket reads its token's claims without checking signature, algorithm "
    "or expiry",
    Flaw.WS_TOKEN_USER_MISMATCH: "a jwt-mode socket admits any valid token as the user its URL names",
    Flaw.WS_DEFAULT_USER: "a url-mode socket without a numeric user_id joins as user 1 (a development default)",
    Flaw.WS_ROOM_ID_OVERFLOW: "the socket takes a player id of any length: past 2**63 SQLite cannot bind it and "
    "the handshake crashes",
    Flaw.CLAIM_TYPE_CRASH: "a signed token whose username / email / role is not a string crashes the JWT tier: "
    "a 500 with the traceback",
    Flaw.BAD_TOKEN_LOCKOUT: "10 refused tokens from one address in 60 s lock that address out of the JWT tier, "
    "the genuine token included",
}


@dataclass(frozen=True, slots=True)
class Switches:
    drifts: frozenset[Drift] = frozenset()
    flaws: frozenset[Flaw] = frozenset()

    @classmethod
    def parse(cls, drifts: Iterable[str] | None = None, flaws: Iterable[str] | None = None) -> Switches:
        """Validate names up front so a typo is a usage error, not a silently clean server."""
        drift_names, flaw_names = list(drifts or []), list(flaws or [])
        unknown = [f"drift {name!r}" for name in drift_names if name not in _DRIFT_VALUES]
        unknown += [f"flaw {name!r}" for name in flaw_names if name not in _FLAW_VALUES]
        if unknown:
            raise ValueError(f"unknown {', '.join(unknown)} (see 'chatmigrate serve --list')")
        return cls(frozenset(map(Drift, drift_names)), frozenset(map(Flaw, flaw_names)))

    def drift(self, name: Drift) -> bool:
        return name in self.drifts

    def flaw(self, name: Flaw) -> bool:
        return name in self.flaws


_DRIFT_VALUES = frozenset(drift.value for drift in Drift)
_FLAW_VALUES = frozenset(flaw.value for flaw in Flaw)


def listing() -> list[str]:
    return [f"drift {name} {text}" for name, text in DRIFTS.items()] + [
        f"flaw {name} {text}" for name, text in FLAWS.items()
    ]
