"""Where a run goes: the configured targets, targets from the environment, or the embedded reference server.

Every command that talks to targets resolves them the same way, so ``replay``, ``audit`` and ``gate``
cannot disagree about which config they found.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from chatmigrate.config import (
    Config,
    config_from_mapping,
    embedded_config,
    env_defines_targets,
    find_config,
    load_config,
)
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import UsageError
from chatmigrate.server.config import ServerConfig
from chatmigrate.server.switches import Switches


def server_config(drifts: Sequence[str], flaws: Sequence[str], **settings: Any) -> ServerConfig:
    """A reference-server config; unknown switch names are usage errors, settings given as None are defaults."""
    try:
        switches = Switches.parse(list(drifts), list(flaws))
    except ValueError as error:
        raise UsageError(str(error)) from None
    return ServerConfig(switches=switches, **{name: value for name, value in settings.items() if value is not None})


def embedded_server_config(drifts: Sequence[str], flaws: Sequence[str], ws_auth: str | None) -> ServerConfig:
    """The embedded server takes ``CHATMIGRATE_PASSWORD`` and ``CHATMIGRATE_JWT_SECRET`` as ``serve`` does."""
    if (ws_auth or "url") not in ("url", "jwt"):
        raise UsageError("--ws-auth must be 'url' or 'jwt'")
    return server_config(
        drifts,
        flaws,
        ws_auth=ws_auth or "url",
        password=os.environ.get("CHATMIGRATE_PASSWORD") or None,
        jwt_secret=os.environ.get("CHATMIGRATE_JWT_SECRET") or None,
    )


@contextlib.contextmanager
def open_targets(
    config_path: Path | None,
    overrides: dict[str, Any],
    *,
    drifts: Sequence[str] = (),
    flaws: Sequence[str] = (),
    ws_auth: str | None = None,
    embedded: bool = False,
) -> Iterator[tuple[Config, EmbeddedServer | None]]:
    """The config file given or found; else targets from the environment; else (or when ``embedded``) a fresh
    embedded server (with the requested switches), which is yielded too so that callers can audit it."""
    found = None if embedded else config_path or find_config()
    if found is not None or (not embedded and env_defines_targets()):
        if drifts or flaws or ws_auth:
            raise UsageError("--drift, --flaw and --ws-auth configure the embedded server; not usable with a config")
        yield (load_config(found, overrides=overrides) if found else config_from_mapping({}, overrides=overrides)), None
        return
    with EmbeddedServer(embedded_server_config(drifts, flaws, ws_auth)) as server:
        logging.getLogger("uvicorn.error").setLevel(logging.ERROR)
        yield embedded_config(server, overrides=overrides), server
