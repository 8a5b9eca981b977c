"""The principal matrix and the auth-outcome check for a principal that old refused at login."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from exchange_samples import exchange, messages_body, of, run

from chatmigrate.compare.principals import add_socket_column
from chatmigrate.records import Exchange, MatrixCell, PrincipalRow
from chatmigrate.vocab import Credential, FindingKind, Severity, Tier

LOGIN = {"location": "/admin/login/?next=/admin/chat/"}


def as_viewer(side: str, body: Any = None, *, status: int = 200, refused: bool = False, **kwargs: Any) -> Exchange:
    sent = exchange(side, 0, body, entry="e1@viewer", status=status, **kwargs)
    credential = Credential.REFUSED_AT_LOGIN if refused else Credential.OWN
    return dataclasses.replace(sent, principal="viewer", credential=credential)


def refused_at_old_login() -> Exchange:
    return as_viewer(Tier.OLD, status=302, refused=True, headers=LOGIN)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_new_refusing_a_principal_old_refused_at_login_is_no_finding(status: int) -> None:
    group = [refused_at_old_login(), as_viewer(Tier.NEW, {"detail": "no"}, status=status)]
    assert of(run(group), "auth-outcome") == []


def test_new_granting_a_principal_old_refused_at_login_is_critical_and_says_so() -> None:
    group = [refused_at_old_login(), as_viewer(Tier.NEW, messages_body())]
    (finding,) = of(run(group), "auth-outcome")
    assert (finding.severity, finding.title) == (
        Severity.CRITICAL,
        "new grants what old refused: old refused viewer at login (302), new ok (200) (in 1 entry)",
    )


def test_new_answering_a_principal_old_refused_at_login_with_a_400_is_an_outcome_difference() -> None:
    group = [refused_at_old_login(), as_viewer(Tier.NEW, {"detail": "bad"}, status=400)]
    (finding,) = of(run(group), "auth-outcome")
    assert (finding.severity, finding.variant) == (Severity.MEDIUM, "unauthenticated 302->client-error 400")


def test_the_anonymous_principal_refused_by_djangos_csrf_403_and_by_a_401_on_new_is_no_finding() -> None:
    old = dataclasses.replace(as_viewer(Tier.OLD, {"detail": "CSRF"}, status=403), credential=Credential.NONE)
    new = dataclasses.replace(as_viewer(Tier.NEW, {"detail": "no"}, status=401), credential=Credential.NONE)
    assert of(run([old, new]), "auth-outcome") == []


def test_new_crashing_for_a_principal_old_refused_at_login_still_fails() -> None:
    group = [refused_at_old_login(), as_viewer(Tier.NEW, {"detail": "boom"}, status=500)]
    (finding,) = of(run(group), "auth-outcome")
    assert finding.severity is Severity.HIGH


def test_a_plain_refusal_on_old_still_needs_the_same_refusal_on_new() -> None:
    old = dataclasses.replace(refused_at_old_login(), credential=Credential.OWN)
    group = [old, as_viewer(Tier.NEW, {"detail": "no"}, status=403)]
    (finding,) = of(run(group), "auth-outcome")
    assert (finding.severity, finding.variant) == (Severity.MEDIUM, "unauthenticated 302->forbidden 403")


def matrix_of(*groups: list[Exchange]) -> dict[str, dict[Tier, tuple[int, int, int, bool, int]]]:
    return {
        row.principal: {
            cell.tier: (cell.granted, cell.refused, cell.other, cell.refused_at_login, cell.grants_more)
            for cell in row.cells
        }
        for row in run(*groups).principals
    }


def test_the_matrix_counts_what_each_tier_granted_or_refused_each_principal() -> None:
    admin = [exchange(Tier.OLD, 0, messages_body()), exchange(Tier.NEW, 0, messages_body())]
    viewer = [refused_at_old_login(), as_viewer(Tier.NEW, {"detail": "no"}, status=403)]
    assert matrix_of(admin, viewer) == {
        "configured user": {Tier.OLD: (1, 0, 0, False, 0), Tier.NEW: (1, 0, 0, False, 0)},
        "viewer": {Tier.OLD: (0, 1, 0, True, 0), Tier.NEW: (0, 1, 0, False, 0)},
    }


def test_a_tier_granting_what_old_refused_is_counted_as_granting_more() -> None:
    viewer = [refused_at_old_login(), as_viewer(Tier.NEW, messages_body())]
    assert matrix_of(viewer)["viewer"][Tier.NEW] == (1, 0, 0, False, 1)


def test_answers_that_neither_grant_nor_refuse_are_counted_apart() -> None:
    admin = [exchange(Tier.OLD, 0, {"detail": "bad"}, status=400), exchange(Tier.NEW, 0, {"detail": "?"}, status=404)]
    assert matrix_of(admin)["configured user"] == {Tier.OLD: (0, 0, 1, False, 0), Tier.NEW: (0, 0, 1, False, 0)}


def test_the_configured_user_comes_first_then_the_principals_by_name() -> None:
    groups = [
        [dataclasses.replace(exchange(Tier.OLD, 0, messages_body(), entry=f"e@{name}"), principal=name)]
        for name in ("viewer", "anonymous")
    ]
    admin = [exchange(Tier.OLD, 0, messages_body())]
    assert list(matrix_of(*groups, admin)) == ["configured user", "anonymous", "viewer"]


def rows_with_old(refused_by_old: bool) -> list[PrincipalRow]:
    old = MatrixCell(Tier.OLD, refused=3) if refused_by_old else MatrixCell(Tier.OLD, granted=3)
    return [PrincipalRow("viewer", [old, MatrixCell(Tier.NEW, refused=3)])]


def test_the_socket_column_records_whether_each_principal_was_let_in() -> None:
    rows = rows_with_old(refused_by_old=True)
    assert add_socket_column(rows, {"viewer": False}, "WS /ws/cschat/") == []
    assert rows[0].cells[-1] == MatrixCell(Tier.WS, refused=1)


def test_a_socket_letting_in_a_principal_old_refused_is_critical() -> None:
    rows = rows_with_old(refused_by_old=True)
    (finding,) = add_socket_column(rows, {"viewer": True}, "WS /ws/cschat/")
    assert (finding.severity, finding.kind, finding.tier, finding.title) == (
        Severity.CRITICAL,
        FindingKind.SOCKET_GRANTED,
        Tier.WS,
        "the chat socket lets viewer in, whom old refused every request",
    )
    assert rows[0].grants_more == 1


def test_a_socket_letting_in_a_principal_old_serves_is_no_finding() -> None:
    assert add_socket_column(rows_with_old(refused_by_old=False), {"viewer": True}, "WS /ws/cschat/") == []


def test_a_principal_without_a_row_gets_one_for_its_socket_cell() -> None:
    rows: list[PrincipalRow] = []
    assert add_socket_column(rows, {"viewer": False}, "WS /ws/cschat/") == []
    assert rows == [PrincipalRow("viewer", [MatrixCell(Tier.WS, refused=1)])]
