"""JWT issue and verification for the JWT tier and the WebSocket's jwt mode.

Every failure raises ``AuthFailure`` with a detail that says which check failed;
nothing a client can put in a header or a token may escape as another exception.
Flaw switches live here because they are bugs *in verification*.
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from chatmigrate.server.config import ServerConfig
from chatmigrate.server.db import Store, User
from chatmigrate.server.seed import STAFF_ROLES
from chatmigrate.vocab import Flaw

ALGORITHM = "HS256"
ACCESS, REFRESH = "access", "refresh"
LEEWAY_SECONDS = 10
ISSUER = "https://chat.example"
AUDIENCE = "chat-admin-api"
"""The ``iss`` and ``aud`` this server accepts. Its own tokens carry neither (as simplejwt's by default), so each
is checked only when a token has it: exactly, or for ``aud`` as one item of a list (RFC 7519 §4.1.3)."""
LONG_ACCESS_TTL = 30 * 86_400
MAX_TOKEN_LENGTH = 8192
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_HEADER_SHAPE = re.compile(r"([A-Za-z]+)[ \t]+(\S+)")


class AuthFailure(Exception):
    def __init__(self, detail: str, status: int = 401, token: str | None = None) -> None:
        super().__init__(detail)
        self.detail, self.status, self.token = detail, status, token


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    claims: dict[str, Any]


def issue_access(user: User, config: ServerConfig) -> str:
    ttl = LONG_ACCESS_TTL if config.switches.flaw(Flaw.LONG_LIVED_ACCESS) else config.access_ttl
    return jwt.encode(_claims(user, ttl, ACCESS), config.jwt_secret, algorithm=ALGORITHM)


def issue_refresh(user: User, config: ServerConfig) -> str:
    return jwt.encode(_claims(user, config.refresh_ttl, REFRESH), config.jwt_secret, algorithm=ALGORITHM)


def _claims(user: User, ttl: int, token_type: str) -> dict[str, Any]:
    """simplejwt's claims (``token_type``, ``exp``, ``iat``, ``jti``, ``user_id``) plus the documented profile
    claims; only ``token_type`` and ``exp`` tell an access token from a refresh token."""
    issued = int(time.time())
    return {
        "token_type": token_type,
        "user_id": user.id,
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "exp": issued + ttl,
        "iat": issued,
        "jti": secrets.token_hex(16),
    }


def token_from_headers(values: list[str], config: ServerConfig) -> tuple[str, bool]:
    """Apply the documented header policy; returns the token and whether signature checks are skipped."""
    if not values:
        raise AuthFailure("Authentication credentials were not provided")
    if len(values) > 1:
        raise AuthFailure("Multiple Authorization headers")
    match = _HEADER_SHAPE.fullmatch(values[0])
    if match is None:
        raise AuthFailure("Malformed Authorization header")
    scheme, token = match.groups()
    if scheme.lower() != "bearer":
        raise AuthFailure("Unsupported authorization scheme")
    skip_signature = scheme == "bearer" and config.switches.flaw(Flaw.LOWERCASE_BEARER)
    return token, skip_signature


def authenticate(
    token: str,
    store: Store,
    config: ServerConfig,
    *,
    skip_signature: bool = False,
    refresh: bool = False,
    unverified: bool = False,
) -> Principal:
    """Verify a token and load its active user; ``refresh`` selects which token type is wanted. ``unverified``
    is the ws-token-unverified flaw: the claims are read as PyJWT reads them without a key, so neither the
    signature, nor the algorithm, nor the expiry is checked; the user still is."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthFailure("Token too long", token=token)
    if not _TOKEN_SHAPE.fullmatch(token):
        raise AuthFailure("Malformed token", token=token)
    try:
        claims = (
            _JWT.decode(token, options={"verify_signature": False})
            if unverified
            else _decode(token, config, skip_signature)
        )
    except AuthFailure:
        raise
    except jwt.ExpiredSignatureError:
        raise AuthFailure("Token has expired", token=token) from None
    except jwt.ImmatureSignatureError:
        raise AuthFailure("Token is not yet valid", token=token) from None
    except jwt.InvalidSignatureError:
        raise AuthFailure("Invalid token signature", token=token) from None
    except Exception:  # any other decode problem, including overflowing time claims, is a bad token
        raise AuthFailure("Token is invalid", token=token) from None
    _check_type(claims, token, config, refresh)
    user_id = claims.get("user_id")
    if type(user_id) is not int or user_id < 1:
        raise AuthFailure("Token has no valid user_id claim", token=token)
    user = store.user_by_id(user_id) if user_id < 2**62 else None
    if user is None:
        raise AuthFailure("User not found", token=token)
    if not user.is_active and not config.switches.flaw(
        Flaw.REFRESH_AFTER_DEACTIVATION if refresh else Flaw.ACCESS_AFTER_DEACTIVATION
    ):
        raise AuthFailure("User is inactive", token=token)
    if refresh and store.is_blacklisted(claims["jti"]):
        raise AuthFailure("Token is blacklisted", token=token)
    return Principal(user, claims)


def _check_type(claims: dict[str, Any], token: str, config: ServerConfig, refresh: bool) -> None:
    """simplejwt's ``token_type`` check. A token without one counts as an access token, so that tokens minted
    with the documented claims (``chatmigrate.auth.mint_token``) keep working; a refresh token needs its ``jti``."""
    token_type = claims.get("token_type", ACCESS)
    if refresh:
        if token_type != REFRESH:
            raise AuthFailure("Access token used as refresh token", token=token)
        if not isinstance(claims.get("jti"), str) or not claims["jti"]:
            raise AuthFailure("Token has no id", token=token)
    elif token_type == REFRESH and not config.switches.flaw(Flaw.REFRESH_AS_ACCESS):
        raise AuthFailure("Refresh token used as access token", token=token)
    elif token_type not in (ACCESS, REFRESH):
        raise AuthFailure("Token has wrong type", token=token)


def require_staff(principal: Principal, config: ServerConfig) -> None:
    flaw = config.switches.flaw
    if principal.user.role in STAFF_ROLES or flaw(Flaw.ROLE_BYPASS):
        return
    if flaw(Flaw.TOKEN_PRIVILEGE_CLAIMS) and _claims_grant_staff(principal.claims):
        return
    raise AuthFailure(f"Role '{principal.user.role}' may not use the chat admin API", status=403)


def _claims_grant_staff(claims: dict[str, Any]) -> bool:
    """The token-privilege-claims flaw: rights read from claims a token may carry, not from the user table."""
    scope, groups = claims.get("scope"), claims.get("groups")
    return (
        claims.get("is_staff") is True
        or claims.get("is_superuser") is True
        or (isinstance(claims.get("role"), str) and claims.get("role") in STAFF_ROLES)
        or (isinstance(scope, str) and "admin" in scope.split())
        or (isinstance(groups, list) and "admin" in groups)
    )


def _decode(token: str, config: ServerConfig, skip_signature: bool) -> dict[str, Any]:
    header = _unverified_header(token)
    flaws = config.switches
    alg = header.get("alg", "")
    listed = flaws.flaw(Flaw.ALG_LIST) and isinstance(alg, list) and bool(alg)
    alg = alg[0] if listed else alg
    checked = _header_first_wins(token).get("alg") if flaws.flaw(Flaw.DUPLICATE_HEADER_PARAMS) else alg
    if (str(alg).lower() == "none" and (listed or checked == ALGORITHM or flaws.flaw(Flaw.ALG_NONE))) or (
        alg in ("RS256", "ES256") and flaws.flaw(Flaw.ASYMMETRIC_ALG_UNVERIFIED)
    ):
        skip_signature = True
    elif alg != ALGORITHM:
        raise AuthFailure("Unsupported token algorithm", token=token)
    if "crit" in header:
        raise AuthFailure("Unsupported critical header", token=token)
    verify_signature = not (skip_signature or flaws.flaw(Flaw.SKIP_SIGNATURE))
    verify_exp = not flaws.flaw(Flaw.ACCEPT_EXPIRED)
    options: jwt.types.Options = {
        "verify_signature": verify_signature,
        "verify_exp": verify_exp,
        "verify_iat": True,
        "verify_nbf": True,
        "verify_aud": False,
        "require": ["exp", "iat", "user_id"],
    }
    reader = _FIRST_WINS if flaws.flaw(Flaw.DUPLICATE_CLAIMS_FIRST_WINS) else _JWT
    claims: dict[str, Any] = reader.decode(
        token, config.jwt_secret, algorithms=[ALGORITHM], options=options, leeway=LEEWAY_SECONDS
    )
    _check_numeric_times(claims, token)
    _check_issuer_audience(claims, token, substring=flaws.flaw(Flaw.CLAIM_SUBSTRING_MATCH))
    return claims


def _keep_first(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, value in pairs:
        kept.setdefault(name, value)
    return kept


class _FirstWinsJWT(jwt.PyJWT):
    """The duplicate-claims-first-wins flaw: a payload read keeping the first of duplicate names."""

    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        payload = json.loads(decoded["payload"], object_pairs_hook=_keep_first)
        if not isinstance(payload, dict):
            raise jwt.DecodeError("Invalid payload string: must be a json object")
        return payload


_JWT, _FIRST_WINS = jwt.PyJWT(), _FirstWinsJWT()


def _check_issuer_audience(claims: dict[str, Any], token: str, *, substring: bool) -> None:
    """``iss`` exactly ``ISSUER``; ``aud`` exactly ``AUDIENCE`` or a list holding it. The claim-substring-match
    flaw compares as text either way, as ``expected in claim`` code does."""

    def matches(value: object, expected: str) -> bool:
        if substring:
            text = value if isinstance(value, str) else json.dumps(value)
            return expected in text or (isinstance(value, str) and value in expected)
        return value == expected or (expected == AUDIENCE and isinstance(value, list) and expected in value)

    if "iss" in claims and not matches(claims["iss"], ISSUER):
        raise AuthFailure("Invalid issuer", token=token)
    if claims.get("aud") and not matches(claims["aud"], AUDIENCE):
        raise AuthFailure("Invalid audience", token=token)


def _unverified_header(token: str) -> dict[str, Any]:
    return _header(token, None)


def _header_first_wins(token: str) -> dict[str, Any]:
    """How the duplicate-header-params flaw's allow-list reads the header: the first of duplicate names."""
    return _header(token, _keep_first)


def _header(token: str, pairs: Callable[[list[tuple[str, Any]]], dict[str, Any]] | None) -> dict[str, Any]:
    segment = token.split(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)), object_pairs_hook=pairs)
    except Exception:
        raise AuthFailure("Malformed token header", token=token) from None
    if not isinstance(header, dict):
        raise AuthFailure("Malformed token header", token=token)
    return header


def _finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_numeric_times(claims: dict[str, Any], token: str) -> None:
    """PyJWT truncates with ``int()`` and skips ``exp`` when it is not verified (accept-expired):
    the documented policy wants finite numbers whatever is verified."""
    for name in ("exp", "iat", "nbf"):
        if name in claims and not _finite_number(claims[name]):
            raise AuthFailure(f"Claim '{name}' must be a number", token=token)
