"""chatmigrate: make a session-cookie to JWT-bearer auth cutover safe.

The public API lives in ``chatmigrate.api`` and is offered here by name. It is loaded on first use, so
``import chatmigrate`` (and the pytest plugin's entry point) stays cheap for a project that never calls it.
"""

# ruff: noqa: F405  (the names in __all__ come from the star import that type checkers read)
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from chatmigrate.api import *  # noqa: F403  (the same names as __all__, for type checkers)

__all__ = [
    "AuditOptions",
    "AuditOutcome",
    "AuditResult",
    "AuditTarget",
    "ChatmigrateError",
    "Config",
    "ConfigError",
    "CorpusError",
    "ExitCode",
    "Finding",
    "GateOutcome",
    "Interrupted",
    "ParityOutcome",
    "Reporter",
    "ResultsError",
    "RunResult",
    "Severity",
    "TargetError",
    "Tier",
    "UsageError",
    "Verdict",
    "audit_options_from_config",
    "embedded_target",
    "exit_code_of",
    "load_config",
    "load_run",
    "open_targets",
    "run_audit",
    "run_gate",
    "run_parity",
    "target_from_config",
    "write_reports",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from chatmigrate import api

        return getattr(api, name)
    raise AttributeError(f"module 'chatmigrate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
