"""The options commands share, each declared once and reused by every command that takes it.

An option that sets a config key is declared by the key (``keyed``): its name, help and parser come from the
config models, and the value it is given reaches the config as an override, the way ``--set KEY=VALUE``
does. Flags win over ``--set`` pairs, which win over the environment, which wins over the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic.fields import FieldInfo

from chatmigrate import report
from chatmigrate.cli._app import state
from chatmigrate.config.reference import cli_option, keys
from chatmigrate.errors import UsageError
from chatmigrate.vocab import AUDIT_TIERS, Severity

OVERRIDES = "chatmigrate.overrides"
KEYS: dict[str, FieldInfo] = {".".join(path): info for path, info in keys()}
OPTION_KEYS: dict[str, str] = {}
"""Option name -> the config key it sets, for every keyed option."""


def keyed(key: str, *decls: str, convert: Callable[[Any], Any] = lambda value: value, **kwargs: Any) -> Any:
    """A typer option that sets config key ``key``; declared by the key, whose ``cli`` names the option."""
    info = KEYS[key]
    name = cli_option(info)
    if name is None or (decls or (name,))[0].split("/")[0] != name:
        raise LookupError(f"config key {key} declares no option {decls or name}")
    OPTION_KEYS[name] = key

    def remember(ctx: typer.Context, value: Any) -> Any:
        converted = convert(value)
        if converted is not None:
            ctx.meta.setdefault(OVERRIDES, {})[key] = converted
        return value

    return typer.Option(
        *(decls or (name,)), help=f"{_sentence(info.description)} [config: {key}]", callback=remember, **kwargs
    )


def _sentence(text: str | None) -> str:
    text = (text or "").strip()
    text = text.replace("`", "")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _absolute(value: Path | None) -> str | None:
    """A path given on the command line is relative to the working directory, not to the config file."""
    return str(value.resolve()) if value is not None else None


def _tiers(names: list[str] | None) -> list[str] | None:
    choices = [*AUDIT_TIERS, "all"]
    unknown = [name for name in names or [] if name not in choices]
    if unknown:
        raise UsageError(f"--target must be one of {', '.join(choices)}, got {', '.join(unknown)}")
    return list(names) if names else None


def _severity(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Severity.parse(value).value
    except ValueError as error:
        raise UsageError(f"--fail-on: {error}") from None


def _debug(value: bool) -> bool:
    state.debug = state.debug or value
    return value


def settings_overrides(ctx: typer.Context, settings: list[str] | None) -> dict[str, Any]:
    """``--set`` pairs first; keyed options that were given win over them."""
    pairs: dict[str, Any] = {}
    for setting in settings or []:
        key, sep, value = setting.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE like run.concurrency=4, got {setting!r}")
        pairs[key.strip()] = value
    return {**pairs, **ctx.meta.get(OVERRIDES, {})}


def examples(*lines: str) -> str:
    """The ``--help`` epilog: real command lines, kept as written."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


ConfigFile = Annotated[
    Path | None, typer.Option("--config", "-c", help="chatmigrate.toml [default: $CHATMIGRATE_CONFIG or discovered].")
]
Results = Annotated[Path | None, keyed("run.output_dir")]
Reports = Annotated[Path, typer.Option("--out", "-o", help="Reports folder.")]
OptionalReports = Annotated[
    Path | None, typer.Option("--out", "-o", help="Reports folder [default: the results folder].")
]
Formats = Annotated[str, typer.Option("--format", "-f", help=f"Comma-separated: {', '.join(report.FORMATS)}.")]
StepSummary = Annotated[
    Path | None,
    typer.Option(
        "--step-summary", help='Also append the Markdown summary here, e.g. "$GITHUB_STEP_SUMMARY" in GitHub Actions.'
    ),
]
Progress = Annotated[
    bool | None, typer.Option("--progress/--no-progress", help="Progress on stderr [default: on a TTY].")
]
Debug = Annotated[
    bool, typer.Option("--debug", callback=_debug, help="Show tracebacks for errors (anywhere on the line).")
]
Settings = Annotated[list[str] | None, typer.Option("--set", help="Override any config key: KEY=VALUE (repeatable).")]
FailOn = Annotated[str | None, keyed("gate.fail_on", convert=_severity)]
MaxFindings = Annotated[int | None, keyed("gate.max_findings")]
Baseline = Annotated[Path | None, keyed("gate.baseline", convert=_absolute)]
Corpus = Annotated[Path | None, keyed("run.corpus", convert=_absolute)]
Concurrency = Annotated[int | None, keyed("run.concurrency")]
RateLimit = Annotated[float | None, keyed("run.rate_limit")]
Timeout = Annotated[str | None, keyed("run.timeout")]
Retries = Annotated[int | None, keyed("run.retries")]
Repeats = Annotated[int | None, keyed("run.repeats")]
Seed = Annotated[int | None, keyed("audit.seed")]
Budget = Annotated[int | None, keyed("audit.budget")]
Contract = Annotated[bool | None, keyed("audit.contract", "--contract/--no-contract")]
AuditTiers = Annotated[list[str] | None, keyed("audit.tiers", "--target", "-t", convert=_tiers)]
WsUrlStrict = Annotated[
    bool, keyed("audit.ws_url_mode_severity", convert=lambda strict: Severity.HIGH.value if strict else None)
]
Listen = Annotated[str | None, keyed("shadow.listen")]
SampleRate = Annotated[float | None, keyed("shadow.sample_rate")]
Recorded = Annotated[
    Path | None,
    typer.Option("--recorded", help="A GoReplay capture (with responses): its requests, and old's recorded answers."),
]
Shard = Annotated[str | None, typer.Option("--shard", help="Run shard K of N (1-based), e.g. 2/4.")]
Resume = Annotated[bool, typer.Option("--resume", help="Skip entries already complete in exchanges.jsonl.")]
AllowWrites = Annotated[
    bool, typer.Option("--allow-writes", help="Send unsafe requests to non-embedded targets (bad credentials only).")
]
Drifts = Annotated[list[str] | None, typer.Option("--drift", help="Embedded server only: a parity drift (repeatable).")]
Flaws = Annotated[list[str] | None, typer.Option("--flaw", help="Embedded server only: an auth flaw (repeatable).")]
WsAuthMode = Annotated[str | None, typer.Option("--ws-auth", help="Embedded server only: url (default) or jwt.")]
