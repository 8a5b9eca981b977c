"""The legacy Django admin tier: session cookies, CSRF, HTML login page on any auth problem.

Behaviour follows Django's ``CsrfViewMiddleware``, ``SessionMiddleware`` and
``staff_member_required`` closely enough that chatmigrate's legacy checks are
exercised against the real shapes: the 302 to the login page, the CSRF 403
reasons, the HTML 404 page of ``get_object_or_404``.
"""

from __future__ import annotations

import secrets
import string
import time
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from chatmigrate.server import pages
from chatmigrate.server.chatdata import ChatroomNotFound, QueryError, build_response, parse_query
from chatmigrate.server.context import ServerContext, context_of
from chatmigrate.server.db import User, check_password_in_thread, hash_password_in_thread
from chatmigrate.server.responses import error
from chatmigrate.vocab import Flaw

CSRF_ALLOWED = string.ascii_letters + string.digits
CSRF_SECRET_LENGTH = 32
CSRF_COOKIE = "csrftoken"
SESSION_COOKIE = "sessionid"
LOGIN_URL = "/admin/login/"


class CsrfRejected(Exception):
    pass


# CSRF, as django.middleware.csrf does it ------------------------------------
def _new_csrf_secret() -> str:
    return "".join(secrets.choice(CSRF_ALLOWED) for _ in range(CSRF_SECRET_LENGTH))


def _mask(secret: str) -> str:
    mask = _new_csrf_secret()
    cipher = "".join(
        CSRF_ALLOWED[(CSRF_ALLOWED.index(s) + CSRF_ALLOWED.index(m)) % len(CSRF_ALLOWED)]
        for s, m in zip(secret, mask, strict=True)
    )
    return mask + cipher


def _unmask(token: str) -> str:
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    return "".join(
        CSRF_ALLOWED[CSRF_ALLOWED.index(c) - CSRF_ALLOWED.index(m)] for c, m in zip(cipher, mask, strict=True)
    )


def _format_problem(token: str) -> str | None:
    if len(token) not in (CSRF_SECRET_LENGTH, 2 * CSRF_SECRET_LENGTH):
        return "has incorrect length"
    if any(char not in CSRF_ALLOWED for char in token):
        return "has invalid characters"
    return None


def _is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _own_origin(request: Request) -> str:
    return f"{'https' if _is_secure(request) else 'http'}://{request.headers.get('host', '')}"


async def check_csrf(request: Request, ctx: ServerContext) -> None:
    if ctx.config.switches.flaw(Flaw.LEGACY_CSRF_EXEMPT):
        return
    origin = request.headers.get("origin")
    if origin is not None:
        if origin != _own_origin(request) and origin not in ctx.config.allowed_origins:
            raise CsrfRejected(f"Origin checking failed - {origin} does not match any trusted origins.")
    elif _is_secure(request):
        referer = request.headers.get("referer")
        if not referer:
            raise CsrfRejected("Referer checking failed - no Referer.")
        parts = urlsplit(referer)
        if not parts.scheme or not parts.netloc:
            raise CsrfRejected("Referer checking failed - Referer is malformed.")
        if parts.scheme != "https":
            raise CsrfRejected("Referer checking failed - Referer is insecure while host is secure.")
        if parts.netloc != request.headers.get("host"):
            raise CsrfRejected(f"Referer checking failed - {referer} does not match any trusted origins.")
    secret = request.cookies.get(CSRF_COOKIE)
    if secret is None:
        raise CsrfRejected("CSRF cookie not set.")
    problem = _format_problem(secret)
    if problem:
        raise CsrfRejected(f"CSRF cookie {problem}.")
    form = await request.form()
    token: str | None = str(form.get("csrfmiddlewaretoken", ""))
    source = "POST"
    if not token:
        token = request.headers.get("x-csrftoken")
        source = "the 'X-Csrftoken' HTTP header"
    if token is None:
        raise CsrfRejected("CSRF token missing.")
    problem = _format_problem(token)
    if problem:
        raise CsrfRejected(f"CSRF token from {source} {problem}.")
    if len(secret) == 2 * CSRF_SECRET_LENGTH:
        secret = _unmask(secret)
    candidate = _unmask(token) if len(token) == 2 * CSRF_SECRET_LENGTH else token
    if not secrets.compare_digest(candidate, secret):
        raise CsrfRejected(f"CSRF token from {source} incorrect.")


def _csrf_forbidden(reason: str) -> Response:
    return HTMLResponse(pages.csrf_failure_page(reason), status_code=403)


# sessions --------------------------------------------------------------------
def session_user(request: Request, ctx: ServerContext) -> User | None:
    """The active user behind the session cookie (Django's ``request.user``), flushing sessions that no longer
    hold; the password-change flaw skips the session auth hash, so a session outlives its password."""
    key = request.cookies.get(SESSION_COOKIE)
    if not key or len(key) > 64:
        return None
    row = ctx.store.session(key)
    if row is None:
        return None
    user = ctx.store.user_by_id(row["user_id"])
    hash_checked = not ctx.config.switches.flaw(Flaw.LEGACY_SESSION_SURVIVES_PASSWORD_CHANGE)
    stale = (
        user is None
        or row["expires_at"] < time.time()
        or (hash_checked and not secrets.compare_digest(row["auth_hash"], ctx.session_auth_hash(user.password_hash)))
    )
    if stale:
        ctx.store.delete_session(key)
        return None
    assert user is not None
    return user if user.is_active else None


def staff_user(request: Request, ctx: ServerContext) -> User | None:
    """``staff_member_required``: the session's user, if staff."""
    user = session_user(request, ctx)
    return user if user is not None and user.is_staff else None


def _chat_allowed(request: Request, ctx: ServerContext) -> bool:
    """The chat view's guard. Its flaws: an anonymous request passes as a default staff user (a development
    auto-login left on), or any logged-in user passes (``login_required`` where ``staff_member_required`` belongs)."""
    user = session_user(request, ctx)
    if user is None:
        return ctx.config.switches.flaw(Flaw.LEGACY_SESSION_UNCHECKED)
    return user.is_staff or ctx.config.switches.flaw(Flaw.LEGACY_NON_STAFF)


def _redirect_to_login(request: Request) -> Response:
    full_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_URL}?next={quote(full_path, safe='/')}", status_code=302)


def _safe_next(value: str, ctx: ServerContext) -> str:
    if ctx.config.switches.flaw(Flaw.LOGIN_OPEN_REDIRECT):
        return value
    return value if value.startswith("/") and not value.startswith(("//", "/\\")) else "/admin/"


def _session_key(request: Request, ctx: ServerContext) -> str | None:
    """Django cycles the key at login; the fixation flaw keeps a well-formed one the browser brought."""
    presented = request.cookies.get(SESSION_COOKIE, "")
    fixation = ctx.config.switches.flaw(Flaw.SESSION_FIXATION)
    return presented if fixation and presented.isalnum() and 8 <= len(presented) <= 40 else None


# views -----------------------------------------------------------------------
async def login(request: Request) -> Response:
    return await _login(request, staff_only=True)


async def site_login(request: Request) -> Response:
    """Django's non-admin login: any active user gets a session (which the admin still refuses)."""
    return await _login(request, staff_only=False)


async def _login(request: Request, staff_only: bool) -> Response:
    ctx = context_of(request)
    next_url = request.query_params.get("next", "/admin/")
    if request.method == "GET":
        return _login_form(request, next_url)
    try:
        await check_csrf(request, ctx)
    except CsrfRejected as rejected:
        return _csrf_forbidden(str(rejected))
    form = await request.form()
    next_url = str(form.get("next") or next_url)
    user = ctx.store.user_by_username(str(form.get("username", "")))
    password = str(form.get("password", ""))
    valid = user is not None and user.is_active and await check_password_in_thread(password, user.password_hash)
    if not valid or user is None or (staff_only and not user.is_staff):
        return _login_form(request, next_url, "Please enter the correct username and password for a staff account.")
    key = ctx.store.create_session(
        user.id,
        ctx.session_auth_hash(user.password_hash),
        time.time() + ctx.config.session_ttl,
        key=_session_key(request, ctx),
    )
    response = RedirectResponse(_safe_next(next_url, ctx), status_code=302)
    loose = ctx.config.switches.flaw(Flaw.SESSION_COOKIE_FLAGS)
    response.set_cookie(
        SESSION_COOKIE,
        key,
        max_age=ctx.config.session_ttl,
        httponly=not loose,
        samesite=None if loose else "lax",
        secure=request.url.scheme == "https",
    )
    response.set_cookie(CSRF_COOKIE, _new_csrf_secret(), max_age=31_449_600, samesite="lax")
    return response


def _login_form(request: Request, next_url: str, problem: str | None = None) -> Response:
    secret = request.cookies.get(CSRF_COOKIE)
    if secret is None or _format_problem(secret):
        secret = _new_csrf_secret()
    if len(secret) == 2 * CSRF_SECRET_LENGTH:
        secret = _unmask(secret)
    response = HTMLResponse(pages.login_page(_mask(secret), next_url, problem))
    response.set_cookie(CSRF_COOKIE, secret, max_age=31_449_600, samesite="lax")
    return response


async def logout(request: Request) -> Response:
    ctx = context_of(request)
    try:
        await check_csrf(request, ctx)
    except CsrfRejected as rejected:
        return _csrf_forbidden(str(rejected))
    key = request.cookies.get(SESSION_COOKIE)
    if key:
        ctx.store.delete_session(key)
    response = HTMLResponse(pages.logged_out_page())
    response.delete_cookie(SESSION_COOKIE)
    return response


async def password_change(request: Request) -> Response:
    ctx = context_of(request)
    user = staff_user(request, ctx)
    if user is None:
        return _redirect_to_login(request)
    try:
        await check_csrf(request, ctx)
    except CsrfRejected as rejected:
        return _csrf_forbidden(str(rejected))
    form = await request.form()
    new = str(form.get("new_password1", ""))
    if (
        not await check_password_in_thread(str(form.get("old_password", "")), user.password_hash)
        or not new
        or (new != form.get("new_password2"))
    ):
        return error(400, "Invalid request", "old password wrong or new passwords differ")
    password_hash = await hash_password_in_thread(new)
    ctx.store.set_password(
        user.id, password_hash, request.cookies[SESSION_COOKIE], ctx.session_auth_hash(password_hash)
    )
    return HTMLResponse(pages.password_changed_page())


async def chat(request: Request) -> Response:
    ctx = context_of(request)
    if not _chat_allowed(request, ctx):
        return _redirect_to_login(request)
    try:
        body = build_response(ctx.store, parse_query(request.query_params))
    except QueryError as bad:
        return error(400, "Invalid request", bad.detail)
    except ChatroomNotFound:
        return HTMLResponse(pages.not_found_page(request.url.path), status_code=404)
    return JSONResponse(body)


routes = [
    Route("/admin/login/", login, methods=["GET", "POST"]),
    Route("/accounts/login/", site_login, methods=["GET", "POST"]),
    Route("/admin/logout/", logout, methods=["POST"]),
    Route("/admin/password_change/", password_change, methods=["POST"]),
    Route("/admin/chat/", chat, methods=["GET"]),
]
