"""Assemble the reference server: every tier on one Starlette app over one SQLite store."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from chatmigrate import redact
from chatmigrate.contracts import contracts_dir
from chatmigrate.errors import ConfigError
from chatmigrate.server import jwt_api, legacy, pages, proxy, token_api, users_api, ws
from chatmigrate.server.config import DEFAULT_PASSWORD, ServerConfig
from chatmigrate.server.context import ServerContext
from chatmigrate.server.cors import ReflectingCors
from chatmigrate.server.db import Store
from chatmigrate.server.responses import error
from chatmigrate.server.seed import plant_active_html, seed_store
from chatmigrate.server.throttle import LoginThrottle
from chatmigrate.vocab import Flaw


async def _contract(request: Request) -> Response:
    root = contracts_dir().resolve()
    target = (root / request.path_params["name"]).resolve()
    if not target.is_relative_to(root) or not target.is_file() or target.suffix != ".json":
        return error(404, "Not found", "no such contract")
    return FileResponse(target, media_type="application/json")


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


PROXY_KEEPALIVE_SECONDS = 1.0
_HTTP_MESSAGES = {404: "Not found", 405: "Method not allowed"}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing errors in each tier's own style: JSON under ``/api/`` (the JWT tier is JSON always),
    Django's HTML pages elsewhere."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        message = _HTTP_MESSAGES.get(exc.status_code, "Invalid request")
        return error(exc.status_code, message, f"{request.method} {request.url.path}: {message}", exc.headers)
    if exc.status_code == 404:
        return HTMLResponse(pages.not_found_page(request.url.path), 404)
    return Response(status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    """A JSON 500 without details: the reference server must never leak a traceback by accident."""
    return error(500, "Server error", "unexpected error")


def open_store(config: ServerConfig) -> tuple[Store, Path | None]:
    """Open (and seed, when new) the database; returns the temp dir to remove at shutdown, if any."""
    temp_dir = None
    path = config.db_path
    if path is None:
        temp_dir = Path(tempfile.mkdtemp(prefix="chatmigrate-"))
        path = str(temp_dir / "chat.sqlite3")
    try:
        store = Store(path)
        if store.is_empty():
            seed_store(store, config.seed, config.players, config.messages_per_room, config.password)
    except sqlite3.Error as problem:
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
        raise ConfigError(f"cannot open the SQLite database ({problem})", file=path) from None
    return store, temp_dir


def create_app(config: ServerConfig) -> Starlette:
    """The whole server; its signing key (and a non-default password) are registered for redaction."""
    if not config.jwt_secret:
        raise ConfigError("the JWT signing key must not be empty")
    redact.register_secret(config.jwt_secret)
    if config.password != DEFAULT_PASSWORD:
        redact.register_secret(config.password)
    store, temp_dir = open_store(config)
    if config.switches.flaw(Flaw.STORED_ACTIVE_HTML):
        plant_active_html(store)
    throttle = LoginThrottle(config.login_failure_limit, config.login_failure_window)
    ctx = ServerContext(config=config, store=store, throttle=throttle)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Idle connections go well before uvicorn closes them (5 s): a pooled connection the server is closing
        # just then would fail the proxy's next forward with a 502.
        limits = httpx.Limits(keepalive_expiry=PROXY_KEEPALIVE_SECONDS)
        ctx.http = httpx.AsyncClient(timeout=10.0, follow_redirects=False, limits=limits)
        try:
            yield
        finally:
            await ctx.http.aclose()
            store.close()
            if temp_dir is not None:
                shutil.rmtree(temp_dir, ignore_errors=True)

    routes = [
        *legacy.routes,
        *token_api.routes,
        *jwt_api.routes,
        *users_api.routes,
        *proxy.routes,
        *ws.routes,
        Route("/openapi/{name:path}", _contract),
        Route("/healthz", _health),
    ]
    cors = [Middleware(ReflectingCors)] if config.switches.flaw(Flaw.CORS_REFLECT_CREDENTIALS) else []
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=cors,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.ctx = ctx
    return app
