"""The steps that put a token into the state a lifecycle case probes: a fresh pair, a logout, a rotation,
a deactivation, and what the legacy session does in the same situation.

They run while a case is built (the probe that follows is the request that must then be refused); the
steps several cases share run once, through ``AuditContext.once``. Every token they obtain is remembered
as a secret at once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from chatmigrate.audit.context import AuditContext, LegacySession
from chatmigrate.audit.forge import decode_unverified
from chatmigrate.audit.policy import duration_words
from chatmigrate.audit.probe import Expect, HttpProbe, NotApplicable
from chatmigrate.audit.rules import parse_json
from chatmigrate.audit.target import Principal
from chatmigrate.errors import TransportError
from chatmigrate.vocab import Severity, Tier

NO_LOGIN = NotApplicable("needs a login at the token endpoint (a principal with a password, and the 'new' target)")
NO_DEACTIVATION = NotApplicable(
    "needs a way to deactivate a user: user_admin_path, deactivated_principal and inactive_user_id"
)


@dataclass(frozen=True, slots=True)
class Pair:
    access: str = field(repr=False)
    refresh: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class LoggedOut:
    pair: Pair
    legacy: str
    """What the legacy session did after its own logout, in words."""


async def send(ctx: AuditContext, method: str, url: str, **options: Any) -> httpx.Response:
    try:
        return await ctx.client.request(method, url, timeout=ctx.options.timeout, **options)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise TransportError(f"{method} {url}: {type(error).__name__}: {error}") from None


def token_url(ctx: AuditContext, path: str) -> str:
    return f"{ctx.target.token_url}{path}"


def body_of(response: httpx.Response) -> dict[str, Any]:
    body = parse_json(response.text)
    return body if isinstance(body, dict) else {}


async def obtain_pair(ctx: AuditContext, principal: Principal | None, name: str) -> Pair | NotApplicable:
    if principal is None or ctx.target.token_url is None or Tier.NEW not in ctx.options.tiers:
        return NO_LOGIN
    credentials = {"username": principal.username, "password": principal.password}
    answer = await send(ctx, "POST", token_url(ctx, ctx.target.token_path), json=credentials)
    body = body_of(answer)
    access, refresh = body.get("access"), body.get("refresh")
    if answer.status_code != 200 or not isinstance(access, str) or not isinstance(refresh, str):
        return NotApplicable(f"no token pair for {principal.username!r}: status {answer.status_code}")
    remember_tokens(ctx, name, access, refresh)
    return Pair(access, refresh)


def remember_tokens(ctx: AuditContext, name: str, access: str | None, refresh: str | None) -> None:
    for token, suffix in ((access, ""), (refresh, "_REFRESH")):
        if token:
            ctx.remember(token, f"{name}{suffix}")
            ctx.remember(token.rsplit(".", 1)[-1], f"{name}{suffix}_SIGNATURE")


async def refresh_answer(ctx: AuditContext, refresh: str) -> httpx.Response:
    return await send(ctx, "POST", token_url(ctx, ctx.target.refresh_path), json={"refresh": refresh})


def missing_endpoint(answer: httpx.Response, what: str, path: str, setting: str) -> NotApplicable | None:
    """A 404 or 405 means the target does not route the endpoint: the case does not apply."""
    if answer.status_code in (404, 405):
        return NotApplicable(f"no {what}: {path} answered {answer.status_code} ({setting})")
    if answer.status_code != 200:
        return NotApplicable(f"the {what} at {path} answered {answer.status_code}")
    return None


async def logged_out(ctx: AuditContext) -> LoggedOut | NotApplicable:
    """A fresh pair of the principal, then its refresh token sent to the logout (blacklist) endpoint."""
    pair = await obtain_pair(ctx, ctx.target.principal, "LOGOUT_TOKEN")
    if isinstance(pair, NotApplicable):
        return pair
    path = ctx.target.blacklist_path
    answer = await send(ctx, "POST", token_url(ctx, path), json={"refresh": pair.refresh})
    missing = missing_endpoint(answer, "logout endpoint", path, "simplejwt's TokenBlacklistView is not routed")
    if missing is not None:
        return missing
    return LoggedOut(pair, await legacy_after_logout(ctx))


async def legacy_after_logout(ctx: AuditContext) -> str:
    """Log in to the legacy admin, log out, and try the old session again."""
    principal = ctx.target.principal
    if ctx.target.old_url is None or Tier.OLD not in ctx.options.tiers or principal is None:
        return "no legacy tier was given to compare with"
    session = await ctx.login(principal)
    if session is None:
        return "the legacy login failed, so there is nothing to compare with"
    url = f"{ctx.target.old_url}{ctx.target.logout_path}"
    await ctx.post_form(url, {"csrfmiddlewaretoken": session.csrftoken}, session)
    return await legacy_session_state(ctx, session, "at logout")


async def legacy_session_state(ctx: AuditContext, session: LegacySession, moment: str) -> str:
    answer = await send(ctx, "GET", ctx.chat_url(Tier.OLD), headers={"Cookie": f"sessionid={session.sessionid}"})
    location = urlsplit(answer.headers.get("location", ""))
    if answer.status_code == 302 and location.path == ctx.target.login_path:
        return f"the legacy session stopped working {moment} (302 to the login page)"
    return f"the legacy session still answered {answer.status_code} after it, too"


async def set_active(ctx: AuditContext, active: bool) -> httpx.Response:
    target = ctx.target
    assert target.user_admin_path is not None and ctx.token is not None
    url = token_url(ctx, target.user_admin_path.format(user_id=target.inactive_user_id))
    headers = {"Authorization": f"Bearer {ctx.token}"}
    return await send(ctx, "PATCH", url, json={"is_active": active}, headers=headers)


async def deactivated(ctx: AuditContext) -> Pair | NotApplicable:
    """The deactivated principal's tokens: reactivated for a moment to log in, then deactivated again."""
    target, principal = ctx.target, ctx.target.deactivated_principal
    if principal is None or target.user_admin_path is None or target.inactive_user_id is None:
        return NO_DEACTIVATION
    if ctx.token is None:
        return NO_LOGIN
    ctx.remember(principal.password, "DEACTIVATED_PASSWORD")
    opened = await set_active(ctx, True)
    if opened.status_code != 200:
        return NotApplicable(f"reactivating user {target.inactive_user_id} answered {opened.status_code}")
    try:
        pair = await obtain_pair(ctx, principal, "DEACTIVATED_TOKEN")
    finally:
        closed = await set_active(ctx, False)
    if closed.status_code != 200:
        return NotApplicable(
            f"user {target.inactive_user_id} could not be deactivated again (status {closed.status_code}): "
            "it is active now, deactivate it by hand"
        )
    return pair


def lifetime_in_words(token: str) -> str:
    """How long a token stays valid from now, by its ``exp``: '14 minutes 58 seconds'."""
    try:
        exp = decode_unverified(token).claims.get("exp")
    except ValueError:
        exp = None
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return "until it expires (its exp is unreadable)"
    return f"for another {duration_words(exp - time.time())} (until its exp)"


def token_probe(
    ctx: AuditContext,
    label: str,
    path: str,
    body: dict[str, str],
    *,
    expect: Expect = Expect.TOKEN_REFUSED,
    token: str | None = None,
    breach: Severity = Severity.HIGH,
    **options: Any,
) -> HttpProbe:
    """A POST of JSON to a token endpoint of the JWT API."""
    return HttpProbe(
        label=label,
        method="POST",
        url=token_url(ctx, path),
        expect=expect,
        headers=(("Content-Type", "application/json"),),
        body=json.dumps(body).encode(),
        token=token,
        breach=breach,
        **options,
    )
