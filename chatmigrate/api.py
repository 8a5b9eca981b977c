"""The public library API: what ``import chatmigrate`` offers, for scripts, notebooks and other test runners.

Three runs, each judged under the config's ``[gate]`` limits and baseline and written to the results
folder (``run.json``): ``run_parity`` (replay and compare), ``run_audit`` (the auth-failure audit) and
``run_gate`` (both, one verdict, every report). Every failure is a ``ChatmigrateError`` carrying its
exit code; ``exit_code_of`` maps anything raised to the code the CLI would exit with.

    import chatmigrate

    config = chatmigrate.load_config("chatmigrate.toml")
    outcome = chatmigrate.run_gate(config, chatmigrate.target_from_config(config), formats=["md"])
    print(outcome.verdict.reason)
"""

from __future__ import annotations

from chatmigrate.audit import AuditOptions, AuditOutcome, AuditTarget
from chatmigrate.audit.target import audit_options_from_config, embedded_target, target_from_config
from chatmigrate.config import Config, load_config
from chatmigrate.errors import (
    ChatmigrateError,
    ConfigError,
    CorpusError,
    Interrupted,
    ResultsError,
    TargetError,
    UsageError,
    exit_code_of,
)
from chatmigrate.gate import GateOutcome, run_gate
from chatmigrate.gate import run_audit_suite as run_audit
from chatmigrate.parity import ParityOutcome, run_parity
from chatmigrate.records import AuditResult, Finding, RunResult, Verdict
from chatmigrate.report import Reporter
from chatmigrate.report import render as write_reports
from chatmigrate.results import load_run
from chatmigrate.targets import open_targets
from chatmigrate.vocab import ExitCode, Severity, Tier

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
