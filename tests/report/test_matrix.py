"""The principal matrix in words, as report.html and summary.md show it."""

from __future__ import annotations

from report_samples import matrix_run

from chatmigrate.records import MatrixCell, PrincipalRow
from chatmigrate.report.matrix import cell_text, matrix_tiers, row_verdict
from chatmigrate.vocab import Tier


def test_a_cell_counts_granted_refused_and_other_answers() -> None:
    assert cell_text(MatrixCell(Tier.NEW, granted=3, refused=2, other=1)) == "3 granted, 2 refused, 1 other answers"


def test_a_cell_refused_at_login_says_so_first() -> None:
    assert cell_text(MatrixCell(Tier.OLD, refused=39, refused_at_login=True)) == "refused at login; 39 refused"


def test_a_row_that_grants_more_than_old_is_critical_and_names_the_tiers() -> None:
    viewer = matrix_run().principals[2]
    assert row_verdict(viewer) == "grants more than old (new 31 entries): critical"


def test_a_row_granting_no_more_than_old_passes() -> None:
    assert row_verdict(matrix_run().principals[1]) == "equal or stricter than old"


def test_a_row_without_a_legacy_answer_cannot_be_judged() -> None:
    assert row_verdict(PrincipalRow("x", [MatrixCell(Tier.NEW, granted=1)])) == "no legacy answer"


def test_the_columns_are_the_tiers_present_in_report_order() -> None:
    rows = [PrincipalRow("x", [MatrixCell(Tier.PROXY), MatrixCell(Tier.OLD)])]
    assert matrix_tiers(rows) == [Tier.OLD, Tier.PROXY]


def test_a_socket_cell_says_whether_the_principal_was_let_in() -> None:
    assert [cell_text(MatrixCell(Tier.WS, granted=1)), cell_text(MatrixCell(Tier.WS, refused=1))] == [
        "socket let in",
        "socket refused",
    ]


def test_a_socket_letting_in_more_than_old_is_named_as_the_socket() -> None:
    row = PrincipalRow("viewer", [MatrixCell(Tier.OLD, refused=3), MatrixCell(Tier.WS, granted=1, grants_more=1)])
    assert row_verdict(row) == "grants more than old (ws socket): critical"
