"""Token lifecycle: what becomes of tokens over time, against what a simplejwt deployment promises.

A refresh token used as an access token and the reverse; refresh after logout, password change and
deactivation; reuse of a rotated refresh token; access tokens after logout and deactivation; and the
token endpoint itself (user enumeration, throttling, ``Cache-Control: no-store``, the Bearer challenge).
A stateless access token that outlives a logout is the documented gap of JWTs: it is reported as info,
with its remaining lifetime in words and what the legacy session does in the same situation.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.password_change import password_change
from chatmigrate.audit.catalogue.token_steps import (
    LoggedOut,
    Pair,
    body_of,
    deactivated,
    legacy_session_state,
    lifetime_in_words,
    logged_out,
    missing_endpoint,
    obtain_pair,
    refresh_answer,
    remember_tokens,
    send,
    token_probe,
    token_url,
)
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.forge import decode_unverified
from chatmigrate.audit.policy import duration_words
from chatmigrate.audit.probe import Concern, Expect, HeaderDemand, HttpObservation, Inspector, NotApplicable, Probe
from chatmigrate.audit.rules import answer_text, parse_json
from chatmigrate.vocab import FindingKind, Severity, Tier

cases = Cases(Group.LIFECYCLE)
NEW_ONLY = (Tier.NEW,)
BAD_LOGINS = 20
"""The most failed logins the throttle case sends: enough for any sane limit, never a flood."""


def _declared(promised: bool) -> Severity:
    """A policy the target declares fails at medium; an undeclared one is an info note."""
    return Severity.MEDIUM if promised else Severity.INFO


async def _pair(ctx: AuditContext) -> Pair | NotApplicable:
    return await ctx.once("lifecycle-pair", lambda: obtain_pair(ctx, ctx.target.principal, "LIFECYCLE_TOKEN"))


async def _logged_out(ctx: AuditContext) -> LoggedOut | NotApplicable:
    return await ctx.once("lifecycle-logout", lambda: logged_out(ctx))


async def _deactivated(ctx: AuditContext) -> Pair | NotApplicable:
    return await ctx.once("lifecycle-deactivation", lambda: deactivated(ctx))


def _refresh_probe(ctx: AuditContext, label: str, token: str, gap: str | None = None) -> Probe:
    return token_probe(ctx, label, ctx.target.refresh_path, {"refresh": token}, token=token, gap=gap)


@cases.case(
    id="life-token-type-confusion",
    tiers=JWT_TIERS,
    description="a refresh token presented as an access token, and an access token presented for refresh",
    sends="Bearer <refresh token> on the chat API; {refresh: <access token>} to the refresh endpoint",
    expects="401 both ways (refresh tokens only refresh, access tokens only access)",
    tags=(std.RFC8725_EXPLICIT_TYPING, std.RFC8725_SUBSTITUTION, std.WSTG_JWT, std.API_BROKEN_AUTH),
)
async def _type_confusion(ctx: AuditContext, tier: Tier) -> Built:
    pair = await _pair(ctx)
    if isinstance(pair, NotApplicable):
        return pair
    probes: list[Probe] = [ctx.bearer(tier, "refresh token as access token", pair.refresh, breach=Severity.HIGH)]
    if tier is Tier.NEW:
        probes.append(_refresh_probe(ctx, "access token as refresh token", pair.access))
    return probes


@cases.case(
    id="life-refresh-after-logout",
    tiers=NEW_ONLY,
    description="a refresh token used again after logout",
    sends="{refresh} to the logout (blacklist) endpoint, then the same token to the refresh endpoint",
    expects=Expect.TOKEN_REFUSED,
    tags=(std.RFC6749_REFRESH_TOKENS, std.WSTG_LOGOUT, std.API_BROKEN_AUTH, std.CWE_SESSION_EXPIRATION),
)
async def _refresh_after_logout(ctx: AuditContext, tier: Tier) -> Built:
    done = await _logged_out(ctx)
    if isinstance(done, NotApplicable):
        return done
    return [_refresh_probe(ctx, "refresh token after logout", done.pair.refresh)]


@cases.case(
    id="life-access-after-logout",
    tiers=JWT_TIERS,
    description="an access token used after its user logged out",
    sends="the access token of a pair whose refresh token was just blacklisted",
    expects="401; stock simplejwt accepts it until exp: the gap is reported as info with its remaining lifetime",
    tags=(std.WSTG_LOGOUT, std.CWE_SESSION_EXPIRATION, std.RFC6749_REFRESH_TOKENS, std.API_BROKEN_AUTH),
)
async def _access_after_logout(ctx: AuditContext, tier: Tier) -> Built:
    done = await _logged_out(ctx)
    if isinstance(done, NotApplicable):
        return done
    gap = (
        f"a stateless access token outlives logout: it stays valid {lifetime_in_words(done.pair.access)}, "
        f"while {done.legacy}"
    )
    return [replace(ctx.bearer(tier, "access token after logout", done.pair.access), gap=gap)]


@cases.case(
    id="life-refresh-after-password-change",
    tiers=NEW_ONLY,
    description="a refresh token from before a password change",
    sends="the spare principal's refresh token after its password was set again (to the same value)",
    expects="401 where the target declares revocation; otherwise its acceptance is an info gap",
    tags=(std.RFC6749_REFRESH_TOKENS, std.WSTG_PASSWORD_CHANGE, std.CWE_SESSION_EXPIRATION),
)
async def _refresh_after_change(ctx: AuditContext, tier: Tier) -> Built:
    first = await ctx.once("password-change", lambda: password_change(ctx))
    if isinstance(first, NotApplicable):
        return first
    pair = await obtain_pair(ctx, ctx.target.spare_principal, "SPARE_TOKEN")
    if isinstance(pair, NotApplicable):
        return pair
    change = await password_change(ctx)
    if isinstance(change, NotApplicable):
        return change
    if ctx.target.revocation:
        return [_refresh_probe(ctx, "refresh token before change", pair.refresh)]
    legacy = await legacy_session_state(ctx, change.session_before, "at the change")
    gap = (
        f"without revocation the refresh token survives a password change: it stays usable "
        f"{lifetime_in_words(pair.refresh)}, while {legacy}"
    )
    return [_refresh_probe(ctx, "refresh token before change", pair.refresh, gap=gap)]


@cases.case(
    id="life-refresh-after-deactivation",
    tiers=NEW_ONLY,
    description="a refresh token of a user deactivated since",
    sends="the deactivated principal's refresh token, obtained while it was briefly active",
    expects=Expect.TOKEN_REFUSED,
    tags=(std.RFC6749_REFRESH_TOKENS, std.WSTG_SESSION_TIMEOUT, std.API_BROKEN_AUTH, std.CWE_SESSION_EXPIRATION),
    last=True,
)
async def _refresh_after_deactivation(ctx: AuditContext, tier: Tier) -> Built:
    pair = await _deactivated(ctx)
    if isinstance(pair, NotApplicable):
        return pair
    return [_refresh_probe(ctx, "refresh token after deactivation", pair.refresh)]


@cases.case(
    id="life-access-after-deactivation",
    tiers=JWT_TIERS,
    description="an access token of a user deactivated since",
    sends="the deactivated principal's access token, obtained while it was briefly active",
    expects="401 envelope (simplejwt checks is_active on every request)",
    tags=(std.WSTG_SESSION_TIMEOUT, std.API_BROKEN_AUTH, std.CWE_SESSION_EXPIRATION, std.CWE_AUTHENTICATION),
    last=True,
)
async def _access_after_deactivation(ctx: AuditContext, tier: Tier) -> Built:
    pair = await _deactivated(ctx)
    if isinstance(pair, NotApplicable):
        return pair
    return [ctx.bearer(tier, "access token after deactivation", pair.access, breach=Severity.HIGH)]


@cases.case(
    id="life-rotated-refresh-reuse",
    tiers=NEW_ONLY,
    description="a refresh token used again after it was rotated",
    sends="a refresh token exchanged once (the answer carried a new one), then sent again",
    expects="401 where the target declares blacklist_after_rotation; otherwise its acceptance is an info gap",
    tags=(std.RFC6749_REFRESH_TOKENS, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_SESSION_EXPIRATION),
)
async def _rotated_reuse(ctx: AuditContext, tier: Tier) -> Built:
    pair = await obtain_pair(ctx, ctx.target.principal, "ROTATED_TOKEN")
    if isinstance(pair, NotApplicable):
        return pair
    answer = await refresh_answer(ctx, pair.refresh)
    missing = missing_endpoint(answer, "refresh endpoint", ctx.target.refresh_path, "TokenRefreshView is not routed")
    if missing is not None:
        return missing
    successor = body_of(answer).get("refresh")
    if not isinstance(successor, str):
        return NotApplicable("the target does not rotate refresh tokens (simplejwt's ROTATE_REFRESH_TOKENS is off)")
    remember_tokens(ctx, "ROTATED_TOKEN", body_of(answer).get("access"), successor)
    if ctx.options.policy.blacklist_after_rotation:
        return [_refresh_probe(ctx, "rotated refresh token", pair.refresh)]
    gap = (
        f"rotation without blacklisting: the rotated refresh token stays usable {lifetime_in_words(pair.refresh)} "
        "(simplejwt's BLACKLIST_AFTER_ROTATION is off)"
    )
    return [_refresh_probe(ctx, "rotated refresh token", pair.refresh, gap=gap)]


@cases.case(
    id="life-token-enumeration",
    tiers=NEW_ONLY,
    description="the token endpoint tells an unknown user from a wrong password",
    sends="a random unknown username, then the principal's username with a wrong password",
    expects="the same status and body for both",
    tags=(std.WSTG_ACCOUNT_ENUMERATION, std.CWE_RESPONSE_DISCREPANCY, std.API_BROKEN_AUTH),
)
async def _enumeration(ctx: AuditContext, tier: Tier) -> Built:
    principal = ctx.target.principal
    if principal is None or ctx.target.token_url is None:
        return NotApplicable("needs the principal's username and the token endpoint")
    path, wrong = ctx.target.token_path, "x" + secrets.token_hex(12)
    unknown = await send(
        ctx, "POST", token_url(ctx, path), json={"username": f"nobody-{secrets.token_hex(6)}", "password": wrong}
    )
    same_as = answer_text(unknown.status_code, unknown.text)
    body = {"username": principal.username, "password": wrong}
    return [token_probe(ctx, "wrong password", path, body, breach=Severity.CRITICAL, same_as=same_as)]


@cases.case(
    id="life-login-throttle",
    tiers=NEW_ONLY,
    description=f"{BAD_LOGINS} failed logins in a row at the token endpoint",
    sends=f"up to {BAD_LOGINS} logins of one random unknown username with wrong passwords, one at a time",
    expects="429 (throttled) or 403 (locked) by the last; without a declared login_throttle a miss is an info note",
    tags=(std.RFC6749_ONLINE_GUESSING, std.WSTG_LOCKOUT, std.CWE_AUTH_ATTEMPTS, std.API_BROKEN_AUTH),
    last=True,
)
async def _throttle(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.target.token_url is None:
        return NotApplicable("needs the token endpoint (the 'new' target)")
    path = ctx.target.token_path
    body = {"username": f"chatmigrate-throttle-{secrets.token_hex(6)}", "password": "x" + secrets.token_hex(12)}
    for _ in range(BAD_LOGINS - 1):
        if (await send(ctx, "POST", token_url(ctx, path), json=body)).status_code in (403, 429):
            break
    breach = _declared(ctx.options.policy.login_throttle)
    return [token_probe(ctx, f"login {BAD_LOGINS}", path, body, expect=Expect.THROTTLED, breach=breach)]


@cases.case(
    id="life-token-no-store",
    tiers=NEW_ONLY,
    description="a token answer that a cache may keep",
    sends="a valid login at the token endpoint",
    expects="200 with Cache-Control: no-store; without a declared token_no_store a miss is an info note",
    tags=(std.RFC6749_TOKEN_RESPONSE, std.RFC9111_NO_STORE, std.WSTG_BROWSER_CACHE, std.CWE_CACHED_SECRETS),
)
async def _no_store(ctx: AuditContext, tier: Tier) -> Built:
    principal = ctx.target.principal
    if principal is None or ctx.target.token_url is None:
        return NotApplicable("needs a login at the token endpoint")
    demand = HeaderDemand("Cache-Control", "no-store", 200, _declared(ctx.options.policy.token_no_store))
    body = {"username": principal.username, "password": principal.password}
    return [token_probe(ctx, "valid login", ctx.target.token_path, body, expect=Expect.TOKEN_ISSUED, demand=demand)]


@cases.case(
    id="life-www-authenticate",
    tiers=NEW_ONLY,
    description="a 401 without the WWW-Authenticate: Bearer challenge",
    sends="the chat API without a credential, and with a malformed token",
    expects='401 envelope with WWW-Authenticate: Bearer … (simplejwt sends Bearer realm="api")',
    tags=(std.RFC6750_CHALLENGE, std.RFC7235_401, std.API_MISCONFIGURATION),
)
async def _www_authenticate(ctx: AuditContext, tier: Tier) -> Built:
    demand = HeaderDemand("WWW-Authenticate", "Bearer", 401, Severity.LOW)
    probes = [ctx.request(tier, "no credential"), ctx.bearer(tier, "malformed token", "not-a-jwt")]
    return [replace(probe, demand=demand) for probe in probes]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def lifetime_inspector(limit: float) -> Inspector:
    """The issued access token's lifetime (``exp - iat``, or from now without an ``iat``) against ``limit``."""

    def inspect(seen: HttpObservation) -> list[Concern]:
        body = parse_json(seen.text)
        access = body.get("access") if isinstance(body, dict) else None
        if not isinstance(access, str):
            return []  # no token issued: the TOKEN_ISSUED rule reports it
        try:
            claims = decode_unverified(access).claims
        except ValueError:
            return [(Severity.LOW, FindingKind.NEEDS_REVIEW, "the issued access token is not a readable JWT")]
        exp = _number(claims.get("exp"))
        if exp is None:
            return [(Severity.HIGH, FindingKind.LONG_LIVED_TOKEN, "the issued access token has no exp: it never ends")]
        lifetime = exp - (_number(claims.get("iat")) or time.time())
        if lifetime <= limit:
            return []
        message = (
            f"access tokens live {duration_words(lifetime)}, beyond the declared max_access_lifetime of "
            f"{duration_words(limit)}: a stolen one stays usable that long"
        )
        return [(Severity.MEDIUM, FindingKind.LONG_LIVED_TOKEN, message)]

    return inspect


@cases.case(
    id="life-access-lifetime",
    tiers=NEW_ONLY,
    description="an access token that lives longer than the declared maximum",
    sends="a valid login at the token endpoint; the issued access token's exp - iat",
    expects="at most max_access_lifetime (default 1 day; simplejwt issues 5 minutes); no exp at all is high",
    tags=(
        std.RFC7519_EXP,
        std.WSTG_SESSION_TIMEOUT,
        std.WSTG_JWT,
        std.API_BROKEN_AUTH,
        std.CWE_SESSION_EXPIRATION,
    ),
)
async def _access_lifetime(ctx: AuditContext, tier: Tier) -> Built:
    principal = ctx.target.principal
    if principal is None or ctx.target.token_url is None:
        return NotApplicable("needs a login at the token endpoint")
    body = {"username": principal.username, "password": principal.password}
    inspect = lifetime_inspector(ctx.options.policy.max_access_lifetime)
    return [token_probe(ctx, "valid login", ctx.target.token_path, body, expect=Expect.TOKEN_ISSUED, inspect=inspect)]
