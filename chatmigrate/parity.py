"""The parity suite: replay the corpus, compare the sides, check WebSocket parity, and say who we were.

Its product is a ``RunResult`` fragment (targets with principals, warnings,
entries, findings, noise, rules, latency, endpoints); ``chatmigrate replay``
adds the verdict and writes ``run.json``, ``chatmigrate gate`` merges it with
the audit first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chatmigrate import __version__
from chatmigrate.compare import compare_file
from chatmigrate.config import Config
from chatmigrate.contracts import schema_violations
from chatmigrate.corpus import load_corpus
from chatmigrate.errors import ConfigError, TransportError
from chatmigrate.recorded import Recorded
from chatmigrate.records import CorpusEntry, RunResult, TargetInfo, Verdict, from_dict, to_dict
from chatmigrate.redact import redact_obj
from chatmigrate.replay import (
    EXCHANGES_FILE,
    ProgressCallback,
    ReplayOptions,
    ReplaySummary,
    Target,
    run_replay,
    targets_from_config,
)
from chatmigrate.verdict import judge_run
from chatmigrate.vocab import Tier
from chatmigrate.wsparity import run_ws_parity

RUN_FILE = "run.json"
RESULTS_SCHEMA = "results"


@dataclass(slots=True)
class ParityOutcome:
    result: RunResult
    results_dir: Path
    replay: ReplaySummary | None
    transport_error: str | None = None


def run_parity(
    config: Config,
    *,
    corpus: Path | None = None,
    entries: Sequence[CorpusEntry] | None = None,
    out_dir: Path | None = None,
    resume: bool = False,
    shard: tuple[int, int] | None = None,
    allow_writes: bool = False,
    progress: ProgressCallback | None = None,
    recorded: Sequence[Recorded] | None = None,
) -> ParityOutcome:
    """Replay -> compare -> WebSocket parity. A transport failure is kept in the outcome, not raised,
    so that what was gathered is still compared and reported (the verdict then exits 3). With ``recorded``
    traffic, its requests are the corpus and its answers stand for old: only the other sides are called."""
    started = _now()
    targets = targets_from_config(config)
    if recorded is not None:
        entries = [pair.entry for pair in recorded]
        targets = [target for target in targets if target.side != Tier.OLD]
    entries = list(entries) if entries is not None else load_corpus(corpus or config.run.corpus)
    out_dir = out_dir or config.run.output_dir
    writes = allow_writes or config.embedded_only
    options = ReplayOptions.from_run(
        config.run,
        allow_writes=writes,
        resume=resume,
        shard=shard,
        on_progress=progress,
        recorded={pair.entry.id: [pair.old] for pair in recorded or ()},
    )
    summary: ReplaySummary | None = None
    transport_error: str | None = None
    try:
        summary = run_replay(entries, targets, out_dir, options)
    except TransportError as error:
        transport_error = str(error)
    comparison = compare_file(out_dir / EXCHANGES_FILE, config.ignore, config.compare)
    result = comparison.into(
        RunResult(
            tool_version=__version__,
            started_at=started,
            targets=[TargetInfo(t.side, t.base_url, t.auth.kind, t.auth.principal) for t in targets],
            warnings=_principal_warnings(targets),
        )
    )
    if recorded is not None and config.ws is not None:
        result.warnings.append("WebSocket parity skipped: a recorded capture holds HTTP traffic only")
    elif transport_error is None:
        transport_error = _add_ws_parity(result, config, targets, writes=writes, shard=shard)
    result.finished_at = _now()
    return ParityOutcome(result=result, results_dir=out_dir, replay=summary, transport_error=transport_error)


def _principal_warnings(targets: Sequence[Target]) -> list[str]:
    """Different users on the two sides make every permission difference look like a migration bug."""
    reference = next((t for t in targets if t.side == "old"), None)
    if reference is None:
        return []
    return [
        f"targets run as different principals: old as {reference.auth.principal!r}, {t.side} as "
        f"{t.auth.principal!r}; differences may come from permissions rather than the migration"
        for t in targets
        if t.side != "old" and t.auth.principal != reference.auth.principal
    ]


def _add_ws_parity(
    result: RunResult, config: Config, targets: Sequence[Target], *, writes: bool, shard: tuple[int, int] | None
) -> str | None:
    """With the replay's own targets (their secrets resolved once); returns a transport error, if any."""
    if config.ws is None:
        return None
    if not writes:
        result.warnings.append("WebSocket parity skipped: it sends messages; pass --allow-writes to run it")
        return None
    if shard is not None and shard[0] != 1:
        return None
    sides = {target.side: target for target in targets}
    ws = run_ws_parity(config.ws, sides["old"], sides["new"])
    result.findings.extend(ws.findings)
    result.endpoints.extend(ws.endpoints)
    result.warnings.extend(ws.warnings)
    return ws.transport_error


def judge(outcome: ParityOutcome, config: Config) -> Verdict:
    """The verdict under the config's limits and baseline, recorded on the result."""
    return judge_run(
        outcome.result, config.gate.limits, baseline_path=config.gate.baseline, transport_error=outcome.transport_error
    )


def write_run(result: RunResult, out_dir: Path) -> Path:
    path = out_dir / RUN_FILE
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(redact_obj(to_dict(result)), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write results: {error.strerror}", file=str(path)) from None
    return path


def load_run(results_dir: Path | str) -> RunResult:
    """Read ``run.json`` from a results folder (or the file itself); any defect is one ConfigError."""
    path = Path(results_dir)
    if path.is_dir():
        path = path / RUN_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ConfigError("no run.json here; run 'chatmigrate gate' or 'replay' first", file=str(path)) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read results: {error}", file=str(path)) from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"not valid JSON: {error.msg}", file=str(path), line=error.lineno) from error
    problems = schema_violations(RESULTS_SCHEMA, document)
    if problems:
        raise ConfigError(f"not a chatmigrate run result: {problems[0]}", file=str(path))
    try:
        return from_dict(RunResult, document)
    except (ValueError, TypeError, KeyError) as error:
        raise ConfigError(f"not a chatmigrate run result: {error}", file=str(path)) from error


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
