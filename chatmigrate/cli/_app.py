"""The shared typer application that command modules register on."""

from __future__ import annotations

from dataclasses import dataclass

import typer


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


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors.")) -> None:
    state.debug = debug
