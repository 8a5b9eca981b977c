"""Synthetic recorded exchanges for the compare tests: one corpus entry, each side called twice."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from chatmigrate import config
from chatmigrate.compare import (
    CompareOptions,
    Comparison,
    NormaliseRule,
    compare_exchanges,
)
from chatmigrate.noise import IgnoreRule
from chatmigrate.records import Exchange, Finding
from chatmigrate.vocab import Tier

ENDPOINT = "GET /admin/chat/ [recent_messages]"
URLS = {
    Tier.OLD: "http://old.test/admin/chat/?chatroom_id=1",
    Tier.NEW: "http://new.test/api/v1/admin/chat/?chatroom_id=1",
    Tier.PROXY: "http://proxy.test/api/chat-messages?chatroom_id=1",
}
LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Log in | Django site admin</title></head><body>"
    '<form action="/admin/login/" method="post"><input type="text" name="username">'
    '<input type="password" name="password"></form></body></html>'
)
NOT_FOUND_PAGE = "<!DOCTYPE html><html><head><title>Page not found</title></head><body><h1>Not Found</h1></body></html>"


def messages_body(count: int = 3) -> dict[str, Any]:
    items = [
        {
            "id": 100 - i,
            "chatroom_id": 1,
            "sender": "player",
            "message": f"m{i}",
            "timestamp": f"2026-01-05T10:0{i}:00Z",
            "is_read": True,
        }
        for i in range(count)
    ]
    return {"status": "success", "messages": items, "count": count, "has_more": False}


def exchange(
    side: str,
    attempt: int = 0,
    body: Any = None,
    *,
    entry: str = "e1",
    status: int = 200,
    content_type: str = "application/json",
    text: str | None = None,
    headers: dict[str, str] | None = None,
    elapsed_ms: float = 10.0,
    error: str | None = None,
    endpoint: str = ENDPOINT,
) -> Exchange:
    is_json = text is None and error is None and status != 302
    return Exchange(
        entry_id=entry,
        side=side,
        attempt=attempt,
        method="GET",
        url=URLS[side],
        endpoint=endpoint,
        status=None if error else status,
        content_type=content_type if is_json else (content_type or ""),
        headers=headers or {},
        body=copy.deepcopy(body) if is_json else None,
        text=text,
        is_json=is_json,
        elapsed_ms=elapsed_ms,
        error=error,
    )


def pair(old: Callable[[int], Exchange], new: Callable[[int], Exchange]) -> list[Exchange]:
    """One corpus entry: each side called twice (attempts 0 and 1), as the runner does."""
    return [old(0), old(1), new(0), new(1)]


def json_pair(old_body: Any, new_body: Any, *, entry: str = "e1", **kwargs: Any) -> list[Exchange]:
    return pair(
        lambda a: exchange(Tier.OLD, a, old_body, entry=entry, **kwargs),
        lambda a: exchange(Tier.NEW, a, new_body, entry=entry, **kwargs),
    )


def run(
    *groups: list[Exchange],
    rules: tuple[IgnoreRule, ...] = (),
    normalise: tuple[NormaliseRule, ...] = (),
    **options: Any,
) -> Comparison:
    options.setdefault("schema_check", lambda *args: [])
    declared = [
        config.NormaliseRule(kind=str(rule.kind), path=rule.path, reason=rule.reason, endpoint=rule.endpoint)
        for rule in normalise
    ]
    return compare_exchanges(list(groups), rules, CompareOptions(**options, normalise=declared))


def of(comparison: Comparison, check: str) -> list[Finding]:
    return [finding for finding in comparison.findings if finding.check == check]


def with_change(body: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    change(changed)
    return changed


def rename_message_to_text(body: dict[str, Any]) -> None:
    for item in body["messages"]:
        item["text"] = item.pop("message")


def noisy_pair(entry: str, stamps: tuple[str, str, str, str], **kwargs: Any) -> list[Exchange]:
    """Four calls of one entry, each with its own generated_at, like the reference server."""
    bodies = [dict(messages_body(), generated_at=stamp) for stamp in stamps]
    return [
        exchange(side, attempt, body, entry=entry, **kwargs)
        for (side, attempt), body in zip(
            [(Tier.OLD, 0), (Tier.OLD, 1), (Tier.NEW, 0), (Tier.NEW, 1)], bodies, strict=True
        )
    ]
