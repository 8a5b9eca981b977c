"""User-facing failures: each carries the exit code the CLI and the gate promise.

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``;
anything else escaping to the top level is a bug and is reported as such.
"""

from __future__ import annotations

from chatmigrate.vocab import ExitCode


class ChatmigrateError(Exception):
    exit_code: ExitCode = ExitCode.USAGE


class UsageError(ChatmigrateError):
    """A flag, argument or combination of them that cannot work."""


class ConfigError(ChatmigrateError):
    """A config, corpus, baseline or results file that cannot be used; names file, line and key."""

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


class TransportError(ChatmigrateError):
    """A target that cannot be reached or does not speak HTTP sanely; results so far are kept."""

    exit_code = ExitCode.TRANSPORT
