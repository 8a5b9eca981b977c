"""The audit logs in through a login page written with single quotes, as the session login does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from chatmigrate.audit import AuditOptions, AuditTarget, Principal
from chatmigrate.audit.context import AuditContext, no_cookie_client
from chatmigrate.embedded import LoopbackServer

COOKIE = "c" * 32
FORM_TOKEN = "f" * 64
SESSION = "s" * 32
SINGLE_QUOTED = (
    "<form method='post'><input type='hidden' name='csrfmiddlewaretoken' value='" + FORM_TOKEN + "'>"
    "<input name='username'><input name='password' type='password'></form>"
)


async def _login(request: Request) -> Response:
    if request.method == "GET":
        page = HTMLResponse(SINGLE_QUOTED)
        page.set_cookie("csrftoken", COOKIE)
        return page
    form = await request.form()
    if form.get("csrfmiddlewaretoken") != FORM_TOKEN or request.cookies.get("csrftoken") != COOKIE:
        return HTMLResponse("CSRF verification failed.", status_code=403)
    answer = RedirectResponse("/admin/chat/", status_code=302)
    answer.set_cookie("sessionid", SESSION)
    return answer


@pytest.fixture(scope="module")
def single_quoted_site() -> Iterator[str]:
    with LoopbackServer(Starlette(routes=[Route("/admin/login/", _login, methods=["GET", "POST"])])) as site:
        yield site.base_url


def test_the_audit_logs_in_through_a_single_quoted_login_page(single_quoted_site: str) -> None:
    async def login() -> str | None:
        target = AuditTarget(principal=Principal("admin", "pw-not-checked"), old_url=single_quoted_site)
        options = AuditOptions(budget=0, contract=False)
        async with no_cookie_client(options.timeout, options.concurrency) as client:
            session = await AuditContext(target, options, client).login(Principal("admin", "pw-not-checked"))
        return session.sessionid if session else None

    assert asyncio.run(login()) == SESSION
