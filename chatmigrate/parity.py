"""The parity suite: replay the corpus, compare the sides, check WebSocket parity, and say who we were.

Its product is a judged ``RunResult`` (targets with principals, warnings, entries, findings, noise, rules,
latency, endpoints, verdict) written to ``run.json``; ``chatmigrate gate`` adds the audit to it and judges again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chatmigrate import __version__
from chatmigrate.compare import compare_file
from chatmigrate.compare.principals import add_socket_column
from chatmigrate.config import Config
from chatmigrate.corpus import load_corpus
from chatmigrate.errors import TransportError
from chatmigrate.expectations import expectations
from chatmigrate.recorded import Recorded
from chatmigrate.records import CorpusEntry, RunResult, TargetInfo, Verdict
from chatmigrate.replay import (
    ProgressCallback,
    ReplayOptions,
    ReplaySummary,
    Target,
    as_principals,
    principal_targets,
    run_replay,
    targets_from_config,
)
from chatmigrate.results import EXCHANGES_FILE, timestamp, write_run
from chatmigrate.verdict import judge_run
from chatmigrate.vocab import Credential, Tier
from chatmigrate.wsparity import SOCKET_ENDPOINT, run_ws_parity


@dataclass(slots=True)
class ParityOutcome:
    result: RunResult
    results_dir: Path
    replay: ReplaySummary | None
    transport_error: str | None = None

    @property
    def verdict(self) -> Verdict:
        """The verdict ``run_parity`` recorded on the result."""
        if self.result.verdict is None:
            raise ValueError("this parity outcome is not judged yet")
        return self.result.verdict


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
    """Replay -> compare -> WebSocket parity, judged (``outcome.verdict``) and written to ``run.json``.

    A transport failure is kept in the outcome, not raised, so that what was gathered is still compared,
    judged and reported (the verdict then exits 3). With ``recorded`` traffic, its requests are the corpus
    and its answers stand for old: only the other sides are called."""
    started = timestamp()
    targets = targets_from_config(config)
    warnings = _principal_warnings(targets)
    if recorded is not None:
        entries = [pair.entry for pair in recorded]
        targets = [target for target in targets if target.side != Tier.OLD]
    entries = list(entries) if entries is not None else load_corpus(corpus or config.run.corpus)
    replayed = targets
    if recorded is None:
        entries = as_principals(entries, config.principals)
        replayed = targets + principal_targets(config, [target.side for target in targets])
    elif config.principals:
        warnings.append("principals skipped: a recorded capture holds its own users' traffic")
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
        summary = run_replay(entries, replayed, out_dir, options)
    except TransportError as error:
        transport_error = str(error)
    warnings += _refused_everywhere(replayed)
    configured = next((t.auth.principal for t in targets if t.side == Tier.OLD), targets[0].auth.principal)
    comparison = compare_file(out_dir / EXCHANGES_FILE, config.ignore, config.compare, principal=configured)
    result = comparison.into(
        RunResult(
            tool_version=__version__,
            started_at=started,
            targets=[
                TargetInfo(t.side, t.base_url, t.auth.kind, t.auth.principal, expectations(config, Tier(t.side)))
                for t in targets
            ],
            warnings=warnings,
        )
    )
    if recorded is not None and config.ws is not None:
        result.warnings.append("WebSocket parity skipped: a recorded capture holds HTTP traffic only")
    elif transport_error is None:
        principals = [target for target in replayed if target.principal is not None and target.side == Tier.NEW]
        transport_error = _add_ws_parity(
            result, config, targets, principals, configured=configured, writes=writes, shard=shard
        )
    result.finished_at = timestamp()
    outcome = ParityOutcome(result=result, results_dir=out_dir, replay=summary, transport_error=transport_error)
    judge(outcome, config)
    write_run(result, out_dir)
    return outcome


def _refused_everywhere(targets: Sequence[Target]) -> list[str]:
    """A wrong password looks like a refused user at every login: a principal no side let in is worth a look."""
    sides: dict[str, list[bool]] = {}
    for target in targets:
        if target.principal is not None and target.credential is not Credential.NONE:
            sides.setdefault(target.principal, []).append(target.credential is Credential.REFUSED_AT_LOGIN)
    return [
        f"principal {name!r} was refused at login on every side: right for a deactivated user, but check its "
        "password if it should get in somewhere"
        for name, refused in sides.items()
        if refused and all(refused)
    ]


def _principal_warnings(targets: Sequence[Target]) -> list[str]:
    """Different users on the two sides make every permission difference look like a migration bug."""
    reference = next((t for t in targets if t.side == Tier.OLD), None)
    if reference is None:
        return []
    return [
        f"targets run as different principals: old as {reference.auth.principal!r}, {t.side} as "
        f"{t.auth.principal!r}; differences may come from permissions rather than the migration"
        for t in targets
        if t.side != Tier.OLD and t.auth.principal != reference.auth.principal
    ]


def _add_ws_parity(
    result: RunResult,
    config: Config,
    targets: Sequence[Target],
    principals: Sequence[Target],
    *,
    configured: str,
    writes: bool,
    shard: tuple[int, int] | None,
) -> str | None:
    """With the replay's own targets (their secrets resolved once); returns a transport error, if any. Who the
    socket let in becomes the principal matrix's ``ws`` column."""
    if config.ws is None:
        return None
    if not writes:
        result.warnings.append("WebSocket parity skipped: it sends messages; pass --allow-writes to run it")
        return None
    if shard is not None and shard[0] != 1:
        return None
    sides = {target.side: target for target in targets}
    ws = run_ws_parity(config.ws, sides[Tier.OLD], sides[Tier.NEW], principals)
    sockets = {configured if name is None else name: let_in for name, let_in in ws.sockets.items()}
    result.findings.extend(add_socket_column(result.principals, sockets, SOCKET_ENDPOINT))
    result.findings.extend(ws.findings)
    result.endpoints.extend(ws.endpoints)
    result.warnings.extend(ws.warnings)
    return ws.transport_error


def judge(outcome: ParityOutcome, config: Config) -> Verdict:
    """The verdict under the config's limits and baseline, recorded on the result."""
    return judge_run(
        outcome.result, config.gate.limits, baseline_path=config.gate.baseline, transport_error=outcome.transport_error
    )
