"""A legacy password change is done when Django redirects to its done page, or the page answers 200."""

from __future__ import annotations

import httpx

from chatmigrate.audit.catalogue.password_change import changed

DONE = "/admin/password_change/done/"


def answer(status: int, location: str | None = None) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location} if location else {})


def test_djangos_redirect_to_the_done_page_is_a_successful_change() -> None:
    assert changed(answer(302, DONE), DONE)
    assert changed(answer(302, f"https://admin.example{DONE}"), DONE)


def test_a_redirect_elsewhere_is_not_a_change() -> None:
    assert not changed(answer(302, "/admin/login/?next=/admin/password_change/"), DONE)


def test_a_200_answer_is_a_change_and_a_400_is_not() -> None:
    assert changed(answer(200), DONE)
    assert not changed(answer(400), DONE)
