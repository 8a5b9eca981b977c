"""The legacy tier behaves like the Django admin it stands in for: forms, CSRF, sessions, redirects."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from server_wire import LEGACY_CHAT, ServerFactory, csrf_post, logged_in, login_form

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.config import ServerConfig

CHAT_QUERY = {"chatroom_id": "3", "limit": "5"}
LOGIN_REDIRECT = f"/admin/login/?next={quote('/admin/chat/?chatroom_id=3&limit=5', safe='/')}"


def session_key_from(response: httpx.Response) -> str:
    """The ``sessionid`` a response sets, read from the header so that even an already-expired cookie is kept."""
    for header in response.headers.get_list("set-cookie"):
        match = re.match(r"sessionid=([^;]+)", header)
        if match:
            return match.group(1)
    raise AssertionError("no sessionid cookie set")


def login_response(server: EmbeddedServer, username: str = "admin") -> httpx.Response:
    client = httpx.Client(base_url=server.base_url)
    token = login_form(client)
    return client.post(
        "/admin/login/",
        data={"username": username, "password": "seed-Passw0rd", "csrfmiddlewaretoken": token, "next": LEGACY_CHAT},
    )


def chat_with_session(server: EmbeddedServer, key: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{LEGACY_CHAT}", params=CHAT_QUERY, headers={"Cookie": f"sessionid={key}"})


def csrf_reason(response: httpx.Response) -> str:
    match = re.search(r"<pre>\s*(.*?)\s*</pre>", response.text, re.S)
    assert match is not None, response.text
    return html.unescape(match.group(1))


@pytest.fixture
def private_server() -> Iterator[EmbeddedServer]:
    """A server of its own, for tests that change passwords."""
    with EmbeddedServer(ServerConfig(players=3)) as server:
        yield server


# login page ------------------------------------------------------------------
def test_login_page_is_an_html_form(server: EmbeddedServer) -> None:
    page = httpx.get(f"{server.base_url}/admin/login/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<form action="/admin/login/" method="post" id="login-form">' in page.text


def test_login_page_sets_csrf_cookie_and_hidden_field(server: EmbeddedServer) -> None:
    page = httpx.get(f"{server.base_url}/admin/login/")
    assert re.fullmatch(r"[A-Za-z0-9]{32}", page.cookies["csrftoken"])
    assert re.search(r'type="hidden" name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', page.text)


def test_login_sets_session_and_redirects_to_next(server: EmbeddedServer) -> None:
    response = login_response(server)
    assert response.status_code == 302
    assert response.headers["location"] == LEGACY_CHAT
    assert re.fullmatch(r"[a-z0-9]{32}", session_key_from(response))


def test_login_refuses_an_offsite_next(server: EmbeddedServer) -> None:
    client = httpx.Client(base_url=server.base_url)
    response = client.post(
        "/admin/login/",
        data={
            "username": "admin",
            "password": "seed-Passw0rd",
            "csrfmiddlewaretoken": login_form(client),
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/admin/"


def test_wrong_password_shows_the_form_again(server: EmbeddedServer) -> None:
    client = httpx.Client(base_url=server.base_url)
    response = client.post(
        "/admin/login/",
        data={"username": "admin", "password": "wrong", "csrfmiddlewaretoken": login_form(client)},
    )
    assert response.status_code == 200
    assert 'class="errornote"' in response.text
    assert "sessionid" not in response.cookies


def test_non_staff_user_cannot_log_in_to_the_admin(server: EmbeddedServer) -> None:
    response = login_response(server, "viewer")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


# CSRF ------------------------------------------------------------------------
def test_csrf_cookie_not_set(server: EmbeddedServer) -> None:
    token = login_form(httpx.Client(base_url=server.base_url))
    response = httpx.post(f"{server.base_url}/admin/login/", data={"csrfmiddlewaretoken": token})
    assert response.status_code == 403
    assert csrf_reason(response) == "CSRF cookie not set."


def test_csrf_token_missing(server: EmbeddedServer) -> None:
    client = httpx.Client(base_url=server.base_url)
    login_form(client)
    response = client.post("/admin/login/", data={"username": "admin", "password": "seed-Passw0rd"})
    assert response.status_code == 403
    assert csrf_reason(response) == "CSRF token missing."


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("short", "CSRF token from POST has incorrect length."),
        ("!" * 64, "CSRF token from POST has invalid characters."),
        ("a" * 64, "CSRF token from POST incorrect."),
    ],
    ids=["incorrect-length", "invalid-characters", "incorrect"],
)
def test_csrf_token_from_post_is_checked(server: EmbeddedServer, token: str, reason: str) -> None:
    client = httpx.Client(base_url=server.base_url)
    login_form(client)
    response = client.post("/admin/login/", data={"username": "admin", "csrfmiddlewaretoken": token})
    assert response.status_code == 403
    assert csrf_reason(response) == reason


def test_csrf_token_from_header_is_named_in_the_reason(server: EmbeddedServer) -> None:
    client = httpx.Client(base_url=server.base_url)
    login_form(client)
    response = client.post("/admin/login/", data={"username": "admin"}, headers={"X-CSRFToken": "b" * 64})
    assert csrf_reason(response) == "CSRF token from the 'X-Csrftoken' HTTP header incorrect."


def test_empty_csrf_header_has_incorrect_length(server: EmbeddedServer) -> None:
    client = httpx.Client(base_url=server.base_url)
    login_form(client)
    response = client.post("/admin/login/", data={"username": "admin"}, headers={"X-CSRFToken": ""})
    assert csrf_reason(response) == "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."


def test_csrf_token_in_header_is_accepted(server: EmbeddedServer) -> None:
    client = httpx.Client(base_url=server.base_url)
    token = login_form(client)
    response = client.post(
        "/admin/login/", data={"username": "admin", "password": "seed-Passw0rd"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 302


def test_foreign_origin_is_refused(server: EmbeddedServer) -> None:
    client = httpx.Client(base_url=server.base_url)
    token = login_form(client)
    response = client.post(
        "/admin/login/", data={"csrfmiddlewaretoken": token}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403
    assert csrf_reason(response) == "Origin checking failed - http://evil.example does not match any trusted origins."


def test_own_origin_is_accepted(server: EmbeddedServer) -> None:
    client = httpx.Client(base_url=server.base_url)
    token = login_form(client)
    response = client.post(
        "/admin/login/",
        data={"username": "admin", "password": "seed-Passw0rd", "csrfmiddlewaretoken": token},
        headers={"Origin": server.base_url},
    )
    assert response.status_code == 302


def test_secure_request_without_referer_is_refused(server: EmbeddedServer) -> None:
    client = httpx.Client(base_url=server.base_url)
    token = login_form(client)
    response = client.post("/admin/login/", data={"csrfmiddlewaretoken": token}, headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 403
    assert csrf_reason(response) == "Referer checking failed - no Referer."


def test_csrf_failure_page_is_djangos_403_page(server: EmbeddedServer) -> None:
    response = httpx.post(f"{server.base_url}/admin/login/")
    assert response.headers["content-type"].startswith("text/html")
    assert "CSRF verification failed. Request aborted." in response.text


# sessions --------------------------------------------------------------------
def test_staff_session_reads_chat_as_json(server: EmbeddedServer) -> None:
    response = logged_in(server).get(LEGACY_CHAT, params=CHAT_QUERY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["status"] == "success"


def test_support_session_reads_chat(server: EmbeddedServer) -> None:
    assert logged_in(server, "support").get(LEGACY_CHAT, params=CHAT_QUERY).status_code == 200


def test_no_session_redirects_to_login_with_quoted_next(server: EmbeddedServer) -> None:
    response = httpx.get(f"{server.base_url}{LEGACY_CHAT}", params=CHAT_QUERY)
    assert response.status_code == 302
    assert response.headers["location"] == LOGIN_REDIRECT


def test_expired_session_redirects_to_login(server_with: ServerFactory) -> None:
    short_lived = server_with(session_ttl=0)
    response = chat_with_session(short_lived, session_key_from(login_response(short_lived)))
    assert response.status_code == 302
    assert response.headers["location"] == LOGIN_REDIRECT


def test_session_cookie_sent_by_hand_works_while_fresh(server: EmbeddedServer) -> None:
    assert chat_with_session(server, session_key_from(login_response(server))).status_code == 200


def test_tampered_session_redirects_to_login(server: EmbeddedServer) -> None:
    key = session_key_from(login_response(server))
    tampered = key[:-1] + ("a" if key[-1] != "a" else "b")
    response = chat_with_session(server, tampered)
    assert response.status_code == 302
    assert response.headers["location"] == LOGIN_REDIRECT


def test_non_staff_session_is_redirected_to_login(server: EmbeddedServer) -> None:
    viewer = logged_in(server, "viewer", path="/accounts/login/")
    response = viewer.get(LEGACY_CHAT, params=CHAT_QUERY)
    assert response.status_code == 302
    assert response.headers["location"] == LOGIN_REDIRECT


def test_logout_flushes_the_session(server: EmbeddedServer) -> None:
    client = logged_in(server)
    key = client.cookies["sessionid"]
    assert csrf_post(client, "/admin/logout/", {}).status_code == 200
    assert chat_with_session(server, key).status_code == 302


def test_logout_requires_csrf(server: EmbeddedServer) -> None:
    client = logged_in(server)
    assert client.post("/admin/logout/").status_code == 403
    assert client.get(LEGACY_CHAT, params=CHAT_QUERY).status_code == 200


def change_password(client: httpx.Client, old: str, new: str) -> httpx.Response:
    return csrf_post(
        client, "/admin/password_change/", {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_password_change_ends_older_sessions(private_server: EmbeddedServer) -> None:
    older = logged_in(private_server, "support")
    changer = logged_in(private_server, "support")
    assert change_password(changer, "seed-Passw0rd", "n3w-passw0rd").status_code == 200
    assert older.get(LEGACY_CHAT, params=CHAT_QUERY).status_code == 302


def test_password_change_keeps_the_changing_session(private_server: EmbeddedServer) -> None:
    changer = logged_in(private_server, "support")
    assert change_password(changer, "seed-Passw0rd", "n3w-passw0rd").status_code == 200
    assert changer.get(LEGACY_CHAT, params=CHAT_QUERY).status_code == 200


def test_password_change_with_wrong_old_password_changes_nothing(private_server: EmbeddedServer) -> None:
    changer = logged_in(private_server, "support")
    assert change_password(changer, "not-the-password", "n3w-passw0rd").status_code == 400
    assert logged_in(private_server, "support").get(LEGACY_CHAT, params=CHAT_QUERY).status_code == 200


# errors ------------------------------------------------------------------------
def test_unknown_chatroom_is_an_html_404_page(server: EmbeddedServer) -> None:
    response = logged_in(server).get(LEGACY_CHAT, params={"chatroom_id": "9999"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Not Found</h1>" in response.text


def test_bad_parameter_is_a_json_400(server: EmbeddedServer) -> None:
    response = logged_in(server).get(LEGACY_CHAT, params={"chatroom_id": "abc"})
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request"
