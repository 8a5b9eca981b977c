"""Drifts and flaws: each makes the JWT tier wrong in exactly one known way.

They exist so that every chatmigrate check can be shown to catch what it claims,
and so that a user can see a failing report with one command.
"""

from __future__ import annotations

from dataclasses import dataclass

DRIFTS: dict[str, str] = {
    "rename-field": "messages carry 'text' instead of 'message'",
    "timestamp-format": "timestamps are epoch seconds instead of ISO 8601",
    "reverse-order": "messages come oldest first instead of newest first",
    "purchases-key": "purchases come under 'purchases' instead of 'messages'",
    "string-ids": "item ids are strings instead of integers",
    "limit-off-by-one": "limit=N returns N-1 items",
    "html-404": "an unknown chatroom gives an HTML 404 page instead of JSON",
    "status-change": "an unknown chatroom gives 400 instead of 404",
    "slow-messages": "recent_messages answers 400 ms late (a latency regression)",
}

FLAWS: dict[str, str] = {
    "accept-expired": "expired access tokens are accepted",
    "alg-none": "tokens with alg 'none' and no signature are accepted",
    "skip-signature": "the token signature is not verified",
    "role-bypass": "the role check is skipped: any valid token may read chats",
    "html-401": "authentication failures answer an HTML page instead of JSON",
    "stack-trace": "authentication failures include a Python traceback in the body",
    "echo-token": "authentication failures echo the presented token in 'detail'",
    "lowercase-bearer": "a lowercase 'bearer' scheme takes a path that skips signature checks",
    "ws-missing-token": "WebSocket jwt mode accepts an auth message without a token",
    "ws-no-origin-check": "the WebSocket accepts any browser Origin",
}


@dataclass(frozen=True, slots=True)
class Switches:
    drifts: frozenset[str] = frozenset()
    flaws: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, drifts: list[str] | None = None, flaws: list[str] | None = None) -> Switches:
        """Validate names up front so a typo is a usage error, not a silently clean server."""
        unknown = [f"drift {name!r}" for name in drifts or [] if name not in DRIFTS]
        unknown += [f"flaw {name!r}" for name in flaws or [] if name not in FLAWS]
        if unknown:
            raise ValueError(f"unknown {', '.join(unknown)} (see 'chatmigrate serve --list')")
        return cls(frozenset(drifts or []), frozenset(flaws or []))

    def drift(self, name: str) -> bool:
        return name in self.drifts

    def flaw(self, name: str) -> bool:
        return name in self.flaws


def listing() -> list[str]:
    return [f"drift {name} {text}" for name, text in DRIFTS.items()] + [
        f"flaw {name} {text}" for name, text in FLAWS.items()
    ]
