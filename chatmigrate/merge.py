"""Joining sharded runs: the results folders of ``chatmigrate replay --shard K/N`` jobs become one run.

The compare stage runs again over all the exchanges, because noise learning and
latency percentiles need every exchange, not per-shard aggregates. What compare
does not make (audit results and findings, WebSocket parity, warnings) is carried
over from each folder's ``run.json``. Shards must be disjoint slices of one run:
overlapping entries, other targets or other repeats are refused and, when the
corpus is known, so are entries missing from it or foreign to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from chatmigrate import __version__
from chatmigrate.compare import CompareOptions, compare_file
from chatmigrate.compare.principals import CONFIGURED, add_socket_column
from chatmigrate.errors import ResultsError, UsageError
from chatmigrate.noise import RuleSpec
from chatmigrate.records import CorpusEntry, Finding, PrincipalRow, RunResult, TargetInfo, corpus_id
from chatmigrate.results import EXCHANGES_FILE, RUN_FILE, claim, load_run, staged, timestamp, write_run
from chatmigrate.verdict import GateLimits, judge_run
from chatmigrate.vocab import Check, ExitCode, FindingKind, Tier
from chatmigrate.wsparity import SOCKET_ENDPOINT

RECOMPUTED_CHECKS = frozenset(
    {
        Check.JSON,
        Check.AUTH_OUTCOME,
        Check.BODY,
        Check.SCHEMA,
        Check.LATENCY,
        Check.NOISE,
        Check.IGNORE_RULE,
        Check.NORMALISE_RULE,
    }
)
"""Findings the compare stage makes: recomputed from the merged exchanges, never carried over."""


@dataclass(slots=True)
class _Folder:
    path: Path
    run: RunResult
    exchanges: Path | None
    """None for a folder without replay results (an audit)."""

    @property
    def transport_error(self) -> str | None:
        verdict = self.run.verdict
        if verdict is not None and verdict.exit_code == ExitCode.TRANSPORT:
            return f"{self.path}: {verdict.reason}"
        return None


def merge_results(
    dirs: Sequence[Path | str],
    out: Path | str,
    *,
    rules: Iterable[RuleSpec] = (),
    options: CompareOptions | None = None,
    limits: GateLimits | None = None,
    baseline_path: Path | None = None,
    corpus: Iterable[CorpusEntry] | None = None,
) -> RunResult:
    """Merge results folders into ``out`` (``exchanges.jsonl`` and a judged ``run.json``).

    With ``corpus``, the shards must cover exactly its entries, so a shard job that
    produced nothing cannot pass unnoticed (unless a folder records a transport
    failure: its verdict, exit 3, is then the merged one).
    """
    if not dirs:
        raise UsageError("give at least one results folder to merge")
    out = Path(out)
    folders = [_open(Path(path)) for path in dirs]
    _check_paths(folders, out)
    shards = [folder for folder in folders if folder.exchanges is not None]
    _check_same_targets(shards)
    _check_audited_targets(folders, shards)
    _check_disjoint_audits(folders)
    transport_error = "; ".join(error for folder in folders if (error := folder.transport_error)) or None
    claim(out)
    with staged(out / EXCHANGES_FILE) as merging:
        with _create(merging) as sink:
            entries = _concatenate(shards, sink)
        if corpus is not None and transport_error is None:
            _check_coverage(entries, [entry.id for entry in corpus])
        targets = _targets(folders)
        principal = next((info.principal for info in targets if info.side == Tier.OLD), CONFIGURED)
        comparison = compare_file(merging, rules, options, principal=principal)
    result = comparison.into(
        RunResult(
            tool_version=__version__,
            started_at=min((f.run.started_at for f in folders if f.run.started_at), default=timestamp()),
            finished_at=max((f.run.finished_at for f in folders if f.run.finished_at), default=timestamp()),
            targets=targets,
            warnings=list(dict.fromkeys(warning for folder in folders for warning in folder.run.warnings)),
            audit=[result for folder in folders for result in folder.run.audit],
        )
    )
    compared = {row.endpoint for row in comparison.endpoints}
    result.findings.extend(_socket_column(result.principals, folders))
    for folder in folders:
        result.findings.extend(
            f
            for f in folder.run.findings
            if f.check not in RECOMPUTED_CHECKS and f.kind is not FindingKind.SOCKET_GRANTED
        )
        result.endpoints.extend(row for row in folder.run.endpoints if row.endpoint not in compared)
    judge_run(result, limits or GateLimits(), baseline_path=baseline_path, transport_error=transport_error)
    write_run(result, out)
    return result


def _socket_column(merged: list[PrincipalRow], folders: Sequence[_Folder]) -> list[Finding]:
    """The matrix's ``ws`` column comes from the shard that ran WebSocket parity, and is judged again against the
    merged rows: a shard's own rows hold only its share of old's answers."""
    sockets = {
        row.principal: any(cell.granted for cell in cells)
        for folder in folders
        for row in folder.run.principals
        if (cells := [cell for cell in row.cells if cell.tier is Tier.WS])
    }
    return add_socket_column(merged, sockets, SOCKET_ENDPOINT)


def _open(path: Path) -> _Folder:
    if not path.exists():
        raise ResultsError("no such results folder", file=str(path))
    if not path.is_dir():
        raise ResultsError("not a folder: give the results folder that holds run.json", file=str(path))
    exchanges = path / EXCHANGES_FILE
    has_exchanges = exchanges.is_file()
    if not (path / RUN_FILE).is_file():
        if has_exchanges:
            raise ResultsError(
                f"{EXCHANGES_FILE} but no {RUN_FILE}: that replay did not finish; rerun it with --resume",
                file=str(path),
            )
        raise ResultsError(f"not a results folder: no {EXCHANGES_FILE} or {RUN_FILE} here", file=str(path))
    run = load_run(path)
    if run.entries and not has_exchanges:
        raise ResultsError(
            f"{RUN_FILE} lists replayed entries but {EXCHANGES_FILE} is missing: merging needs the exchanges",
            file=str(path),
        )
    return _Folder(path, run, exchanges if has_exchanges else None)


def _check_paths(folders: Sequence[_Folder], out: Path) -> None:
    resolved: set[Path] = set()
    for folder in folders:
        if folder.path.resolve() in resolved:
            raise UsageError(f"the results folder {folder.path} is given twice")
        resolved.add(folder.path.resolve())
    if out.resolve() in resolved:
        raise UsageError(f"the output folder {out} is one of the folders being merged: choose a new one")


def _create(path: Path) -> TextIO:
    try:
        return path.open("w", encoding="utf-8")
    except OSError as error:
        raise ResultsError(f"cannot write the merged exchanges: {error.strerror}", file=str(path)) from None


def _concatenate(shards: Sequence[_Folder], sink: TextIO) -> list[str]:
    """Copy every shard's exchanges line by line; entries must be disjoint and repeats the same (counted on the
    targets' own user's entries: a further principal's are sent once). Returns the corpus entries replayed."""
    owner: dict[str, int] = {}
    replayed: dict[str, None] = {}
    repeats: dict[Path, int] = {}
    for index, shard in enumerate(shards):
        assert shard.exchanges is not None
        attempts = 0
        for number, line in _lines(shard.exchanges):
            entry_id, attempt, corpus_id = _entry_and_attempt(line, shard.exchanges, number)
            replayed[corpus_id] = None
            first = owner.setdefault(entry_id, index)
            if first != index:
                raise ResultsError(
                    f"entry {entry_id!r} is also in {shards[first].path}: the shards overlap "
                    "(replay every shard of one run with the same N in --shard K/N)",
                    file=str(shard.exchanges),
                    line=number,
                )
            if corpus_id == entry_id:
                attempts = max(attempts, attempt + 1)
            sink.write(line if line.endswith("\n") else line + "\n")
        if attempts:
            repeats[shard.path] = attempts
    if len(set(repeats.values())) > 1:
        described = ", ".join(f"{path} {count}" for path, count in repeats.items())
        raise ResultsError(f"the shards were replayed with different repeats ({described}): use one config for all")
    return list(replayed)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered non-blank lines, streamed: a shard's exchanges can be larger than memory."""
    try:
        with path.open(encoding="utf-8") as source:
            for number, line in enumerate(source, 1):
                if line.strip():
                    yield number, line
    except (OSError, UnicodeDecodeError) as error:
        raise ResultsError(f"cannot read exchanges: {error}", file=str(path)) from None


def _entry_and_attempt(line: str, path: Path, number: int) -> tuple[str, int, str]:
    """The entry, the attempt and the corpus entry it replays (``entry@principal`` replays ``entry``)."""
    try:
        record = json.loads(line)
        entry_id, attempt, principal = record["entry_id"], record["attempt"], record.get("principal")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ResultsError("not an exchange record (a replay cut off mid-line?)", file=str(path), line=number) from None
    if not isinstance(entry_id, str) or not isinstance(attempt, int):
        raise ResultsError("not an exchange record: entry_id and attempt are wrong", file=str(path), line=number)
    return entry_id, attempt, corpus_id(entry_id, principal if isinstance(principal, str) else None)


def _describe(info: TargetInfo | None) -> str:
    return f"{info.base_url} as {info.principal} ({info.auth})" if info is not None else "absent"


def _check_same_targets(shards: Sequence[_Folder]) -> None:
    if not shards:
        return
    reference = {info.side: info for info in shards[0].run.targets}
    for shard in shards[1:]:
        sides = {info.side: info for info in shard.run.targets}
        differing = [side for side in dict.fromkeys([*reference, *sides]) if reference.get(side) != sides.get(side)]
        if differing:
            side = differing[0]
            raise ResultsError(
                f"replayed other targets than {shards[0].path} ({side}: {_describe(sides.get(side))} vs "
                f"{_describe(reference.get(side))}): merge only shards of one run",
                file=str(shard.path / RUN_FILE),
            )


def _check_audited_targets(folders: Sequence[_Folder], shards: Sequence[_Folder]) -> None:
    """An audit of other servers than the replay's would make one report about two systems."""
    if not shards:
        return
    replayed = {info.side: info.base_url for info in shards[0].run.targets}
    for folder in folders:
        if folder.exchanges is not None:
            continue
        for info in folder.run.targets:
            url = replayed.get(info.side)
            if url is not None and url != info.base_url:
                raise ResultsError(
                    f"audited {info.side} at {info.base_url} but the shards replayed it at {url}: "
                    "merge results of one pair of targets",
                    file=str(folder.path / RUN_FILE),
                )


def _check_disjoint_audits(folders: Sequence[_Folder]) -> None:
    owner: dict[tuple[str, str], int] = {}
    for index, folder in enumerate(folders):
        for result in folder.run.audit:
            first = owner.setdefault((result.case_id, result.tier), index)
            if first != index:
                raise ResultsError(
                    f"audit case {result.case_id} on {result.tier} is also in {folders[first].path}: "
                    "merge one audit only",
                    file=str(folder.path / RUN_FILE),
                )


def _check_coverage(entries: Sequence[str], expected: Sequence[str]) -> None:
    merged, wanted = set(entries), set(expected)
    foreign = [entry for entry in entries if entry not in wanted]
    if foreign:
        raise ResultsError(
            f"{len(foreign)} merged entries are not in the corpus (first: {foreign[0]!r}): "
            "the shards replayed another corpus"
        )
    missing = [entry for entry in expected if entry not in merged]
    if missing:
        raise ResultsError(
            f"{len(missing)} of {len(wanted)} corpus entries are in no shard (first: {missing[0]!r}): "
            "is a shard folder missing?"
        )


def _targets(folders: Sequence[_Folder]) -> list[TargetInfo]:
    """The replayed sides first, then sides only an audit touched (the WebSocket)."""
    ordered = sorted(folders, key=lambda folder: folder.exchanges is None)
    seen: dict[str, TargetInfo] = {}
    for folder in ordered:
        for info in folder.run.targets:
            seen.setdefault(info.side, info)
    return list(seen.values())
