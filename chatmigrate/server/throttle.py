"""Failed-login throttling for the token endpoint, per username, as django-axes or a DRF throttle does it.

Failures are counted per username, known or not, so that the throttle says nothing about which users
exist. A success below the limit clears the count; at the limit every attempt is refused, the right
password too (else the throttle itself would confirm a guess), until the oldest failure leaves the window.
The bad-token-lockout flaw counts refused bearer tokens per client address with the same class.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

MAX_TRACKED = 10_000
"""Usernames remembered at once: a spray of invented names cannot grow the table without bound."""


class LoginThrottle:
    def __init__(self, limit: int = 10, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def retry_after(self, username: str) -> int | None:
        """Whole seconds until ``username`` may try again, or None when it may try now."""
        now = time.monotonic()
        recent = [moment for moment in self._failures.get(username, []) if now - moment < self.window]
        if len(recent) < self.limit:
            return None
        return max(1, math.ceil(self.window - (now - recent[-self.limit])))

    def failed(self, username: str) -> None:
        now = time.monotonic()
        recent = [moment for moment in self._failures.pop(username, []) if now - moment < self.window]
        self._failures[username] = [*recent[-self.limit :], now]
        while len(self._failures) > MAX_TRACKED:
            self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)
