"""Reading a runner's ``exchanges.jsonl`` as a stream of entries, each the consecutive exchanges of one entry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from chatmigrate import exactjson
from chatmigrate.errors import ConfigError
from chatmigrate.records import Exchange, from_dict


def group_exchanges(exchanges: Iterable[Exchange]) -> Iterator[list[Exchange]]:
    """Consecutive exchanges of one entry; the runner writes each entry's exchanges contiguously."""
    group: list[Exchange] = []
    for exchange in exchanges:
        if group and exchange.entry_id != group[0].entry_id:
            yield group
            group = []
        group.append(exchange)
    if group:
        yield group


def read_exchanges(path: Path) -> Iterator[Exchange]:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise ConfigError(f"cannot read exchanges: {error.strerror}", file=str(path)) from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield from_dict(Exchange, exactjson.loads(line))
            except (ValueError, TypeError) as error:
                raise ConfigError(f"not an exchange record: {error}", file=str(path), line=number) from None


@dataclass(frozen=True, slots=True)
class JsonlSource:
    """Re-iterable, so the two passes each stream the file instead of holding it."""

    path: Path

    def __iter__(self) -> Iterator[list[Exchange]]:
        return group_exchanges(read_exchanges(self.path))
