"""pytest plugin: ``pytest --chatmigrate-config chatmigrate.toml`` adds parity and audit tests.

One test per corpus entry and one per audit case and tier, so that developers keep
the cutover checks in their own suite and pick them with ``-k`` and ``-m``. The
replay and the audit each run once, when the first of their tests runs, over the
entries and cases that were selected; each test then passes or fails on the
findings that name it, judged like the gate (threshold and baseline). Two run-wide
tests own what no single entry or case does (latency per endpoint, WebSocket
parity, transport failures), so the suite passes only when no finding fails the gate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from chatmigrate.api import AuditTarget, Config, Finding, RunResult, Verdict
    from chatmigrate.audit.catalogue import Case
    from chatmigrate.records import AuditResult, CorpusEntry
    from chatmigrate.vocab import Tier

# This module is the pytest11 entry point: every pytest run of a project with chatmigrate installed imports
# it. At import it loads only pytest and the standard library; chatmigrate itself (even its errors, which
# compile the redaction patterns) is imported inside the hooks and tests that --chatmigrate-config adds.

EMBEDDED = "embedded"
AUDIT_RESULTS = "audit"
"""The audit's run.json goes into this subfolder of the results folder, beside the parity run's."""
MARKERS = {
    "chatmigrate": "a chatmigrate parity or audit test (added by --chatmigrate-config)",
    "chatmigrate_parity": "a chatmigrate parity test: one corpus entry replayed on old and new",
    "chatmigrate_audit": "a chatmigrate audit test: one auth-failure case on one tier",
}
VALUE_CHARS = 200
EVIDENCE_CHARS = 600

ItemT = TypeVar("ItemT", bound=pytest.Item)
Home = str | tuple[str, str] | None
"""Where a finding is filed: an entry id, an audit (case id, tier), or None for the run-wide test."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chatmigrate")
    group.addoption(
        "--chatmigrate-config",
        default=None,
        metavar="FILE",
        help="chatmigrate config, or 'embedded' for the reference server: one test per corpus entry and audit case.",
    )
    group.addoption(
        "--chatmigrate-drift",
        action="append",
        default=[],
        metavar="NAME",
        help="With --chatmigrate-config embedded: switch on a parity drift (repeatable).",
    )
    group.addoption(
        "--chatmigrate-flaw",
        action="append",
        default=[],
        metavar="NAME",
        help="With --chatmigrate-config embedded: switch on an auth flaw (repeatable).",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that belong to no file: added before ``-k`` and ``-m`` deselect, so those apply to them too."""
    value = config.getoption("chatmigrate_config")
    if value is None:
        return
    path = session.path if value == EMBEDDED else config.invocation_params.dir / value
    root = _Root.from_parent(session, name="chatmigrate", nodeid="chatmigrate", path=path)
    root.add_marker("chatmigrate")
    items.extend(session.genitems(root))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    suite = config.stash.get(_SUITE, None)
    lines = suite.summary() if suite is not None else []
    if lines:
        from chatmigrate.redact import redact

        terminalreporter.write_sep("-", "chatmigrate")
        for line in lines:
            terminalreporter.write_line(redact(line))


class _Failed(Exception):
    """A test's own verdict, shown as its text alone: the plugin's code is not what failed."""


@dataclass(slots=True)
class _Judged:
    """One suite's run, with each finding filed under the test it belongs to (None: the run-wide test)."""

    result: RunResult
    gating: list[Finding]
    failing: dict[Home, list[Finding]]
    problem: str | None = None
    note: str = ""


class _Once:
    """One run per session, whichever test needs it first; its error, if any, fails every test that needs it."""

    def __init__(self, compute: Callable[[], _Judged]) -> None:
        self._compute = compute
        self._value: _Judged | None = None
        self._error: Exception | None = None

    @property
    def done(self) -> _Judged | None:
        return self._value

    def get(self) -> _Judged:
        if self._value is None and self._error is None:
            try:
                self._value = self._compute()
            except Exception as error:
                self._error = error
        if self._error is not None:
            from chatmigrate.errors import ChatmigrateError, one_line

            cause = None if isinstance(self._error, ChatmigrateError) else self._error
            suffix = " (rerun with --full-trace for the traceback)" if cause else ""
            raise _Failed(f"chatmigrate: {one_line(self._error)}{suffix}") from cause
        assert self._value is not None
        return self._value


@dataclass(slots=True)
class _Suite:
    """What the tests were collected from, and the two runs they share."""

    config: Config
    target: AuditTarget
    entries: list[CorpusEntry]
    cases: list[tuple[Case, Tier]]
    session: pytest.Session
    parity: _Once = field(init=False)
    audit: _Once = field(init=False)

    def __post_init__(self) -> None:
        self.parity = _Once(self._run_parity)
        self.audit = _Once(self._run_audit)

    def sendable(self, entry: CorpusEntry) -> bool:
        """Like ``chatmigrate replay`` without --allow-writes: state changes go to the embedded server only."""
        return not entry.unsafe or self.config.embedded_only

    def _selected(self, kind: type[ItemT]) -> list[ItemT]:
        return [item for item in self.session.items if isinstance(item, kind)]

    def _run_parity(self) -> _Judged:
        from chatmigrate import api

        chosen = {item.name for item in self._selected(_EntryTest)}
        entries = [e for e in self.entries if (e.id in chosen or not chosen) and self.sendable(e)]
        outcome = api.run_parity(self.config, entries=entries)
        gating = _gating(outcome.result, self.config)
        shown = _entries_showing(outcome.results_dir, gating, self.config)
        owned = {entry.id for entry in self.entries}
        entry_homes = _file(gating, lambda f: shown.get(_key(f)) or [f.subject if f.subject in owned else None])
        judged = _Judged(outcome.result, gating, entry_homes)
        judged.problem = _problem(outcome.verdict)
        judged.note = f"{len(outcome.result.entries)} entries replayed; results in {outcome.results_dir}"
        return judged

    def _run_audit(self) -> _Judged:
        from chatmigrate import api

        chosen = frozenset(item.case_id for item in self._selected(_CaseTest))
        options = api.audit_options_from_config(self.config, cases=chosen or None)
        results = self.config.run.output_dir / AUDIT_RESULTS
        outcome = api.run_audit(self.config, self.target, options, results_dir=results, formats=())
        owned = {(case.id, tier) for case, tier in self.cases}
        gating = _gating(outcome.result, self.config)
        case_homes = _file(gating, lambda f: [home if (home := (f.subject, f.tier or "")) in owned else None])
        judged = _Judged(outcome.result, gating, case_homes)
        judged.problem = _problem(outcome.verdict)
        judged.note = f"{len(outcome.result.audit)} case results; results in {results}"
        return judged

    def summary(self) -> list[str]:
        lines = []
        for name, once in (("parity", self.parity), ("audit", self.audit)):
            judged = once.done
            if judged is None:
                continue
            threshold = self.config.gate.limits.fail_on.value
            lines.append(
                f"{name}: {judged.note}; {len(judged.gating)} of {len(judged.result.findings)} findings fail the gate "
                f"(at or above {threshold}, not in the baseline)"
            )
            lines += [f"{name} warning: {warning}" for warning in judged.result.warnings]
        return lines


_SUITE = pytest.StashKey[_Suite]()


def _gating(result: RunResult, config: Config) -> list[Finding]:
    """The gate's rule per finding, on a judged result: at or above the threshold and not in the baseline."""
    from chatmigrate.verdict import fails_gate

    accepted = frozenset(result.accepted)
    return [finding for finding in result.findings if fails_gate(finding, config.gate.limits, accepted)]


def _problem(verdict: Verdict) -> str | None:
    """A target that broke mid-run fails the run-wide test with the verdict's reason."""
    from chatmigrate.vocab import ExitCode

    return verdict.reason if verdict.exit_code == ExitCode.TRANSPORT else None


def _file(findings: list[Finding], homes: Callable[[Finding], Iterable[Home]]) -> dict[Home, list[Finding]]:
    filed: dict[Home, list[Finding]] = {}
    for finding in findings:
        for home in homes(finding):
            filed.setdefault(home, []).append(finding)
    return filed


def _key(finding: Finding) -> tuple[str, ...]:
    """What the compare stage groups one finding by across entries."""
    return (finding.endpoint, *finding.group_key)


def _entries_showing(results: Path, findings: list[Finding], config: Config) -> dict[tuple[str, ...], list[str]]:
    """Every entry that shows each per-entry finding, not only the one it names. A finding seen as a further
    principal is filed under the corpus entry that was sent as them.

    The run reports a drift once, naming its first entry, but each affected entry's test must
    fail. Each entry compared alone learns noise from itself only, so it shows at least what the
    run found in it; keeping only the run's findings drops what the run's noise learning excused.
    """
    from chatmigrate.compare import compare_exchanges, group_exchanges, read_exchanges
    from chatmigrate.records import corpus_id
    from chatmigrate.results import EXCHANGES_FILE

    wanted = {_key(finding) for finding in findings if finding.check.per_entry}
    shown: dict[tuple[str, ...], list[str]] = {}
    if not wanted:
        return shown
    for group in group_exchanges(read_exchanges(results / EXCHANGES_FILE)):
        alone = compare_exchanges([group], config.ignore, config.compare)
        for key in {_key(finding) for finding in alone.findings} & wanted:
            shown.setdefault(key, []).append(corpus_id(group[0].entry_id, group[0].principal))
    return shown


def _open_suite(config: pytest.Config, session: pytest.Session) -> _Suite:
    """The targets as ``chatmigrate gate`` resolves them, kept open (an embedded server running) for the session."""
    from chatmigrate import api
    from chatmigrate.audit import selected_cases
    from chatmigrate.audit.catalogue import CONTRACT, MUTATION
    from chatmigrate.corpus import load_corpus
    from chatmigrate.errors import UsageError

    value: str = config.getoption("chatmigrate_config")
    drifts: list[str] = config.getoption("chatmigrate_drift")
    flaws: list[str] = config.getoption("chatmigrate_flaw")
    embedded = value == EMBEDDED
    if (drifts or flaws) and not embedded:
        raise UsageError(
            "--chatmigrate-drift and --chatmigrate-flaw switch the embedded server: "
            "use them with --chatmigrate-config embedded"
        )
    stack = contextlib.ExitStack()
    config.add_cleanup(stack.close)
    path = None if embedded else config.invocation_params.dir / value
    loaded, server = stack.enter_context(api.open_targets(path, {}, drifts=drifts, flaws=flaws, embedded=embedded))
    target = api.embedded_target(server) if server else api.target_from_config(loaded)
    if loaded.gate.baseline is not None:
        from chatmigrate import baseline

        baseline.load(loaded.gate.baseline)
    options = api.audit_options_from_config(loaded)
    generated = [case for case, wanted in ((MUTATION, options.budget > 0), (CONTRACT, options.contract)) if wanted]
    cases = [
        (case, tier)
        for case in (*selected_cases(options), *generated)
        for tier in case.tiers
        if tier in options.tiers and target.url_of(tier)
    ]
    return _Suite(loaded, target, load_corpus(loaded.run.corpus), cases, session)


class _Root(pytest.Collector):
    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        from chatmigrate.errors import ChatmigrateError, one_line

        try:
            suite = _open_suite(self.config, self.session)
        except ChatmigrateError as error:
            raise self.CollectError(f"chatmigrate: {one_line(error)}") from None
        self.config.stash[_SUITE] = suite
        parity = _ParityTests.from_parent(self, name="parity")
        parity.add_marker("chatmigrate_parity")
        audit = _AuditTests.from_parent(self, name="audit")
        audit.add_marker("chatmigrate_audit")
        parity_run = _ParityRunTest.from_parent(self, name="parity-run")
        parity_run.add_marker("chatmigrate_parity")
        audit_run = _AuditRunTest.from_parent(self, name="audit-run")
        audit_run.add_marker("chatmigrate_audit")
        return [parity, audit, parity_run, audit_run]


class _ParityTests(pytest.Collector):
    def collect(self) -> Iterable[pytest.Item]:
        return [_EntryTest.from_parent(self, name=entry.id, entry=entry) for entry in self.config.stash[_SUITE].entries]


class _AuditTests(pytest.Collector):
    def collect(self) -> Iterable[pytest.Item]:
        return [
            _CaseTest.from_parent(self, name=f"{case.id}[{tier}]", case_id=case.id, tier=tier)
            for case, tier in self.config.stash[_SUITE].cases
        ]


class _Test(pytest.Item):
    @property
    def suite(self) -> _Suite:
        return self.config.stash[_SUITE]

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.nodeid

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """An internal error keeps its traceback for --full-trace, like the CLI's --debug."""
        if isinstance(excinfo.value, _Failed) and not (excinfo.value.__cause__ and self.config.option.fulltrace):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


class _EntryTest(_Test):
    def __init__(self, *, entry: CorpusEntry, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.entry = entry

    def runtest(self) -> None:
        if not self.suite.sendable(self.entry):
            pytest.skip(f"{self.entry.method} changes state: 'chatmigrate replay --allow-writes' sends it")
        judged = self.suite.parity.get()
        if self.entry.id not in judged.result.entries:
            raise _Failed(
                f"entry {self.entry.id!r} was not replayed" + (f": {judged.problem}" if judged.problem else "")
            )
        _fail_on(judged, self.entry.id, f"entry {self.entry.id}")


class _CaseTest(_Test):
    def __init__(self, *, case_id: str, tier: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_id = case_id
        self.tier = tier

    def runtest(self) -> None:
        from chatmigrate.vocab import AuditState

        judged = self.suite.audit.get()
        _fail_on(judged, (self.case_id, self.tier), f"audit case {self.case_id} on {self.tier}")
        result = _audit_result(judged.result.audit, self.case_id, self.tier)
        if result is None:
            pytest.skip("the audit did not run this case here (a prerequisite is missing or it is switched off)")
        if result.state is AuditState.NOT_APPLICABLE:
            pytest.skip(result.detail)


class _ParityRunTest(_Test):
    """Findings of the parity run that name no entry: latency per endpoint, WebSocket parity, noise."""

    def runtest(self) -> None:
        judged = self.suite.parity.get()
        if judged.problem:
            raise _Failed(judged.problem)
        _fail_on(judged, None, "the parity run as a whole")


class _AuditRunTest(_Test):
    """Findings of the audit that name no case (notes on the legacy tier), and transport failures."""

    def runtest(self) -> None:
        judged = self.suite.audit.get()
        if judged.problem:
            raise _Failed(judged.problem)
        _fail_on(judged, None, "the audit as a whole")


def _audit_result(results: list[AuditResult], case_id: str, tier: str) -> AuditResult | None:
    return next((result for result in results if result.case_id == case_id and result.tier == tier), None)


def _fail_on(judged: _Judged, home: Home, what: str) -> None:
    findings = judged.failing.get(home)
    if findings:
        from chatmigrate.redact import redact

        threshold = judged.result.verdict.threshold.value if judged.result.verdict else ""
        head = f"{what}: {len(findings)} finding(s) at or above {threshold}, not accepted by the baseline"
        raise _Failed(redact("\n\n".join([head, *(_describe(finding) for finding in findings)])))


def _describe(finding: Finding) -> str:
    """What a developer needs to act on a finding without opening the report."""
    from chatmigrate.report.text import finding_text

    return finding_text(finding, value_chars=VALUE_CHARS, evidence_chars=EVIDENCE_CHARS)
