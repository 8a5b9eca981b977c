"""``chatmigrate corpus generate``, ``corpus from-har`` and ``corpus validate``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import typer

from chatmigrate import corpus
from chatmigrate.auth import build_auth
from chatmigrate.cli import _options as opt
from chatmigrate.cli._app import app
from chatmigrate.config import AUTH_KINDS, CHAT_PATH, auth_from_options
from chatmigrate.errors import UsageError
from chatmigrate.har import load_har
from chatmigrate.vocab import Tier

corpus_app = typer.Typer(help="Build and check replay corpora.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


@corpus_app.command(
    "generate",
    epilog=opt.examples(
        "chatmigrate corpus generate --embedded -o corpus.yaml",
        "chatmigrate corpus generate --from-server https://staging.example.com --username bot "
        "--password-env CHAT_PASSWORD -o corpus.yaml",
    ),
)
def generate_command(
    out: Path = typer.Option(..., "-o", "--out", help="Corpus file to write (.yaml, or .jsonl)."),
    from_server: str | None = typer.Option(None, "--from-server", help="Base URL of a live server."),
    embedded: bool = typer.Option(False, "--embedded", help="Generate from a fresh embedded reference server."),
    path: str = typer.Option(CHAT_PATH, "--path", help="Chat admin path on that server."),
    auth: str = typer.Option("session", "--auth", help=f"Auth kind: {', '.join(AUTH_KINDS)}."),
    username: str | None = typer.Option(None, "--username", help="Login or token subject."),
    password_env: str | None = typer.Option(None, "--password-env", help="Env var holding the password."),
    password_file: Path | None = typer.Option(None, "--password-file", help="File holding the password."),
    token_env: str | None = typer.Option(None, "--token-env", help="Env var holding a bearer token."),
    token_file: Path | None = typer.Option(None, "--token-file", help="File holding a bearer token."),
    secret_env: str | None = typer.Option(None, "--secret-env", help="Env var holding the JWT secret (mint)."),
    secret_file: Path | None = typer.Option(None, "--secret-file", help="File holding the JWT secret (mint)."),
    user_id: int | None = typer.Option(None, "--user-id", help="user_id claim (mint)."),
    role: str | None = typer.Option(None, "--role", help="role claim (mint)."),
    login_path: str | None = typer.Option(None, "--login-path", help="Login page (session)."),
    token_path: str | None = typer.Option(None, "--token-path", help="Token endpoint (token-endpoint)."),
    list_query: str = typer.Option(
        "request_type=chat_list", "--list-query", help="Query string that asks the chat path for its chat list."
    ),
    list_key: str | None = typer.Option(
        None, "--list-key", help="Key of the chat list in that answer, dotted if nested [default: found by shape]."
    ),
    id_field: str | None = typer.Option(
        None, "--id-field", help="Chatroom id field of the listed objects [default: chatroom_id, room_id or id]."
    ),
) -> None:
    """Every chatroom x request_type, paging, an unknown chatroom and bad parameters, from a live server."""
    if embedded == (from_server is not None):
        raise UsageError("give exactly one of --from-server URL or --embedded")
    try:
        chat_list = corpus.ChatListRequest(corpus.parse_list_query(list_query), list_key, id_field)
    except ValueError:
        raise UsageError(
            f"--list-query expects a query string like request_type=chat_list, got {list_query!r}"
        ) from None
    if from_server is not None:
        if urlsplit(from_server).scheme not in ("http", "https") or not urlsplit(from_server).netloc:
            raise UsageError(
                f"--from-server needs an http(s) URL like https://staging.example.com, got {from_server!r}"
            )
        options = {
            "kind": auth,
            "username": username,
            "password_env": password_env,
            "password_file": str(password_file) if password_file else None,
            "token_env": token_env,
            "token_file": str(token_file) if token_file else None,
            "secret_env": secret_env,
            "secret_file": str(secret_file) if secret_file else None,
            "user_id": user_id,
            "role": role,
            "login_path": login_path,
            "token_path": token_path,
        }
        adapter = build_auth(auth_from_options(options), from_server)
        entries = corpus.generate_corpus(from_server, adapter, path=path, chat_list=chat_list)
        source = from_server
    else:
        from chatmigrate.config import Config
        from chatmigrate.embedded import EmbeddedServer

        with EmbeddedServer() as server:
            settings = Config.embedded(server).targets[Tier.OLD]
            adapter = build_auth(settings.auth, server.base_url)
            entries = corpus.generate_corpus(server.base_url, adapter, path=path, chat_list=chat_list)
        source = "the embedded reference server (default seed)"
    corpus.dump_corpus(entries, out, comment=f"generated by 'chatmigrate corpus generate' from {source}")
    typer.echo(f"wrote {len(entries)} entries to {out}")


@corpus_app.command(
    "from-har",
    epilog=opt.examples(
        "chatmigrate corpus from-har capture.har -o corpus.yaml",
        "chatmigrate corpus from-har capture.har -o corpus.jsonl && chatmigrate corpus validate corpus.jsonl",
    ),
)
def from_har_command(
    file: Path = typer.Argument(..., help="HAR file exported from the browser's devtools."),
    out: Path = typer.Option(..., "-o", "--out", help="Corpus file to write (.yaml, or .jsonl)."),
) -> None:
    """Chat API requests of a browser capture as a corpus; cookies, tokens and passwords are dropped."""
    entries = load_har(file)
    if not entries:
        raise UsageError(
            f"{file}: no chat API request in this capture (looked for /admin/chat/, /api/v1/admin/chat/, "
            "/api/chat-*, /api/v1/chat/send/)"
        )
    corpus.dump_corpus(entries, out, comment=f"imported by 'chatmigrate corpus from-har' from {file.name}")
    unsafe = sum(1 for entry in entries if entry.unsafe)
    typer.echo(f"wrote {len(entries)} entries to {out} ({unsafe} change state and need --allow-writes)")


@corpus_app.command(
    "validate",
    epilog=opt.examples("chatmigrate corpus validate corpus.yaml", "chatmigrate corpus validate corpus.jsonl"),
)
def validate_command(file: Path = typer.Argument(..., help="Corpus file (YAML or JSONL).")) -> None:
    """Check a corpus against contracts/schemas/corpus.json; errors name file, line and key."""
    entries = corpus.load_corpus(file)
    unsafe = sum(1 for entry in entries if entry.unsafe)
    typer.echo(f"{file}: {len(entries)} entries, valid ({unsafe} change state and need --allow-writes)")
