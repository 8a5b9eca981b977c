"""Who is behind a legacy session: learned when the login passes through the shadow, never stored as the id.

The key is a SHA-256 of the session id, so neither memory dumps of this map nor anything written from it can
be replayed against old. A session the shadow did not see log in (it predates the shadow, or was made
elsewhere) has no known user: its requests are answered as usual and not mirrored to new, because mirroring
them as anyone else would compare two different principals.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable

ANONYMOUS = ""
"""The principal of a request that carries no session at all: mirrored to new with no credential either."""


def session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogateescape")).hexdigest()


def cookie_value(cookie_header: str, name: str) -> str | None:
    """Split as Django's own ``parse_cookie`` does (``;`` then the first ``=``), so the shadow reads the same session
    id that old will (the last of several wins there too); stricter parsing would miss sessions old accepts."""
    found = None
    for part in cookie_header.split(";"):
        key, equals, value = part.partition("=")
        if equals and key.strip() == name:
            found = value.strip().strip('"') or None
    return found


class SessionDirectory:
    """A bounded map from hashed session ids to usernames, oldest forgotten first."""

    def __init__(self, cookie_name: str = "sessionid", capacity: int = 10_000) -> None:
        self.cookie_name = cookie_name
        self.capacity = capacity
        self._users: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._users)

    def learn(self, username: str, set_cookies: Iterable[str]) -> bool:
        """After a login answered with a new session cookie: that session is this user's."""
        for header in set_cookies:
            session_id = cookie_value(header, self.cookie_name)
            if session_id and username:
                key = session_key(session_id)
                self._users[key] = username
                self._users.move_to_end(key)
                while len(self._users) > self.capacity:
                    self._users.popitem(last=False)
                return True
        return False

    def forget(self, cookie_header: str) -> None:
        session_id = cookie_value(cookie_header, self.cookie_name)
        if session_id:
            self._users.pop(session_key(session_id), None)

    def user_of(self, cookie_header: str) -> str | None:
        """The username, ``ANONYMOUS`` for a request without a session, None for a session we never saw begin."""
        session_id = cookie_value(cookie_header, self.cookie_name) if cookie_header else None
        if session_id is None:
            return ANONYMOUS
        return self._users.get(session_key(session_id))
