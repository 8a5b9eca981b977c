"""exchanges.jsonl for live traffic: whole entries only, and never half a line under a running comparison.

While a comparison reads the file (in a thread), new groups wait in memory and are appended once it is done,
so the reader never meets a partial line and the writer never blocks the event loop on a lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from chatmigrate.records import Exchange
from chatmigrate.responses import exchange_lines


class ExchangeSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: BinaryIO = path.open("ab")
        self._held: list[bytes] | None = None
        self.groups = 0

    def write(self, group: list[Exchange]) -> None:
        lines = exchange_lines(group)
        self.groups += 1
        if self._held is not None:
            self._held.append(lines)
            return
        self._handle.write(lines)
        self._handle.flush()

    def hold(self) -> None:
        self._held = []

    def release(self) -> None:
        held, self._held = self._held or [], None
        if held:
            self._handle.write(b"".join(held))
            self._handle.flush()

    def close(self) -> None:
        self.release()
        self._handle.close()
