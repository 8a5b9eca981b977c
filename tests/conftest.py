"""Reference servers for the tests: one real uvicorn per switch set, on an ephemeral loopback port."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import pytest

from chatmigrate import redact
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.config import ServerConfig
from chatmigrate.server.switches import Switches

ServerFactory = Callable[..., EmbeddedServer]


@contextlib.contextmanager
def server_pool() -> Iterator[ServerFactory]:
    """A factory that starts one server per distinct setting set, reuses it, and stops them all at the end."""
    started: dict[tuple[object, ...], EmbeddedServer] = {}

    def factory(
        drifts: tuple[str, ...] = (),
        flaws: tuple[str, ...] = (),
        ws_auth: Literal["url", "jwt"] = "url",
        **settings: object,
    ) -> EmbeddedServer:
        key = (tuple(sorted(drifts)), tuple(sorted(flaws)), ws_auth, tuple(sorted(settings.items())))
        if key not in started:
            config = ServerConfig(switches=Switches.parse(list(drifts), list(flaws)), ws_auth=ws_auth, **settings)
            started[key] = EmbeddedServer(config).start()
        return started[key]

    try:
        yield factory
    finally:
        with ThreadPoolExecutor() as pool:  # stopping one by one costs a few hundred ms per server
            list(pool.map(EmbeddedServer.stop, started.values()))


@pytest.fixture(scope="session")
def server_with() -> Iterator[ServerFactory]:
    """``server_with(drifts=(...), flaws=(...), ws_auth="jwt")``: started once per distinct set, then reused."""
    with server_pool() as factory:
        yield factory


@pytest.fixture(scope="module")
def own_server_with() -> Iterator[ServerFactory]:
    """Like ``server_with``, but the servers belong to one test module: no other module's writes reach them.
    For tests that compare data across servers."""
    with server_pool() as factory:
        yield factory


@pytest.fixture(scope="session")
def server(server_with: ServerFactory) -> EmbeddedServer:
    """The clean server. Treat its data as read-only: tests that send or mark read use ``scratch_server``."""
    return server_with()


@pytest.fixture(scope="session")
def scratch_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """A clean server tests may write to; its SQLite file is ``scratch_server.config.db_path``."""
    config = ServerConfig(db_path=str(tmp_path_factory.mktemp("scratch") / "chat.sqlite3"))
    with EmbeddedServer(config) as started:
        yield started


@pytest.fixture
def config_file(tmp_path: Path) -> Callable[..., Path]:
    """``config_file(server, password_env="X", proxy=True, ws=True, extra="[run]...")``: a chatmigrate.toml in
    ``tmp_path`` whose old (session) and new (token endpoint) targets, and optionally proxy (token endpoint) and
    ws, are ``server`` (or a base URL), logged in as ``admin`` with the password in ``$password_env``."""

    def write(
        server: EmbeddedServer | str,
        *,
        password_env: str = "CM_TEST_PASSWORD",
        proxy: bool | str = False,
        ws: bool = False,
        extra: str = "",
        name: str = "chatmigrate.toml",
    ) -> Path:
        base = server if isinstance(server, str) else server.base_url
        login = f'username = "admin", password_env = "{password_env}"'
        tables = [("old", base, "session"), ("new", base, "token-endpoint")]
        if proxy:
            tables.append(("proxy", proxy if isinstance(proxy, str) else base, "token-endpoint"))
        text = "".join(
            f'[targets.{side}]\nbase_url = "{url}"\nauth = {{ kind = "{kind}", {login} }}\n\n'
            for side, url, kind in tables
        )
        if ws:
            assert isinstance(server, EmbeddedServer), "a WebSocket URL needs a server"
            text += f'[ws]\nurl = "{server.ws_url}"\n\n'
        path = tmp_path / name
        path.write_text(text + extra)
        return path

    return write


@pytest.fixture(autouse=True)
def _fresh_secret_registry() -> Iterator[None]:
    """Secrets registered by one test must not redact another test's output."""
    yield
    redact.forget_secrets()
