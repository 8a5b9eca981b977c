"""The results folder: its layout, how its files are written, and what ``--resume`` may trust in it.

A results folder holds ``manifest.json`` (written with the run: the folder is chatmigrate's),
``exchanges.jsonl`` (one exchange per line, each entry's lines contiguous: the resume journal) and
``run.json`` (the judged result). Outputs never clobber what is not ours: a symlink or a non-regular
file at an output path is refused, finished files are written to a temp file and renamed into place,
and a folder without our manifest, or an exchanges file that does not parse, is left byte-for-byte
intact with a one-line error (exit 2).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from chatmigrate import __version__
from chatmigrate.errors import ResultsError
from chatmigrate.records import RunResult, from_dict, to_dict
from chatmigrate.redact import redact_obj

EXCHANGES_FILE = "exchanges.jsonl"
RUN_FILE = "run.json"
MANIFEST_FILE = "manifest.json"
RESULTS_SCHEMA = "results"
LAYOUT = 1
"""Version of the folder layout in the manifest; bumped when a file's meaning changes."""

_REQUIRED_FIELDS = frozenset({"entry_id", "side", "attempt", "method", "url", "endpoint"})
_RECORD_START = b'{"entry_id":'
"""How every line we write begins: a partial last line that does not is not a cut-off write of ours."""

Plan = dict[str, list[tuple[str, int]]]
"""Per entry id, the (side, attempt) pairs a complete entry has on disk."""


def timestamp() -> str:
    """The time format of run.json and the manifest: UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def check_output(path: Path) -> None:
    """An output path may be absent or a regular file; a symlink would write through to its target."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise ResultsError(f"cannot use as an output: {error.strerror}", file=str(path)) from None
    if stat.S_ISLNK(mode):
        raise ResultsError("is a symlink: refusing to write through it; give a plain path", file=str(path))
    if not stat.S_ISREG(mode):
        raise ResultsError("is not a regular file: refusing to replace it", file=str(path))


@contextlib.contextmanager
def staged(path: Path) -> Iterator[Path]:
    """A temp file beside ``path``, renamed onto it when the block succeeds and removed when it fails."""
    check_output(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise ResultsError(f"cannot write: {error.strerror}", file=str(path)) from None
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        os.replace(temp, path)
    except OSError as error:
        raise ResultsError(f"cannot write: {error.strerror}", file=str(path)) from None
    finally:
        temp.unlink(missing_ok=True)


def write_file(path: Path, data: str | bytes) -> Path:
    """Whole-file outputs (run.json, reports): a reader sees the old file or the new one, never half of one."""
    with staged(path) as temp:
        if isinstance(data, str):
            temp.write_text(data, encoding="utf-8")
        else:
            temp.write_bytes(data)
    return path


def claim(folder: Path) -> None:
    """Make ``folder`` a results folder, refusing one that holds results chatmigrate did not write."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ResultsError(f"cannot create the results folder: {error.strerror}", file=str(folder)) from None
    if is_ours(folder):
        return
    for name in (EXCHANGES_FILE, RUN_FILE):
        if (folder / name).exists() or (folder / name).is_symlink():
            _check_earlier_run(folder / name)
    manifest = {"tool": "chatmigrate", "layout": LAYOUT, "tool_version": __version__, "created_at": timestamp()}
    write_file(folder / MANIFEST_FILE, json.dumps(manifest, indent=2) + "\n")


def _check_earlier_run(path: Path) -> None:
    """A folder from a version that wrote no manifest is adopted only when its files read as ours."""
    try:
        check_output(path)
        if path.name == RUN_FILE:
            load_run(path)
        else:
            with path.open("rb") as source:
                first = source.readline()
            if first:
                _record(first, path, 1)
    except ResultsError:
        raise ResultsError(
            f"holds a {path.name} that chatmigrate did not write (no {MANIFEST_FILE}): "
            "refusing to touch it; give another results folder",
            file=str(path.parent),
        ) from None


def is_ours(folder: Path) -> bool:
    path = folder / MANIFEST_FILE
    if path.is_symlink() or not path.is_file():
        return False
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("tool") == "chatmigrate" and manifest.get("layout") == LAYOUT


def write_run(result: RunResult, folder: Path) -> Path:
    """``run.json``, redacted once more on the way out."""
    claim(folder)
    text = json.dumps(redact_obj(to_dict(result)), indent=2, ensure_ascii=False) + "\n"
    return write_file(folder / RUN_FILE, text)


def load_run(results: Path | str) -> RunResult:
    """Read ``run.json`` from a results folder (or the file itself); any defect is one ResultsError."""
    from chatmigrate.contracts import schema_violations

    path = Path(results)
    if path.is_dir():
        path = path / RUN_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ResultsError("no run.json here; run 'chatmigrate gate' or 'replay' first", file=str(path)) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ResultsError(f"cannot read results: {error}", file=str(path)) from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultsError(f"not valid JSON: {error.msg}", file=str(path), line=error.lineno) from error
    problems = schema_violations(RESULTS_SCHEMA, document)
    if problems:
        raise ResultsError(f"not a chatmigrate run result: {problems[0]}", file=str(path))
    try:
        return from_dict(RunResult, document)
    except (ValueError, TypeError, KeyError) as error:
        raise ResultsError(f"not a chatmigrate run result: {error}", file=str(path)) from error


class ExchangeLog:
    """``exchanges.jsonl`` as the runner writes it: one write and one flush per entry, so a crash never leaves
    half an entry behind a whole one and ``--resume`` can pick up after it.

    A fresh run replaces a previous run's file (never a foreign one) and creates its own exclusively; a resumed
    run checks every line first, cuts off only an incomplete last entry, and appends.
    """

    def __init__(self, folder: Path, plans: Plan, *, resume: bool) -> None:
        """Checks only: nothing on disk changes until the log is entered."""
        self.folder = folder
        self.path = folder / EXCHANGES_FILE
        self.done: set[str] = set()
        self._resume_at: int | None = None
        if resume and (self.path.exists() or self.path.is_symlink()):
            self._check_resumable(folder)
            self.done, self._resume_at = _completed(self.path, plans)
        self._sink: IO[bytes] | None = None

    def __enter__(self) -> ExchangeLog:
        if self._resume_at is None:
            claim(self.folder)
            check_output(self.path)
            self.path.unlink(missing_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        else:
            flags = os.O_WRONLY | os.O_APPEND
        try:
            handle = os.open(self.path, flags | os.O_NOFOLLOW, 0o644)
            if self._resume_at is not None:
                os.truncate(handle, self._resume_at)
        except OSError as error:
            raise ResultsError(f"cannot write exchanges: {error.strerror}", file=str(self.path)) from None
        self._sink = os.fdopen(handle, "wb")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._sink is not None:
            self._sink.close()

    def _check_resumable(self, folder: Path) -> None:
        check_output(self.path)
        if not is_ours(folder):
            raise ResultsError(
                f"no {MANIFEST_FILE} beside it: not a chatmigrate results folder, so --resume will not "
                "append to it (left untouched); give the folder a chatmigrate run wrote, or drop --resume",
                file=str(self.path),
            )

    def write(self, lines: bytes) -> None:
        """One entry's JSONL lines (``responses.exchange_lines``), in one write and one flush."""
        assert self._sink is not None, "write inside 'with log:'"
        self._sink.write(lines)
        self._sink.flush()


def _completed(path: Path, plans: Plan) -> tuple[set[str], int]:
    """Entries complete on disk and the offset after the last of them; reads only, so a refusal changes nothing.

    Every whole line must be an exchange record and every entry but the last complete; only a last entry cut
    short by a crash (a partial line of ours, or missing requests) is dropped."""
    done: set[str] = set()
    good_end = offset = 0
    group: tuple[str, set[tuple[str, int]]] | None = None
    with path.open("rb") as source:
        for number, raw in enumerate(source, 1):
            if not raw.endswith(b"\n"):
                if not (raw.startswith(_RECORD_START) or _RECORD_START.startswith(raw)):
                    raise _corrupt(path, number, "its last line is not an exchange record")
                break
            entry_id, pair = _record(raw, path, number)
            if group is not None and group[0] != entry_id:
                _close_group(group, plans, path)
                done.add(group[0])
                good_end, group = offset, None
            group = group or (entry_id, set())
            group[1].add(pair)
            offset += len(raw)
    if group is not None and _is_complete(group, plans):
        done.add(group[0])
        good_end = offset
    return done, good_end


def _record(raw: bytes, path: Path, number: int) -> tuple[str, tuple[str, int]]:
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        raise _corrupt(path, number, "not JSON") from None
    if not isinstance(record, dict) or not record.keys() >= _REQUIRED_FIELDS:
        raise _corrupt(path, number, "not an exchange record")
    entry_id, side, attempt = record["entry_id"], record["side"], record["attempt"]
    if not isinstance(entry_id, str) or not isinstance(side, str) or not isinstance(attempt, int):
        raise _corrupt(path, number, "not an exchange record")
    return entry_id, (side, attempt)


def _corrupt(path: Path, number: int, why: str) -> ResultsError:
    return ResultsError(
        f"{why}: this exchanges file is corrupt or not chatmigrate's; --resume leaves it untouched "
        "(replay into a new results folder)",
        file=str(path),
        line=number,
    )


def _is_complete(group: tuple[str, set[tuple[str, int]]], plans: Plan) -> bool:
    plan = plans.get(group[0])
    return plan is None or set(plan) == group[1]


def _close_group(group: tuple[str, set[tuple[str, int]]], plans: Plan, path: Path) -> None:
    if not _is_complete(group, plans):
        raise ResultsError(
            f"entry {group[0]!r} was recorded with other targets or repeats than this "
            "run; resume with the same config, or write to a new results folder",
            file=str(path),
        )
