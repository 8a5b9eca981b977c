"""Legacy session and CSRF: the Django admin's login redirect and CSRF refusals."""

from __future__ import annotations

import secrets
import string
from urllib.parse import quote, urlsplit

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import EVIL_ORIGIN, NO_FORBIDDEN, NO_SESSION, NO_TOKEN
from chatmigrate.audit.catalogue.password_change import password_change
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Expect, HttpProbe, NotApplicable
from chatmigrate.vocab import Severity, Tier

cases = Cases(Group.LEGACY)
NOT_A_PASSWORD = "x" + secrets.token_hex(12)
"""Random, so that no real secret can be a substring of it (a reproducer would then show where)."""


def _session_probe(
    ctx: AuditContext,
    label: str,
    cookie: str | None,
    *,
    breach: Severity = Severity.CRITICAL,
    headers: tuple[tuple[str, str], ...] = (),
    token: str | None = None,
) -> HttpProbe:
    all_headers = ((("Cookie", cookie),) if cookie else ()) + headers
    return HttpProbe(
        label=label,
        method="GET",
        url=ctx.chat_url(Tier.OLD),
        expect=Expect.LOGIN_REDIRECT,
        headers=all_headers,
        breach=breach,
        token=token,
    )


@cases.case(
    id="legacy-no-cookie",
    tiers=(Tier.OLD,),
    description="the legacy chat view with no cookie",
    sends="GET /admin/chat/ without cookies",
    expects=Expect.LOGIN_REDIRECT,
    tags=(std.WSTG_AUTH_BYPASS, std.WSTG_SESSION_SCHEMA, std.CWE_MISSING_AUTHENTICATION),
    ref="catalogue #44",
)
async def _legacy_no_cookie(ctx: AuditContext, tier: Tier) -> Built:
    return [_session_probe(ctx, "no cookie", None)]


@cases.case(
    id="legacy-tampered-session",
    tiers=(Tier.OLD,),
    description="a tampered, random, oversized or SQL sessionid",
    sends="sessionid with one character changed / 32 random / 200 random / ' OR '1'='1",
    expects=Expect.LOGIN_REDIRECT,
    tags=(std.WSTG_SESSION_SCHEMA, std.WSTG_ERROR_HANDLING, std.CWE_AUTHENTICATION, std.CWE_SQL_INJECTION),
    ref="catalogue #45",
)
async def _legacy_tampered(ctx: AuditContext, tier: Tier) -> Built:
    alphabet = string.ascii_lowercase + string.digits
    values = [
        ("random", "".join(secrets.choice(alphabet) for _ in range(32))),
        ("oversized", "".join(secrets.choice(alphabet) for _ in range(200))),
        ("SQL", quote("' OR '1'='1")),
    ]
    if ctx.session is not None:
        real = ctx.session.sessionid
        tampered = real[:-1] + ("a" if real[-1] != "a" else "b")
        ctx.remember(tampered, "TAMPERED_SESSIONID")
        values.insert(0, ("one character changed", tampered))
    return [_session_probe(ctx, label, f"sessionid={value}") for label, value in values]


@cases.case(
    id="legacy-deleted-session",
    tiers=(Tier.OLD,),
    description="a session that was logged out",
    sends="log in, POST /admin/logout/, reuse the old sessionid",
    expects=Expect.LOGIN_REDIRECT,
    tags=(std.WSTG_LOGOUT, std.CWE_SESSION_EXPIRATION),
    ref="catalogue #46",
)
async def _legacy_deleted(ctx: AuditContext, tier: Tier) -> Built:
    session = await ctx.login(ctx.target.principal) if ctx.target.principal else None
    if session is None:
        return NO_SESSION
    url = f"{ctx.target.old_url}{ctx.target.logout_path}"
    answer = await ctx.post_form(url, {"csrfmiddlewaretoken": session.csrftoken}, session)
    if answer.status_code >= 400:
        return NotApplicable(f"logout at {ctx.target.logout_path} answered {answer.status_code}")
    return [_session_probe(ctx, "after logout", f"sessionid={session.sessionid}")]


@cases.case(
    id="legacy-non-staff-session",
    tiers=(Tier.OLD,),
    description="the session of a valid user who is not staff",
    sends="log in as the non-staff principal (admin and site login), GET /admin/chat/",
    expects=Expect.LOGIN_REDIRECT,
    tags=(std.WSTG_AUTHZ_BYPASS, std.API_BFLA, std.CWE_AUTHORIZATION),
    ref="catalogue #47",
)
async def _legacy_non_staff(ctx: AuditContext, tier: Tier) -> Built:
    """Django's admin login refuses non-staff users; without a session this would only repeat the no-cookie case."""
    principal = ctx.target.forbidden_principal
    if principal is None:
        return NO_FORBIDDEN
    probes = []
    for label, path in (("admin login", None), ("site login", ctx.target.site_login_path)):
        if label == "site login" and path is None:
            continue
        session = await ctx.login(principal, path)
        if session is not None:
            probes.append(_session_probe(ctx, f"non-staff via {label}", f"sessionid={session.sessionid}"))
    return probes or NotApplicable(
        "no login gave the non-staff principal a session (the admin login refuses non-staff users; "
        "set site_login_path to a login view that accepts any active user)"
    )


@cases.case(
    id="legacy-session-before-password-change",
    tiers=(Tier.OLD,),
    description="a session created before a password change",
    sends="the spare principal's earlier session after its password was set again",
    expects=Expect.LOGIN_REDIRECT,
    tags=(std.WSTG_PASSWORD_CHANGE, std.WSTG_SESSION_TIMEOUT, std.CWE_SESSION_EXPIRATION),
    ref="catalogue #48",
)
async def _legacy_before_change(ctx: AuditContext, tier: Tier) -> Built:
    change = await ctx.once("password-change", lambda: password_change(ctx))
    if isinstance(change, NotApplicable):
        return change
    return [_session_probe(ctx, "stale session", f"sessionid={change.session_before.sessionid}")]


def _csrf_probe(
    ctx: AuditContext,
    label: str,
    reason: str,
    *,
    cookie: str | None,
    token: str | None,
    headers: tuple[tuple[str, str], ...] = (),
) -> HttpProbe:
    """A login POST whose only defect is the CSRF one; a wrong password, since the CSRF check comes first."""
    form = {"username": ctx.username, "password": NOT_A_PASSWORD, "next": ctx.target.old_chat_path}
    if token is not None:
        form["csrfmiddlewaretoken"] = token
    body = "&".join(f"{quote(key)}={quote(value, safe='')}" for key, value in form.items())
    all_headers = (
        ("Content-Type", "application/x-www-form-urlencoded"),
        *((("Cookie", f"csrftoken={cookie}"),) if cookie is not None else ()),
        *headers,
    )
    return HttpProbe(
        label=label,
        method="POST",
        url=f"{ctx.target.old_url}{ctx.target.login_path}",
        expect=Expect.CSRF_REJECTED,
        headers=all_headers,
        body=body.encode(),
        reason=reason if ctx.options.policy.csrf_failure_reason else None,
        breach=Severity.HIGH,
    )


def _referer(ctx: AuditContext) -> tuple[tuple[str, str], ...]:
    return (("Referer", f"{ctx.target.old_url}{ctx.target.login_path}"),)


@cases.case(
    id="legacy-csrf-cookie-missing",
    tiers=(Tier.OLD,),
    description="a login POST without the csrftoken cookie",
    sends="POST /admin/login/ with the form token but no cookie",
    expects="403; with the policy csrf_failure_reason, the page says 'CSRF cookie not set.'",
    tags=(std.WSTG_CSRF, std.CWE_CSRF),
    ref="catalogue #49",
)
async def _csrf_cookie_missing(ctx: AuditContext, tier: Tier) -> Built:
    _cookie, token = await ctx.csrf_form()
    return [_csrf_probe(ctx, "no cookie", "CSRF cookie not set.", cookie=None, token=token, headers=_referer(ctx))]


@cases.case(
    id="legacy-csrf-token-missing",
    tiers=(Tier.OLD,),
    description="a login POST with the cookie but no token",
    sends="POST /admin/login/ with csrftoken cookie, no csrfmiddlewaretoken, no X-CSRFToken",
    expects="403; with the policy csrf_failure_reason, the page says 'CSRF token missing.'",
    tags=(std.WSTG_CSRF, std.CWE_CSRF),
    ref="catalogue #50",
)
async def _csrf_token_missing(ctx: AuditContext, tier: Tier) -> Built:
    cookie, _token = await ctx.csrf_form()
    return [_csrf_probe(ctx, "no token", "CSRF token missing.", cookie=cookie, token=None, headers=_referer(ctx))]


@cases.case(
    id="legacy-csrf-token-malformed",
    tiers=(Tier.OLD,),
    description="a CSRF token of the wrong length, bad characters, or wrong",
    sends="csrfmiddlewaretoken 'abc' / 64 chars with '!' / a well-formed token for another secret",
    expects="403; with the policy csrf_failure_reason, the page gives Django's matching reason",
    tags=(std.WSTG_CSRF, std.CWE_CSRF),
    ref="catalogue #51",
)
async def _csrf_malformed(ctx: AuditContext, tier: Tier) -> Built:
    cookie, _token = await ctx.csrf_form()
    other = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(64))
    cases = (
        ("wrong length", "abc", "CSRF token from POST has incorrect length."),
        ("invalid characters", "!" * 64, "CSRF token from POST has invalid characters."),
        ("incorrect", other, "CSRF token from POST incorrect."),
    )
    return [
        _csrf_probe(ctx, label, reason, cookie=cookie, token=value, headers=_referer(ctx))
        for label, value, reason in cases
    ]


@cases.case(
    id="legacy-csrf-bad-origin",
    tiers=(Tier.OLD,),
    description="a foreign Origin, or no Referer on a secure request",
    sends="Origin: https://evil.example / no Referer over https (or with X-Forwarded-Proto: https where the "
    "policy forwarded_proto_https says the site honours it)",
    expects="403; with the policy csrf_failure_reason, 'Origin checking failed - …' / "
    "'Referer checking failed - no Referer.'",
    tags=(std.WSTG_CSRF, std.CWE_CSRF, std.CWE_ORIGIN_VALIDATION),
    ref="catalogue #52",
)
async def _csrf_origin(ctx: AuditContext, tier: Tier) -> Built:
    """Django checks the Referer on secure requests only: over plain http the no-Referer probe is sent only
    where the site takes ``X-Forwarded-Proto: https`` as secure (Django's SECURE_PROXY_SSL_HEADER)."""
    cookie, token = await ctx.csrf_form()
    probes = [
        _csrf_probe(
            ctx,
            "foreign Origin",
            f"Origin checking failed - {EVIL_ORIGIN} does not match any trusted origins.",
            cookie=cookie,
            token=token,
            headers=(("Origin", EVIL_ORIGIN),),
        )
    ]
    secure = urlsplit(ctx.target.old_url or "").scheme == "https"
    if secure or ctx.options.policy.forwarded_proto_https:
        probes.append(
            _csrf_probe(
                ctx,
                "secure, no Referer",
                "Referer checking failed - no Referer.",
                cookie=cookie,
                token=token,
                headers=() if secure else (("X-Forwarded-Proto", "https"),),
            )
        )
    return probes


@cases.case(
    id="legacy-sessionid-on-jwt-tier",
    tiers=JWT_TIERS,
    description="a valid session cookie sent to the JWT tier",
    sends="Cookie: sessionid=<valid>; csrftoken=… and no Authorization",
    expects=Expect.REFUSED,
    tags=(
        std.RFC6750_HEADER,
        std.WSTG_CSRF,
        std.WSTG_AUTH_BYPASS,
        std.API_BROKEN_AUTH,
        std.CWE_CSRF,
        std.CWE_AUTHENTICATION,
    ),
    ref="catalogue #53",
)
async def _session_on_jwt(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.session is None:
        return NO_SESSION
    cookie = f"sessionid={ctx.session.sessionid}; csrftoken={ctx.session.csrftoken}"
    return [ctx.request(tier, "session cookie", (("Cookie", cookie),))]


@cases.case(
    id="legacy-jwt-on-legacy-tier",
    tiers=(Tier.OLD,),
    description="a valid JWT sent to the legacy chat view",
    sends="Authorization: Bearer <valid>, no cookie",
    expects=Expect.LOGIN_REDIRECT,
    tags=(std.WSTG_AUTH_BYPASS, std.CWE_AUTHENTICATION),
    ref="catalogue #54",
)
async def _jwt_on_legacy(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.token is None:
        return NO_TOKEN
    return [
        _session_probe(
            ctx,
            "bearer token",
            None,
            headers=(("Authorization", f"Bearer {ctx.token}"),),
            token=ctx.token,
            breach=Severity.MEDIUM,
        )
    ]
