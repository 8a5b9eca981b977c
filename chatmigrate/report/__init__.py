"""Reporters: render a finished run (``run.json``) as HTML, JSON, JUnit XML, Markdown and SARIF.

They read only the ``RunResult``, never the network, so a report can be re-rendered from
a results folder at any time and gives the same files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from chatmigrate.errors import ConfigError, UsageError
from chatmigrate.parity import load_run as load_run  # re-exported: reporters read what parity wrote
from chatmigrate.records import RunResult
from chatmigrate.report import html, jsonreport, junit, markdown, sarif
from chatmigrate.report.summary import DEFAULT_FAIL_ON, redacted
from chatmigrate.vocab import Severity

Writer = Callable[..., Path]
WRITERS: dict[str, Writer] = {
    "html": html.write,
    "json": jsonreport.write,
    "junit": junit.write,
    "md": markdown.write,
    "sarif": sarif.write,
}
FORMATS: tuple[str, ...] = tuple(WRITERS)


def parse_formats(text: str) -> list[str]:
    """``"html,md"`` -> ``["html", "md"]``; an unknown name is a usage error naming the valid ones."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if not names:
        raise UsageError(f"no report format given; choose from {', '.join(FORMATS)}")
    return _known(names)


def render(run: RunResult, out_dir: Path, formats: Iterable[str], *, fail_on: Severity = DEFAULT_FAIL_ON) -> list[Path]:
    """Write the requested formats into ``out_dir`` (created if needed); returns the files written."""
    chosen = _known(formats)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create report folder: {error.strerror}", file=str(out_dir)) from error
    safe = redacted(run)
    return [WRITERS[name](safe, out_dir, fail_on=fail_on) for name in chosen]


def _known(names: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(names))
    unknown = [name for name in chosen if name not in WRITERS]
    if unknown:
        raise UsageError(f"unknown report format {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return chosen
