"""Reporters: render a finished run (``run.json``) as HTML, JSON, JUnit XML, Markdown and SARIF.

Each format is a ``Reporter``: a file name and a pure rendering of the ``RunResult``. They never touch
the network or the disk; ``render`` here writes what they return (to a temp file renamed into place,
refusing symlinks), so a report can be re-rendered from a results folder at any time and gives the same files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from chatmigrate.errors import ResultsError, UsageError
from chatmigrate.records import RunResult
from chatmigrate.report import html, jsonreport, junit, markdown, sarif
from chatmigrate.report.summary import DEFAULT_FAIL_ON, redacted
from chatmigrate.results import load_run as load_run  # re-exported: reporters read what the runs wrote
from chatmigrate.results import write_file
from chatmigrate.vocab import Severity


class Reporter(Protocol):
    """One report format. ``fail_on`` is the threshold the run was judged with: what counts as failing."""

    FILENAME: str

    def render(self, run: RunResult, fail_on: Severity) -> str | bytes: ...


REPORTERS: Mapping[str, Reporter] = {"html": html, "json": jsonreport, "junit": junit, "md": markdown, "sarif": sarif}
FORMATS: tuple[str, ...] = tuple(REPORTERS)


def parse_formats(text: str) -> list[str]:
    """``"html,md"`` -> ``["html", "md"]``; an unknown name is a usage error naming the valid ones."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if not names:
        raise UsageError(f"no report format given; choose from {', '.join(FORMATS)}")
    return _known(names)


def render(
    run: RunResult,
    out_dir: Path,
    formats: Iterable[str],
    *,
    fail_on: Severity = DEFAULT_FAIL_ON,
    step_summary: Path | None = None,
) -> list[Path]:
    """Write the requested formats into ``out_dir`` (created if needed); returns the files written.

    With ``step_summary`` (a CI job summary file such as GitHub's ``$GITHUB_STEP_SUMMARY``) the Markdown
    summary is appended to it too, whether or not ``md`` is among the formats."""
    chosen = _known(formats)
    safe = redacted(run)
    written: list[Path] = []
    if chosen:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ResultsError(f"cannot create report folder: {error.strerror}", file=str(out_dir)) from error
        written = [
            write_file(out_dir / REPORTERS[name].FILENAME, REPORTERS[name].render(safe, fail_on)) for name in chosen
        ]
    if step_summary is not None:
        markdown.append_step_summary(markdown.render(safe, fail_on), step_summary)
    return written


def _known(names: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(names))
    unknown = [name for name in chosen if name not in REPORTERS]
    if unknown:
        raise UsageError(f"unknown report format {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return chosen
