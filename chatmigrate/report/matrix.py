"""The principal matrix in words, so the HTML report and summary.md say the same thing about each cell and row."""

from __future__ import annotations

from chatmigrate.records import MatrixCell, PrincipalRow
from chatmigrate.vocab import Tier


def cell_text(cell: MatrixCell) -> str:
    if cell.tier is Tier.WS:
        return "socket let in" if cell.granted else "socket refused"
    parts = [f"{count} {label}" for count, label in ((cell.granted, "granted"), (cell.refused, "refused")) if count]
    if cell.other:
        parts.append(f"{cell.other} other answers")
    text = ", ".join(parts) or "no entries"
    return f"refused at login; {text}" if cell.refused_at_login else text


def row_verdict(row: PrincipalRow) -> str:
    """Any tier granting what old refused fails the row; equal or stricter passes."""
    wider = [
        "ws socket" if cell.tier is Tier.WS else f"{cell.tier.value} {cell.grants_more} entries"
        for cell in row.cells
        if cell.grants_more
    ]
    if wider:
        return f"grants more than old ({', '.join(wider)}): critical"
    return "equal or stricter than old" if any(cell.tier is Tier.OLD for cell in row.cells) else "no legacy answer"


def matrix_tiers(rows: list[PrincipalRow]) -> list[Tier]:
    present = {cell.tier for row in rows for cell in row.cells}
    return [tier for tier in Tier if tier in present]
