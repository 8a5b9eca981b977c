"""Session-wide servers: one real uvicorn per switch set, on an ephemeral loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

import pytest

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.config import ServerConfig
from chatmigrate.server.switches import Switches

ServerFactory = Callable[..., EmbeddedServer]


@pytest.fixture(scope="session")
def server_with() -> Iterator[ServerFactory]:
    """``server_with(drifts=(...), flaws=(...), ws_auth="jwt")``: started once per distinct set, then reused."""
    started: dict[tuple[object, ...], EmbeddedServer] = {}

    def factory(
        drifts: tuple[str, ...] = (),
        flaws: tuple[str, ...] = (),
        ws_auth: Literal["url", "jwt"] = "url",
        **settings: object,
    ) -> EmbeddedServer:
        key = (tuple(sorted(drifts)), tuple(sorted(flaws)), ws_auth, tuple(sorted(settings.items())))
        if key not in started:
            config = ServerConfig(switches=Switches.parse(list(drifts), list(flaws)), ws_auth=ws_auth, **settings)  # type: ignore[arg-type]
            started[key] = EmbeddedServer(config).start()
        return started[key]

    yield factory
    for server in started.values():
        server.stop()


@pytest.fixture(scope="session")
def server(server_with: ServerFactory) -> EmbeddedServer:
    return server_with()
