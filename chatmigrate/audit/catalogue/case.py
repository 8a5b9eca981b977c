"""What a catalogue case is: data that documents it plus the probe function that builds its requests.

A case is declared once, in the module of its group, with keyword-only fields:
``@cases.case(id=..., tiers=..., description=..., sends=..., expects=..., tags=...)`` above
its builder. The builder turns the live context into concrete probes for one tier, or
answers ``NotApplicable`` when the target lacks what the case needs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Expect, NotApplicable, Probe
from chatmigrate.vocab import Tier

Built = Sequence[Probe] | NotApplicable
Builder = Callable[[AuditContext, Tier], Awaitable[Built]]
JWT_TIERS = (Tier.NEW, Tier.PROXY)
"""The tiers that take a bearer token: header, signature and claims cases run on both."""


class Group(StrEnum):
    HEADER = "header"
    SIGNATURE = "signature"
    CLAIMS = "claims"
    OPERATIONS = "operations"
    PROXY = "proxy"
    LEGACY = "legacy"
    WEBSOCKET = "websocket"
    PERSISTENCE = "persistence"
    LIFECYCLE = "lifecycle"
    MUTATION = "mutation"
    CONTRACT = "contract"
    CLIENT = "client"

    @property
    def label(self) -> str:
        return _GROUP_LABELS[self]


_GROUP_LABELS = {
    Group.HEADER: "Header parsing",
    Group.SIGNATURE: "Signature and algorithm",
    Group.CLAIMS: "Claims",
    Group.OPERATIONS: "Every operation",
    Group.PROXY: "Proxy tier",
    Group.LEGACY: "Legacy session and CSRF",
    Group.WEBSOCKET: "WebSocket",
    Group.PERSISTENCE: "Persistence",
    Group.LIFECYCLE: "Token lifecycle",
    Group.MUTATION: "Token mutation (hypothesis)",
    Group.CONTRACT: "Contract (schemathesis)",
    Group.CLIENT: "Client-side token",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    group: Group
    tiers: tuple[Tier, ...]
    description: str
    sends: str
    expects: str
    """The safe outcome, in words: what ``--list`` and docs/audit.md show."""
    build: Builder
    tags: tuple[str, ...]
    """The standards items the case tests against (``standards``): RFC sections, OWASP ids, CWE, CVE."""
    ref: str = ""
    last: bool = False
    """Runs after every other case (persistence: the genuine credentials must have survived them)."""
    alone: bool = False
    """Runs by itself, after the other cases and before the last ones: it reactivates for a moment an account
    that other cases rely on staying deactivated."""

    def line(self) -> str:
        return f"{self.id:<42} {self.group:<12} {','.join(self.tiers):<14} {self.description}"

    def as_data(self) -> dict[str, Any]:
        """Plain JSON-ready data, for ``--list --format json`` and reports."""
        return {
            "id": self.id,
            "group": self.group.value,
            "tiers": [tier.value for tier in self.tiers],
            "description": self.description,
            "sends": self.sends,
            "expects": self.expects,
            "source": self.ref,
            "tags": list(self.tags),
            "runs_last": self.last,
            "runs_alone": self.alone,
        }


class Cases:
    """The cases of one group in declaration order; each module of the catalogue holds one."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.declared: list[Case] = []

    def case(
        self,
        *,
        id: str,
        tiers: tuple[Tier, ...],
        description: str,
        sends: str,
        expects: Expect | str,
        tags: tuple[str, ...],
        ref: str = "",
        last: bool = False,
        alone: bool = False,
    ) -> Callable[[Builder], Builder]:
        text = expects.describe() if isinstance(expects, Expect) else expects

        def register(build: Builder) -> Builder:
            self.declared.append(
                Case(
                    id=id,
                    group=self.group,
                    tiers=tiers,
                    description=description,
                    sends=sends,
                    expects=text,
                    build=build,
                    tags=tags,
                    ref=ref,
                    last=last,
                    alone=alone,
                )
            )
            return build

        return register
