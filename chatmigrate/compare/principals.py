"""The principal matrix: for each principal, what each tier granted or refused over the corpus.

A cell where new or proxy grants a principal what old refused it is the breach a cutover must not ship (each such
entry is also a critical auth-outcome finding); equal or stricter passes. The targets' own user is a row too.
"""

from __future__ import annotations

from collections.abc import Mapping

from chatmigrate.compare.answers import REFUSALS
from chatmigrate.compare.outcome import classify
from chatmigrate.records import Exchange, Finding, MatrixCell, PrincipalRow
from chatmigrate.vocab import SIDES, Check, Credential, FindingKind, Outcome, Severity, Tier

CONFIGURED = "configured user"
"""The row of the targets' own `[auth]` user when nobody says who that is."""


class PrincipalMatrix:
    """Fed each entry's first attempts per side, in corpus order; rows come out in the order first seen."""

    def __init__(self, configured: str) -> None:
        self.configured = configured
        self.rows: dict[str, dict[Tier, MatrixCell]] = {}

    def add(self, first: dict[str, Exchange]) -> None:
        if not first:
            return
        name = next(iter(first.values())).principal or self.configured
        cells = self.rows.setdefault(name, {})
        old = first.get(Tier.OLD)
        old_refused = old is not None and classify(old) in REFUSALS
        for side, exchange in first.items():
            tier = Tier(side)
            cell = cells.setdefault(tier, MatrixCell(tier=tier))
            outcome = classify(exchange)
            cell.refused_at_login = cell.refused_at_login or exchange.credential is Credential.REFUSED_AT_LOGIN
            if outcome is Outcome.OK:
                cell.granted += 1
                if old_refused and tier is not Tier.OLD:
                    cell.grants_more += 1
            elif outcome in REFUSALS:
                cell.refused += 1
            else:
                cell.other += 1

    def table(self) -> list[PrincipalRow]:
        """The targets' own user first, then the others by name."""
        names = sorted(self.rows, key=lambda name: (name != self.configured, name))
        return [
            PrincipalRow(principal=name, cells=[self.rows[name][tier] for tier in SIDES if tier in self.rows[name]])
            for name in names
        ]


def add_socket_column(rows: list[PrincipalRow], sockets: Mapping[str, bool], endpoint: str) -> list[Finding]:
    """Each row's ``ws`` cell: whether the chat socket let that principal in (a principal without a row, as in a
    shard that replayed none of its entries, gets one). A socket that lets in a principal whom old refused every
    request is critical, as an HTTP tier granting what old refused is."""
    findings = []
    named = {row.principal for row in rows}
    rows.extend(PrincipalRow(name) for name in sockets if name not in named)
    for row in rows:
        if row.principal not in sockets:
            continue
        let_in = sockets[row.principal]
        old = next((cell for cell in row.cells if cell.tier is Tier.OLD), None)
        refused_by_old = old is not None and old.granted == 0 and old.refused > 0
        cell = MatrixCell(Tier.WS, granted=int(let_in), refused=int(not let_in))
        cell.grants_more = int(let_in and refused_by_old)
        row.cells.append(cell)
        if cell.grants_more:
            findings.append(
                Finding(
                    check=Check.WS_PARITY,
                    severity=Severity.CRITICAL,
                    kind=FindingKind.SOCKET_GRANTED,
                    subject=row.principal,
                    endpoint=endpoint,
                    tier=Tier.WS,
                    title=f"the chat socket lets {row.principal} in, whom old refused every request",
                )
            )
    return findings
