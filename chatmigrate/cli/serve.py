"""``chatmigrate serve``: run the reference server in the foreground."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import typer

from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.errors import UsageError
from chatmigrate.server.config import DEFAULT_PASSWORD
from chatmigrate.server.seed import PRINCIPALS
from chatmigrate.server.switches import listing
from chatmigrate.targets import MIN_SECRET_CHARS, PASSWORD_ENV, SECRET_ENV, server_config, signing_secret

MAX_PLAYERS = 10_000


@app.command(
    epilog=opt.examples(
        "chatmigrate serve --port 8000",
        "chatmigrate serve --drift reverse-order --flaw html-401 --ws-auth jwt",
        "chatmigrate serve --list",
    )
)
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on (0 picks a free one)."),
    db: Path | None = typer.Option(None, "--db", help="SQLite file; default: a temporary file removed on exit."),
    seed: int = typer.Option(42, help="Seed of the deterministic data set."),
    players: int = typer.Option(12, help=f"Number of players, one chatroom each (1..{MAX_PLAYERS})."),
    password: str = typer.Option(
        DEFAULT_PASSWORD,
        envvar=PASSWORD_ENV,
        help="Password of every seeded principal.",
        show_default=False,
    ),
    ws_auth: str = typer.Option("url", help="WebSocket auth: 'url' (trusts ?user_id=) or 'jwt' (token first)."),
    ws_auth_timeout: float = typer.Option(5.0, help="Seconds a jwt-mode socket has to send its auth message."),
    jwt_secret: str | None = typer.Option(
        None,
        show_default=False,
        help=f"HS256 signing key, {MIN_SECRET_CHARS}+ characters [env: {SECRET_ENV}; default: random per start].",
    ),
    allowed_origin: list[str] = typer.Option([], help="Extra browser Origin allowed (repeatable)."),
    drift: list[str] = typer.Option([], help="Parity drift on the JWT tier (repeatable; see --list)."),
    flaw: list[str] = typer.Option([], help="Auth flaw on the JWT tier (repeatable; see --list)."),
    list_switches: bool = typer.Option(False, "--list", help="Print every drift and flaw, one per line."),
    debug: opt.Debug = False,
) -> None:
    """Run the embedded reference server: legacy admin, JWT API, proxy routes and chat WebSocket."""
    if list_switches:
        for line in listing():
            typer.echo(line)
        return
    if ws_auth not in ("url", "jwt"):
        raise UsageError("--ws-auth must be 'url' or 'jwt'")
    if not 1 <= players <= MAX_PLAYERS:
        raise UsageError(f"--players must be between 1 and {MAX_PLAYERS}")
    if not ws_auth_timeout > 0:
        raise UsageError("--ws-auth-timeout must be a positive number of seconds")
    mode: Literal["url", "jwt"] = "url" if ws_auth == "url" else "jwt"
    config = server_config(
        drift,
        flaw,
        db_path=str(db) if db else None,
        seed=seed,
        players=players,
        password=password,
        ws_auth=mode,
        ws_auth_timeout=ws_auth_timeout,
        jwt_secret=signing_secret(os.environ.get(SECRET_ENV) if jwt_secret is None else jwt_secret),
        allowed_origins=tuple(allowed_origin),
    )
    from chatmigrate.embedded import bind_socket, uvicorn_server
    from chatmigrate.server.address import authority
    from chatmigrate.server.app import create_app

    sock = bind_socket(host, port)
    port = sock.getsockname()[1]
    application = create_app(config)
    store_path = application.state.ctx.store.path
    base = f"http://{authority(host, port)}"
    typer.echo(f"chatmigrate reference server on {base}", err=True)
    typer.echo(f"  legacy   {base}/admin/login/  {base}/admin/chat/", err=True)
    typer.echo(f"  jwt      {base}/api/v1/auth/token/  {base}/api/v1/admin/chat/  {base}/api/v1/chat/send/", err=True)
    typer.echo(f"  proxy    {base}/api/chat-messages  /api/chat-purchases  /api/chat-users", err=True)
    typer.echo(f"  ws       ws://{authority(host, port)}/ws/cschat/P1001Chat/?user_id=1  (auth: {mode})", err=True)
    typer.echo(f"  contracts {base}/openapi/openapi-jwt.json", err=True)
    typer.echo(f"  database {store_path}{' (temporary)' if db is None else ''}", err=True)
    shown = "the --password value" if password != DEFAULT_PASSWORD else DEFAULT_PASSWORD
    names = ", ".join(f"{name} ({role}{'' if active else ', inactive'})" for _, name, role, _, active in PRINCIPALS)
    typer.echo(f"  principals {names}; password: {shown}", err=True)
    if config.switches.drifts or config.switches.flaws:
        typer.echo(
            f"  switches drifts={sorted(config.switches.drifts)} flaws={sorted(config.switches.flaws)}",
            err=True,
        )
    uvicorn_server(application).run(sockets=[sock])
