"""User-facing failures, typed by cause: each carries the exit code the CLI, the gate and the pytest plugin promise.

``exit_code_of`` is the one mapping from an error to an exit code and ``one_line`` the one way to say it, so
every front end agrees: 2 for bad input (usage, config, corpus, results), 3 for a target that cannot be
reached or does not speak HTTP sanely, 130 for an interrupt. Anything else escaping is a bug.
"""

from __future__ import annotations

from chatmigrate.redact import redact
from chatmigrate.vocab import ExitCode


class ChatmigrateError(Exception):
    exit_code: ExitCode = ExitCode.USAGE


class UsageError(ChatmigrateError):
    """A flag, argument or combination of them that cannot work."""


class ConfigError(ChatmigrateError):
    """An input file that cannot be used (the config, or one of the narrower causes below); names file, line, key."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, key: str | None = None
    ) -> None:
        where = ":".join(str(part) for part in (file, line) if part is not None)
        parts = [where] if where else []
        if key:
            parts.append(f"key {key!r}")
        prefix = " ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.file, self.line, self.key = file, line, key


class CorpusError(ConfigError):
    """A corpus file (YAML, JSONL, HAR) that cannot be read or does not describe requests."""


class ResultsError(ConfigError):
    """A results folder or output path that is not chatmigrate's to read, resume or overwrite."""


class TargetError(ChatmigrateError):
    """A target that cannot be reached or does not speak HTTP sanely; results so far are kept."""

    exit_code = ExitCode.TRANSPORT


TransportError = TargetError
"""The name the runners raise it under: a transport fault is the target's, not the user's."""


class Interrupted(ChatmigrateError):
    """Ctrl-C: what was gathered so far is kept."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, message: str = "interrupted; results gathered so far are kept") -> None:
        super().__init__(message)


def exit_code_of(error: BaseException) -> ExitCode:
    """The exit code for anything that ends a run; an unexpected exception is a usage-level failure, never 0."""
    if isinstance(error, ChatmigrateError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.USAGE


def one_line(error: BaseException) -> str:
    """The redacted line a user sees; an unexpected exception is named as an internal error with its type."""
    if isinstance(error, ChatmigrateError):
        return f"error: {redact(str(error))}"
    if isinstance(error, KeyboardInterrupt):
        return f"error: {Interrupted()}"
    first = str(error).splitlines()[0] if str(error) else ""
    return f"internal error: {type(error).__name__}: {redact(first)}"
