"""Run the reference server in-process on an ephemeral loopback port.

Used by ``chatmigrate gate`` with no config, by the audit and by the test-suite:
a real uvicorn on a real socket, so everything goes over the wire.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from chatmigrate.errors import TransportError, UsageError
from chatmigrate.server.address import authority
from chatmigrate.server.app import create_app
from chatmigrate.server.config import ServerConfig

MAX_HEADER_BYTES = 256 * 1024
LISTEN_BACKLOG = 2048


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen before uvicorn starts: port 0 resolves to a known free port, and a client that
    connects as soon as the banner shows it waits in the backlog instead of being refused."""
    if not 0 <= port <= 65535:
        raise UsageError(f"cannot listen on port {port}: ports go from 0 to 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY only on such sockets, and without it a response
    # written as headers then body waits for the client's delayed ACK (about 40 ms per request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(LISTEN_BACKLOG)
    return sock


def uvicorn_server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        ws_ping_interval=None,
        timeout_graceful_shutdown=2,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )
    return uvicorn.Server(config)


class LoopbackServer:
    """Context manager: any ASGI app on uvicorn, on an ephemeral loopback port, in a background thread."""

    name = "loopback server"

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        return f"http://{authority(self.host, self.port)}"

    @property
    def ws_url(self) -> str:
        return f"ws://{authority(self.host, self.port)}"

    def start(self) -> Self:
        sock = bind_socket(self.host, 0)
        self.port = sock.getsockname()[1]
        self._socket = sock
        self._server = uvicorn_server(self.app)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"chatmigrate-{self.name}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise TransportError(f"{self.name} failed to start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class EmbeddedServer(LoopbackServer):
    """Context manager: ``with EmbeddedServer(config) as server: server.base_url``."""

    name = "embedded reference server"

    def __init__(self, config: ServerConfig | None = None, host: str = "127.0.0.1") -> None:
        self.config = config or ServerConfig()
        super().__init__(create_app(self.config), host)
