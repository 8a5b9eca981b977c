"""The named auth-failure cases, one module per group, each case declared once as data plus its builder.

Sources: the minimum catalogue (docs/audit.md), jwt_tool's attack playbook, OWASP WSTG-SESS-10
and WSTG-CLNT-10, Django's CSRF failure reasons; each case's ``tags`` name the standards items.
The order here is the order cases run and are listed in.
"""

from __future__ import annotations

from typing import Any

from chatmigrate.audit.catalogue import (
    claim_edges,
    claims,
    client,
    exposure,
    header,
    legacy,
    lifecycle,
    operations,
    parser,
    persistence,
    proxy,
    routes,
    sessions,
    signature,
    websocket,
    ws_session,
)
from chatmigrate.audit.catalogue.case import JWT_TIERS, Case, Group
from chatmigrate.audit.catalogue.generated import CONTRACT, GENERATED, MUTATION
from chatmigrate.audit.catalogue.password_change import PasswordChange

__all__ = [
    "CASES",
    "CONTRACT",
    "GENERATED",
    "JWT_TIERS",
    "MUTATION",
    "Case",
    "Group",
    "PasswordChange",
    "by_id",
    "catalogue_as_data",
    "listing",
]

CASES: tuple[Case, ...] = tuple(
    case
    for module in (
        header,
        signature,
        parser,
        claims,
        claim_edges,
        lifecycle,
        operations,
        exposure,
        routes,
        proxy,
        legacy,
        sessions,
        websocket,
        ws_session,
        client,
        persistence,
    )
    for case in module.cases.declared
)
"""Every case a builder runs; ``GENERATED`` holds the two the audit generates itself."""


def by_id() -> dict[str, Case]:
    return {item.id: item for item in (*CASES, *GENERATED)}


def listing() -> list[str]:
    return [item.line() for item in (*CASES, *GENERATED)]


def catalogue_as_data() -> list[dict[str, Any]]:
    """The whole catalogue as plain JSON-ready dicts, tags included, in run order."""
    return [item.as_data() for item in (*CASES, *GENERATED)]
