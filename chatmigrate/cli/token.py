"""``chatmigrate token mint`` and ``chatmigrate token inspect``.

``mint`` is the one command whose purpose is to output a token: it prints it to
stdout and nowhere else. Everything else here goes through redaction.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from chatmigrate.auth import mint_token, resolve_secret
from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.config import parse_duration
from chatmigrate.errors import UsageError
from chatmigrate.redact import redact
from chatmigrate.tokeninspect import inspect_token

token_app = typer.Typer(help="Mint and inspect HS256 access tokens for staging.", no_args_is_help=True)
app.add_typer(token_app, name="token")


def _secret(secret_env: str | None, secret_file: Path | None) -> str:
    if secret_env is None and secret_file is None:
        raise UsageError("give the signing secret by reference: --secret-env NAME or --secret-file PATH")
    return resolve_secret(env_name=secret_env, file=secret_file, inline=None, what="secret")


@token_app.command(
    "mint",
    epilog=opt.examples(
        "chatmigrate token mint --username bot --user-id 42 --secret-env STAGING_JWT_SECRET",
        "chatmigrate token mint --username viewer --user-id 7 --role viewer --ttl 2h --secret-file jwt.key",
    ),
)
def mint_command(
    username: str = typer.Option(..., "--username", help="username claim."),
    user_id: int = typer.Option(..., "--user-id", help="user_id claim."),
    role: str = typer.Option("admin", "--role", help="role claim."),
    email: str = typer.Option("", "--email", help="email claim."),
    ttl: str = typer.Option("15m", "--ttl", help="Lifetime, e.g. 900, 15m, 2h."),
    secret_env: str | None = typer.Option(None, "--secret-env", help="Env var holding the HS256 secret."),
    secret_file: Path | None = typer.Option(None, "--secret-file", help="File holding the HS256 secret."),
) -> None:
    """Print a signed access token with the JWT tier's claims (user_id, username, email, role, exp, iat)."""
    try:
        seconds = parse_duration(ttl)
    except ValueError as error:
        raise UsageError(f"--ttl: {error}") from None
    token = mint_token(
        _secret(secret_env, secret_file), user_id=user_id, username=username, role=role, email=email, ttl=seconds
    )
    sys.stdout.write(token + "\n")


@token_app.command(
    "inspect",
    epilog=opt.examples(
        "chatmigrate token inspect eyJhbGciOi...",
        "chatmigrate token mint --username bot --user-id 42 --secret-env KEY | chatmigrate token inspect -",
    ),
)
def inspect_command(
    token: str = typer.Argument(..., help="The JWT, or '-' to read it from stdin."),
    secret_env: str | None = typer.Option(
        None, "--secret-env", help="Env var holding the secret, to check the signature."
    ),
    secret_file: Path | None = typer.Option(None, "--secret-file", help="File holding the secret."),
) -> None:
    """Decoded header and claims, expiry in words, signature status (the signature itself is never shown)."""
    text = sys.stdin.read().strip() if token == "-" else token.strip()
    secret = _secret(secret_env, secret_file) if secret_env or secret_file else None
    report = inspect_token(text, secret=secret)
    lines = [
        f"header:    {json.dumps(report.header, sort_keys=True)}",
        f"claims:    {json.dumps(report.claims, sort_keys=True)}",
        f"expiry:    {report.expiry}",
        f"signature: {report.signature}",
    ]
    typer.echo(redact("\n".join(lines)))
