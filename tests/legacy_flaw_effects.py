"""What each legacy session and CSRF flaw does on the wire, beside the clean server: the effects
``tests/server/test_switches.py`` checks for these flaws. Each opens its one hole while the other bad sessions
and CSRF defects are still refused (the valid admin session is checked for every flaw there)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from server_wire import LEGACY_CHAT, PASSWORD, csrf_post, logged_in, login_form

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.vocab import Flaw

SERVED, TO_LOGIN = 200, 302
TAMPERED = "0123456789abcdefghijklmnopqrstuv"


def chat_status(server: EmbeddedServer, sessionid: str | None = None, **headers: str) -> int:
    """The legacy chat view's status for a request that carries ``sessionid`` (or no cookie) and ``headers``."""
    cookie = {"Cookie": f"sessionid={sessionid}"} if sessionid is not None else {}
    answer = httpx.get(f"{server.base_url}{LEGACY_CHAT}", params={"chatroom_id": 5}, headers={**cookie, **headers})
    return answer.status_code


def session_of(client: httpx.Client) -> str:
    return str(client.cookies["sessionid"])


def logged_out_session(server: EmbeddedServer) -> str:
    client = logged_in(server)
    key = session_of(client)
    assert csrf_post(client, "/admin/logout/", {}).status_code == 200
    return key


def non_staff_session(server: EmbeddedServer) -> str:
    """``viewer`` logged in where the site (not the admin) lets any active user in."""
    return session_of(logged_in(server, "viewer", "/accounts/login/"))


def session_before_password_change(server: EmbeddedServer) -> str:
    """A ``support`` session from before that user's password was set again (to the same value)."""
    before, changer = logged_in(server, "support"), logged_in(server, "support")
    form = {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}
    assert csrf_post(changer, "/admin/password_change/", form).status_code == 200
    assert chat_status(server, session_of(changer)) == SERVED
    return session_of(before)


def check_legacy_session_unchecked(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    for server, status in ((clean, TO_LOGIN), (switched, SERVED)):
        assert chat_status(server) == status
        assert chat_status(server, TAMPERED) == status
        assert chat_status(server, logged_out_session(server)) == status
        assert chat_status(server, Authorization="Bearer not-a-session") == status
    assert chat_status(switched, non_staff_session(switched)) == TO_LOGIN


def check_legacy_non_staff(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert chat_status(clean, non_staff_session(clean)) == TO_LOGIN
    assert chat_status(switched, non_staff_session(switched)) == SERVED
    assert chat_status(switched) == TO_LOGIN
    assert chat_status(switched, TAMPERED) == TO_LOGIN
    assert chat_status(switched, logged_out_session(switched)) == TO_LOGIN


def check_legacy_session_survives_password_change(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert chat_status(clean, session_before_password_change(clean)) == TO_LOGIN
    assert chat_status(switched, session_before_password_change(switched)) == SERVED
    assert chat_status(switched, logged_out_session(switched)) == TO_LOGIN
    assert chat_status(switched, non_staff_session(switched)) == TO_LOGIN


def login_post(server: EmbeddedServer, password: str, *, csrf: bool, **headers: str) -> httpx.Response:
    """The admin login POST with the form's CSRF cookie and token, or with neither."""
    with httpx.Client(base_url=server.base_url) as client:
        form = {"username": "admin", "password": password, "next": LEGACY_CHAT}
        if csrf:
            form["csrfmiddlewaretoken"] = login_form(client)
        return client.post("/admin/login/", data=form, headers=headers)


def check_legacy_csrf_exempt(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert login_post(clean, PASSWORD, csrf=False).status_code == 403
    assert login_post(clean, PASSWORD, csrf=True, Origin="https://evil.example").status_code == 403
    forged = login_post(switched, PASSWORD, csrf=False)
    assert forged.status_code == 302 and "sessionid" in forged.cookies
    assert login_post(switched, PASSWORD, csrf=True, Origin="https://evil.example").status_code == 302
    wrong = login_post(switched, "wrong-password", csrf=False)
    assert wrong.status_code == 200 and "sessionid" not in wrong.cookies
    assert chat_status(switched) == TO_LOGIN


EFFECTS: dict[str, Callable[[EmbeddedServer, EmbeddedServer], None]] = {
    Flaw.LEGACY_SESSION_UNCHECKED: check_legacy_session_unchecked,
    Flaw.LEGACY_NON_STAFF: check_legacy_non_staff,
    Flaw.LEGACY_SESSION_SURVIVES_PASSWORD_CHANGE: check_legacy_session_survives_password_change,
    Flaw.LEGACY_CSRF_EXEMPT: check_legacy_csrf_exempt,
}
