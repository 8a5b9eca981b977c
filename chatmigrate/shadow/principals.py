"""New's credential for the user behind a legacy session: the same user on both sides, or no mirror at all."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from chatmigrate.auth import AuthAdapter
from chatmigrate.shadow.identity import ANONYMOUS


class Anonymous(AuthAdapter):
    """No credential: a request that reached old without a session reaches new without a token."""

    kind = "none"

    def __init__(self) -> None:
        super().__init__("anonymous")

    async def apply(self, request: httpx.Request) -> None:
        request.headers.pop("Authorization", None)


class Principals:
    """Usernames to new-side adapters; a user without one is not mirrored (and is counted as such)."""

    def __init__(self, adapters: Mapping[str, AuthAdapter]) -> None:
        self._adapters = {ANONYMOUS: Anonymous(), **adapters}

    def adapter_for(self, user: str) -> AuthAdapter | None:
        return self._adapters.get(user)

    @property
    def names(self) -> list[str]:
        return sorted(name for name in self._adapters if name != ANONYMOUS)
