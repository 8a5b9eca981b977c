"""Legacy session hygiene: what the Django login does to the session id, its cookies, and its ``next=``.

Each probe is a real, successful login of the audit's principal (a fresh CSRF pair, the right
password), so that the answer is the one a browser gets; the inspectors read its ``Set-Cookie``
and ``Location`` headers.
"""

from __future__ import annotations

import secrets
import string
from urllib.parse import quote, urlencode, urlsplit

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import Built, Cases, Group
from chatmigrate.audit.catalogue.common import EVIL_ORIGIN
from chatmigrate.audit.catalogue.inspection import set_cookies
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Concern, Expect, HttpObservation, HttpProbe, Inspector, NotApplicable
from chatmigrate.vocab import FindingKind, Severity, Tier

cases = Cases(Group.LEGACY)
SESSION, CSRF = "sessionid", "csrftoken"
NO_PRINCIPAL = NotApplicable("needs the legacy principal's username and password (a session login)")


async def _login_probe(
    ctx: AuditContext, label: str, inspect: Inspector, *, next_url: str | None = None, planted: str | None = None
) -> HttpProbe | NotApplicable:
    """The admin login POST exactly as a browser sends it, with ``planted`` as a session id it already holds."""
    principal = ctx.target.principal
    if principal is None:
        return NO_PRINCIPAL
    cookie, form_token = await ctx.csrf_form()
    next_value = next_url or ctx.target.old_chat_path
    form = {
        "username": principal.username,
        "password": principal.password,
        "csrfmiddlewaretoken": form_token,
        "next": next_value,
    }
    body = "&".join(f"{quote(key)}={quote(value, safe='')}" for key, value in form.items())
    url = f"{ctx.target.old_url}{ctx.target.login_path}"
    cookies = f"csrftoken={cookie}" + (f"; sessionid={planted}" if planted else "")
    return HttpProbe(
        label=label,
        method="POST",
        url=f"{url}?{urlencode({'next': next_value})}",
        expect=Expect.INSPECTED,
        headers=(("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookies), ("Referer", url)),
        body=body.encode(),
        inspect=inspect,
    )


def _logged_in(seen: HttpObservation) -> list[Concern]:
    """The login must have worked, or the session checks saw nothing: a failed login never silently passes."""
    if seen.status == 302 and SESSION in set_cookies(seen):
        return []
    return [(Severity.MEDIUM, FindingKind.WRONG_STATUS, f"the login gave no session (status {seen.status})")]


def _fixation(planted: str) -> Inspector:
    def inspect(seen: HttpObservation) -> list[Concern]:
        issued = set_cookies(seen).get(SESSION, {}).get("value")
        if seen.status == 302 and issued in (None, planted):
            return [
                (
                    Severity.HIGH,
                    FindingKind.SESSION_FIXATION,
                    "the session id the browser brought is still the session id after login",
                )
            ]
        return _logged_in(seen)

    return inspect


@cases.case(
    id="legacy-session-fixation",
    tiers=(Tier.OLD,),
    description="a session id planted before login",
    sends="the admin login with the right password and Cookie: sessionid=<32 random characters>",
    expects="a 302 that sets a new sessionid (Django cycles the key at login)",
    tags=(std.WSTG_SESSION_FIXATION, std.API_BROKEN_AUTH, std.CWE_FIXATION),
)
async def _session_fixation(ctx: AuditContext, tier: Tier) -> Built:
    planted = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(32))
    probe = await _login_probe(ctx, "login with a planted sessionid", _fixation(planted), planted=planted)
    return probe if isinstance(probe, NotApplicable) else [probe]


def _flags(secure_site: bool) -> Inspector:
    """Django's defaults pass: sessionid HttpOnly and SameSite=Lax; csrftoken SameSite=Lax and, by design, readable
    by scripts (CSRF_COOKIE_HTTPONLY is off), so it is never asked for HttpOnly. Secure only over https."""

    def inspect(seen: HttpObservation) -> list[Concern]:
        concerns: list[Concern] = []
        for name, attributes in set_cookies(seen).items():
            if name not in (SESSION, CSRF):
                continue
            missing = []
            if name == SESSION and "httponly" not in attributes:
                missing.append((Severity.MEDIUM, "HttpOnly (scripts can read it)"))
            same_site = attributes.get("samesite", "").lower()
            if not same_site:
                missing.append((Severity.LOW, "SameSite (left to the browser's default)"))
            elif same_site == "none" and "secure" not in attributes:
                missing.append((Severity.MEDIUM, "Secure, which SameSite=None requires"))
            if secure_site and "secure" not in attributes:
                missing.append((Severity.MEDIUM, "Secure on an https site"))
            concerns.extend(
                (severity, FindingKind.COOKIE_FLAGS, f"{name} is set without {flag}") for severity, flag in missing
            )
        return concerns + _logged_in(seen)

    return inspect


@cases.case(
    id="legacy-cookie-flags",
    tiers=(Tier.OLD,),
    description="the flags of the cookies a login sets",
    sends="the admin login with the right password; its Set-Cookie headers for sessionid and csrftoken",
    expects="sessionid HttpOnly; both with SameSite; Secure when the site is https (csrftoken may lack HttpOnly)",
    tags=(
        std.RFC6265_COOKIE_ATTRIBUTES,
        std.WSTG_COOKIE_ATTRIBUTES,
        std.CWE_HTTPONLY_COOKIE,
        std.CWE_SECURE_COOKIE,
        std.CWE_SAMESITE_COOKIE,
    ),
)
async def _cookie_flags(ctx: AuditContext, tier: Tier) -> Built:
    secure_site = urlsplit(ctx.target.old_url or "").scheme == "https"
    probe = await _login_probe(ctx, "login", _flags(secure_site))
    return probe if isinstance(probe, NotApplicable) else [probe]


def _stays_home(site: str) -> Inspector:
    own = urlsplit(site).netloc

    def inspect(seen: HttpObservation) -> list[Concern]:
        location = seen.header("location") or ""
        parts = urlsplit(location.replace("\\", "/"))
        if parts.netloc and parts.netloc != own:
            return [(Severity.MEDIUM, FindingKind.OPEN_REDIRECT, f"the login redirects to {location[:100]}")]
        return _logged_in(seen)

    return inspect


FOREIGN_NEXT = (EVIL_ORIGIN + "/", "//evil.example/", "/\\evil.example/")


@cases.case(
    id="legacy-login-open-redirect",
    tiers=(Tier.OLD,),
    description="a foreign next= on the login",
    sends="the admin login with the right password and next= https://evil.example/, //evil.example/, /\\evil.example/",
    expects="a 302 to a path of the site itself, never to another host",
    tags=(std.WSTG_OPEN_REDIRECT, std.CWE_OPEN_REDIRECT),
)
async def _open_redirect(ctx: AuditContext, tier: Tier) -> Built:
    probes = []
    for value in FOREIGN_NEXT:
        probe = await _login_probe(ctx, f"next={value}", _stays_home(ctx.target.old_url or ""), next_url=value)
        if isinstance(probe, NotApplicable):
            return probe
        probes.append(probe)
    return probes
