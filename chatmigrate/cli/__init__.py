"""Command-line entry point: a thin typer layer over the library API.

Every user-facing failure is a ``ChatmigrateError`` printed as one redacted line
with its exit code; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import sys

import typer

from chatmigrate.cli import audit as _audit  # noqa: F401  (registers commands)
from chatmigrate.cli import corpus as _corpus  # noqa: F401  (registers commands)
from chatmigrate.cli import gate as _gate  # noqa: F401  (registers commands)
from chatmigrate.cli import merge as _merge  # noqa: F401  (registers commands)
from chatmigrate.cli import replay as _replay  # noqa: F401  (registers commands)
from chatmigrate.cli import report as _report  # noqa: F401  (registers commands)
from chatmigrate.cli import serve as _serve  # noqa: F401  (registers commands)
from chatmigrate.cli import shadow as _shadow  # noqa: F401  (registers commands)
from chatmigrate.cli import token as _token  # noqa: F401  (registers commands)
from chatmigrate.cli._app import app, state
from chatmigrate.errors import ChatmigrateError, exit_code_of, one_line
from chatmigrate.redact import redact
from chatmigrate.vocab import ExitCode

INTERRUPTED = int(ExitCode.INTERRUPTED)


def _split(args: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The options part of the line and what follows a ``--`` (taken literally, ``--debug`` included)."""
    if "--" not in args:
        return args, [], []
    index = args.index("--")
    return args[:index], ["--"], args[index + 1 :]


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    head, sep, tail = _split(args)
    state.debug = "--debug" in head
    try:
        code = app(args=[arg for arg in head if arg != "--debug"] + sep + tail, standalone_mode=False)
    except typer.TyperException as error:  # typer's bundled click raises its usage errors as these
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            print(f"chatmigrate: error: {redact(str(error))}", file=sys.stderr)
        sys.exit(error.exit_code)
    except (typer.Abort, EOFError):
        print("chatmigrate: aborted", file=sys.stderr)
        sys.exit(INTERRUPTED)
    except ChatmigrateError as error:
        if state.debug:
            raise
        print(f"chatmigrate: {one_line(error)}", file=sys.stderr)
        sys.exit(exit_code_of(error))
    except KeyboardInterrupt:
        code = INTERRUPTED
    except SystemExit:
        raise
    except Exception as error:  # the last line of defence: never a traceback without --debug
        if state.debug:
            raise
        print(f"chatmigrate: {one_line(error)} (rerun with --debug)", file=sys.stderr)
        sys.exit(exit_code_of(error))
    if code == INTERRUPTED:  # typer turns Ctrl-C inside a command into this return value
        print("chatmigrate: interrupted; results gathered so far are kept", file=sys.stderr)
    sys.exit(code if isinstance(code, int) else 0)
