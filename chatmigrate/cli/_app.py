"""The shared typer application that command modules register on."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from chatmigrate import __version__


@dataclass
class _State:
    debug: bool = False


state = _State()

app = typer.Typer(
    name="chatmigrate",
    help="Make a session-cookie to JWT-bearer auth cutover safe: parity replay, auth audit, reports, CI gate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chatmigrate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors (anywhere on the line)."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    state.debug = state.debug or debug
