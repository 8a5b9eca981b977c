"""The pair is a real Django site: the admin login guards the legacy view, simplejwt guards the API."""

from __future__ import annotations

import httpx
import jwt
from djangopair.pair import DjangoSite
from djangopair.pairconfig import ADMIN, NON_STAFF

CHAT = "/admin/chat/"
API = "/api/v1/admin/chat/"
CHAT_LIST = {"request_type": "chat_list"}


def access_token(site: DjangoSite, username: str) -> str:
    response = httpx.post(f"{site.base_url}/api/v1/auth/token/", json={"username": username, "password": site.password})
    return str(response.json()["access"])


def test_the_legacy_view_sends_an_anonymous_visitor_to_the_admin_login(django_site: DjangoSite) -> None:
    response = httpx.get(django_site.base_url + CHAT, params=CHAT_LIST)
    assert response.status_code == 302
    assert response.headers["location"].startswith("/admin/login/?next=/admin/chat/")


def admin_login(client: httpx.Client, site: DjangoSite, username: str) -> httpx.Response:
    """Django's admin login form, as a browser fills it in."""
    client.get("/admin/login/")
    form = {
        "username": username,
        "password": site.password,
        "csrfmiddlewaretoken": client.cookies["csrftoken"],
        "next": CHAT,
    }
    return client.post("/admin/login/", data=form)


def test_a_staff_session_reads_the_chat_list_under_users(django_site: DjangoSite) -> None:
    with httpx.Client(base_url=django_site.base_url) as client:
        admin_login(client, django_site, ADMIN)
        body = client.get(CHAT, params=CHAT_LIST).json()
    assert list(body) == ["status", "users", "generated_at"]
    assert [user["chatroom_id"] for user in body["users"]] == [1, 2, 3, 4]


def test_the_admin_login_refuses_a_non_staff_user(django_site: DjangoSite) -> None:
    with httpx.Client(base_url=django_site.base_url) as client:
        response = admin_login(client, django_site, NON_STAFF)
    assert response.status_code == 200 and "sessionid" not in response.cookies
    assert "staff account" in response.text


def test_simplejwt_issues_the_user_id_as_a_string(django_site: DjangoSite) -> None:
    claims = jwt.decode(access_token(django_site, ADMIN), options={"verify_signature": False})
    assert claims["user_id"] == "1" and claims["token_type"] == "access"


def test_the_api_refuses_a_non_staff_token_with_the_envelope(django_site: DjangoSite) -> None:
    headers = {"Authorization": f"Bearer {access_token(django_site, NON_STAFF)}"}
    response = httpx.get(django_site.base_url + API, params=CHAT_LIST, headers=headers)
    assert response.status_code == 403
    assert response.json() == {
        "status": "error",
        "message": "Permission denied",
        "detail": "You do not have permission to perform this action.",
    }


def test_the_api_answers_a_bad_token_with_a_json_401_and_a_bearer_challenge(django_site: DjangoSite) -> None:
    response = httpx.get(django_site.base_url + API, params=CHAT_LIST, headers={"Authorization": "Bearer x.y.z"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == 'Bearer realm="api"'
    assert response.json()["message"] == "Authentication failed"


def test_the_variant_answers_a_bad_token_with_an_html_page(django_variant: DjangoSite) -> None:
    response = httpx.get(django_variant.base_url + API, params=CHAT_LIST, headers={"Authorization": "Bearer x.y.z"})
    assert response.status_code == 401 and response.headers["content-type"].startswith("text/html")


def test_the_variant_gives_a_non_staff_token_the_data(django_variant: DjangoSite) -> None:
    headers = {"Authorization": f"Bearer {access_token(django_variant, NON_STAFF)}"}
    response = httpx.get(django_variant.base_url + API, params=CHAT_LIST, headers=headers)
    assert response.status_code == 200 and response.json()["users"]
