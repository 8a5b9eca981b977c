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
from chatmigrate.errors import ConfigError, UsageError
from chatmigrate.server.config import ServerConfig
from chatmigrate.server.switches import Switches
from chatmigrate.vocab import WsAuth

PASSWORD_ENV = "CHATMIGRATE_PASSWORD"
SECRET_ENV = "CHATMIGRATE_JWT_SECRET"


def preflight(config: Config) -> Config:
    """What plain data cannot tell: every ignore rule compiles and every own contract document loads.
    Checked before any request is sent, each error at its config key."""
    from chatmigrate.contracts import openapi_contract
    from chatmigrate.noise import RuleBook

    for index, rule in enumerate(config.ignore):
        try:
            RuleBook([rule])
        except ConfigError as error:
            message = str(error).split(": ", 1)[-1]
            raise config.error_at(("ignore", str(index), error.key or "path"), message) from None
    for tier, path in config.contracts.documents.items():
        try:
            openapi_contract(path)
        except ConfigError as error:
            raise config.error_at(("contracts", tier), str(error)) from None
    return config


def server_config(drifts: Sequence[str], flaws: Sequence[str], **settings: Any) -> ServerConfig:
    """A reference-server config; unknown switch names are usage errors, settings given as None are defaults."""
    try:
        switches = Switches.parse(list(drifts), list(flaws))
    except ValueError as error:
        raise UsageError(str(error)) from None
    return ServerConfig(switches=switches, **{name: value for name, value in settings.items() if value is not None})


MIN_SECRET_CHARS = 32
"""HS256 needs a key of at least 256 bits (RFC 7518, 3.2): anything shorter is guessable offline."""


def signing_secret(value: str | None) -> str | None:
    """A given signing key, refused when empty or too short; None (not given) means a random one per start."""
    if value is None:
        return None
    if not value.strip():
        raise UsageError("the JWT signing key must not be empty")
    if len(value) < MIN_SECRET_CHARS:
        raise UsageError(
            f"the JWT signing key must be at least {MIN_SECRET_CHARS} characters (HS256 needs 256 bits), "
            f"got {len(value)}"
        )
    return value


def embedded_server_config(drifts: Sequence[str], flaws: Sequence[str], ws_auth: str | None) -> ServerConfig:
    """The embedded server takes ``CHATMIGRATE_PASSWORD`` and ``CHATMIGRATE_JWT_SECRET`` as ``serve`` does."""
    modes = [mode.value for mode in WsAuth]
    if (ws_auth or WsAuth.URL) not in modes:
        raise UsageError(f"--ws-auth must be {' or '.join(repr(mode) for mode in modes)}")
    return server_config(
        drifts,
        flaws,
        ws_auth=ws_auth or WsAuth.URL.value,
        password=os.environ.get(PASSWORD_ENV) or None,
        jwt_secret=signing_secret(os.environ.get(SECRET_ENV)),
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
        loaded = load_config(found, overrides=overrides) if found else config_from_mapping({}, overrides=overrides)
        yield preflight(loaded), None
        return
    with EmbeddedServer(embedded_server_config(drifts, flaws, ws_auth)) as server:
        logging.getLogger("uvicorn.error").setLevel(logging.ERROR)
        yield embedded_config(server, overrides=overrides), server
