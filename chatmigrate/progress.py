"""The replay progress bar: presentation for the CLI, fed by the runner's ``(done, total)`` callback.

Runners never format output; commands decide whether a human is watching and pass
``progress_bar``'s callback down. The bar appears with the first report and goes
away when the last entry is done, so later stages (the audit, reports) print cleanly.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from chatmigrate.replay import ProgressCallback


class _Bar:
    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None or self.task is None:
            columns = (TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            self.bar = Progress(*columns, console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done, total=total)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
        self.bar, self.task = None, None


@contextlib.contextmanager
def progress_bar(enabled: bool | None, label: str = "replay") -> Iterator[ProgressCallback | None]:
    """A rich bar on stderr when ``enabled`` (default: stderr is a terminal); None for pipes and CI logs."""
    if not (sys.stderr.isatty() if enabled is None else enabled):
        yield None
        return
    bar = _Bar(label)
    try:
        yield bar
    finally:
        bar.close()
