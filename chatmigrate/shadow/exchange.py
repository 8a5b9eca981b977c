"""Turning what passed through the shadow into the runner's ``Exchange`` records, so compare needs nothing new."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import httpx

from chatmigrate.bounded import BodyTooLarge
from chatmigrate.records import CorpusEntry, Exchange
from chatmigrate.redact import redact
from chatmigrate.replay import endpoint_key
from chatmigrate.responses import record_raw
from chatmigrate.vocab import Tier

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def entry_for(number: int, method: str, path: str, query: str, content: bytes, content_type: str) -> CorpusEntry:
    """A corpus entry that stands for one live request (its id is its arrival number)."""
    body = None
    if content and "json" in content_type:
        try:
            body = json.loads(content)
        except ValueError:
            body = None
    return CorpusEntry(
        id=f"shadow-{number:08d}",
        method=method,
        path=path,
        query=dict(parse_qsl(query, keep_blank_values=True)),
        body=body,
        tags=["shadow"],
        unsafe=method not in SAFE_METHODS,
    )


async def read_raw(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """The body as it came off the wire (still encoded), at most ``cap`` bytes; True when there was more."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > cap:
            return b"", True
        chunks.append(chunk)
    return b"".join(chunks), False


def blank_exchange(entry: CorpusEntry, tier: Tier, attempt: int, url: str, elapsed_ms: float) -> Exchange:
    """The record of one call before its answer is known (or when there is none)."""
    return Exchange(
        entry_id=entry.id,
        side=tier,
        attempt=attempt,
        method=entry.method,
        url=redact(url),
        endpoint=endpoint_key(entry),
        elapsed_ms=elapsed_ms,
    )


def exchange_of(
    entry: CorpusEntry,
    tier: Tier,
    attempt: int,
    url: str,
    response: httpx.Response,
    raw: tuple[bytes, bool],
    cap: int,
    elapsed_ms: float,
) -> Exchange:
    """Decoded here with the same bound as replay, so a compression bomb stops at ``cap`` decoded bytes too."""
    record = blank_exchange(entry, tier, attempt, url, elapsed_ms)
    if raw[1]:
        record_raw(record, response, b"", cap)
        record.error = str(BodyTooLarge(cap))
        return record
    record_raw(record, response, raw[0], cap)
    return record


def failed_exchange(entry: CorpusEntry, tier: Tier, attempt: int, url: str, error: str, elapsed_ms: float) -> Exchange:
    record = blank_exchange(entry, tier, attempt, url, elapsed_ms)
    record.error = f"transport: {redact(error)}"
    return record
