"""A shadow in front of a reference server, as a tester would run it: a real uvicorn on a loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatmigrate.auth import build_auth
from chatmigrate.config import Config, ShadowConfig
from chatmigrate.embedded import EmbeddedServer, LoopbackServer
from chatmigrate.shadow import Principals, ShadowService

ShadowFactory = Callable[..., tuple[LoopbackServer, ShadowService]]


def principals_of(config: Config) -> Principals:
    """The embedded config's new-side credential is admin's: the one user these tests browse as."""
    new = config.targets["new"]
    adapter = build_auth(new.auth, new.base_url)
    return Principals({adapter.principal: adapter})


@pytest.fixture
def shadow_in_front(tmp_path: Path) -> Iterator[ShadowFactory]:
    """``shadow_in_front(server, new_base_url=None, **options)``: started now, stopped (which writes the final
    report) at the end of the test, or earlier by the test with ``front.stop()``."""
    running: list[LoopbackServer] = []

    def start(
        server: EmbeddedServer, new_base_url: str | None = None, **options: Any
    ) -> tuple[LoopbackServer, ShadowService]:
        config = Config.embedded(server, proxy=False)
        if new_base_url is not None:
            config.targets["new"] = config.targets["new"].model_copy(update=dict(base_url=new_base_url))
        service = ShadowService(
            config,
            principals_of(config),
            ShadowConfig(**{"report_every": 3600.0, "drain_seconds": 5.0, **options}),
            results_dir=tmp_path / "results",
        )
        front = LoopbackServer(service).start()
        running.append(front)
        return front, service

    yield start
    for front in running:
        front.stop()
