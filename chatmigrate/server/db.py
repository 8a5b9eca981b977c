"""SQLite store of the reference server.

One connection in WAL mode with ``synchronous=FULL``: a write is on disk when
``commit`` returns, so anything acknowledged to a client survives a crash.
A lock serialises access because uvicorn may call in from more than one thread.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, email TEXT NOT NULL,
    password_hash TEXT NOT NULL, role TEXT NOT NULL, is_staff INTEGER NOT NULL, is_active INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS players (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL, display_name TEXT NOT NULL, is_online INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chatrooms (
    id INTEGER PRIMARY KEY, player_id INTEGER NOT NULL UNIQUE REFERENCES players(id), name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, chatroom_id INTEGER NOT NULL REFERENCES chatrooms(id),
    sender TEXT NOT NULL, sender_id INTEGER NOT NULL, message TEXT NOT NULL, created_at TEXT NOT NULL,
    is_read INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_room ON messages(chatroom_id, id);
CREATE TABLE IF NOT EXISTS purchases (
    id INTEGER PRIMARY KEY, chatroom_id INTEGER NOT NULL REFERENCES chatrooms(id), player_id INTEGER NOT NULL,
    item TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
    html_content TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS purchases_room ON purchases(chatroom_id, id);
CREATE TABLE IF NOT EXISTS sessions (
    session_key TEXT PRIMARY KEY, user_id INTEGER NOT NULL, auth_hash TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS blacklist (jti TEXT PRIMARY KEY, expires_at REAL NOT NULL);
"""

PBKDF2_ITERATIONS = 20_000


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PBKDF2_ITERATIONS).hex()
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt}${digest}"


def check_password(password: str, encoded: str) -> bool:
    try:
        _, iterations, salt, digest = encoded.split("$")
    except ValueError:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)


async def check_password_in_thread(password: str, encoded: str) -> bool:
    """PBKDF2 costs tens of milliseconds of CPU: in a worker thread the event loop keeps serving meanwhile."""
    return await run_in_threadpool(check_password, password, encoded)


async def hash_password_in_thread(password: str) -> str:
    """As ``check_password_in_thread``: never hash on the event loop."""
    return await run_in_threadpool(hash_password, password)


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    email: str
    password_hash: str
    role: str
    is_staff: bool
    is_active: bool


@dataclass(frozen=True, slots=True)
class Chatroom:
    id: int
    player_id: int
    name: str


class Store:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def is_empty(self) -> bool:
        return self._one("SELECT 1 FROM users LIMIT 1") is None

    # users -----------------------------------------------------------------
    def user_by_username(self, username: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE username = ?", (username,))
        return _user(row)

    def user_by_id(self, user_id: int) -> User | None:
        row = self._one("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row)

    def set_password(self, user_id: int, password_hash: str, keep_session: str, session_auth_hash: str) -> None:
        """Django's ``update_session_auth_hash`` in the same transaction: every other session of the user
        goes stale, the one that changed the password stays valid."""
        with self.transaction() as conn:
            conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
            conn.execute(
                "UPDATE sessions SET auth_hash = ? WHERE session_key = ? AND user_id = ?",
                (session_auth_hash, keep_session, user_id),
            )

    def set_active(self, user_id: int, active: bool) -> User | None:
        """Deactivation as Django's admin does it: the row stays, ``is_active`` turns off."""
        with self.transaction() as conn:
            conn.execute("UPDATE users SET is_active = ? WHERE id = ?", (int(active), user_id))
        return self.user_by_id(user_id)

    # refresh-token blacklist -----------------------------------------------
    def blacklist(self, jti: str, expires_at: float) -> bool:
        """simplejwt's ``BlacklistedToken``, kept until the token would have expired anyway.
        True when this call added ``jti``, False when it was blacklisted already."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM blacklist WHERE expires_at < ?", (time.time(),))
            added = conn.execute("INSERT OR IGNORE INTO blacklist VALUES (?, ?)", (jti, expires_at)).rowcount
        return added == 1

    def is_blacklisted(self, jti: str) -> bool:
        return self._one("SELECT 1 FROM blacklist WHERE jti = ?", (jti,)) is not None

    # chat data -------------------------------------------------------------
    def chatroom(self, chatroom_id: int) -> Chatroom | None:
        row = self._one("SELECT * FROM chatrooms WHERE id = ?", (chatroom_id,))
        return Chatroom(row["id"], row["player_id"], row["name"]) if row else None

    def chatroom_by_player(self, player_id: int) -> Chatroom | None:
        row = self._one("SELECT * FROM chatrooms WHERE player_id = ?", (player_id,))
        return Chatroom(row["id"], row["player_id"], row["name"]) if row else None

    def player(self, player_id: int) -> sqlite3.Row | None:
        return self._one("SELECT * FROM players WHERE id = ?", (player_id,))

    def messages(self, chatroom_id: int, limit: int, before: int | None) -> list[sqlite3.Row]:
        """Newest first."""
        return self._all(
            _messages_where("m.chatroom_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?"),
            (chatroom_id, before if before is not None else 2**62, limit),
        )

    def message(self, message_id: int) -> sqlite3.Row | None:
        return self._one(_messages_where("m.id = ?"), (message_id,))

    def purchases(self, chatroom_id: int, limit: int, before: int | None) -> list[sqlite3.Row]:
        return self._all(
            "SELECT * FROM purchases WHERE chatroom_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
            (chatroom_id, before if before is not None else 2**62, limit),
        )

    def chat_list(self) -> list[sqlite3.Row]:
        return self._all(
            "SELECT c.id AS chatroom_id, c.name AS chatroom, p.id AS player_id, p.username, p.is_online,"
            " (SELECT message FROM messages WHERE chatroom_id = c.id ORDER BY id DESC LIMIT 1) AS last_message,"
            " (SELECT created_at FROM messages WHERE chatroom_id = c.id ORDER BY id DESC LIMIT 1)"
            "   AS last_message_at,"
            " (SELECT COUNT(*) FROM messages WHERE chatroom_id = c.id AND sender = 'player' AND is_read = 0)"
            "   AS unread_count"
            " FROM chatrooms c JOIN players p ON p.id = c.player_id"
            " ORDER BY last_message_at DESC, c.id"
        )

    def add_message(self, chatroom_id: int, sender: str, sender_id: int, text: str) -> int:
        """Committed (fsync'd) before returning: callers acknowledge only after this."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO messages (chatroom_id, sender, sender_id, message, created_at, is_read)"
                " VALUES (?, ?, ?, ?, ?, 0)",
                (chatroom_id, sender, sender_id, text, utc_now_iso()),
            )
            message_id = cursor.lastrowid
        assert message_id is not None
        return message_id

    def mark_read(self, chatroom_id: int, message_id: int) -> bool:
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE messages SET is_read = 1 WHERE id = ? AND chatroom_id = ?", (message_id, chatroom_id)
            )
            return cursor.rowcount > 0

    # sessions --------------------------------------------------------------
    def create_session(self, user_id: int, auth_hash: str, expires_at: float, key: str | None = None) -> str:
        key = key or "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?)", (key, user_id, auth_hash, expires_at))
        return key

    def session(self, key: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM sessions WHERE session_key = ?", (key,))

    def delete_session(self, key: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE session_key = ?", (key,))

    # seeding ---------------------------------------------------------------
    def insert_rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        marks = ", ".join("?" for _ in rows[0])
        with self.transaction() as conn:
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def _messages_where(condition: str) -> str:
    """Every message read goes through here: the sender's name is joined in one way, so a page of
    messages and a single stored message (the send answer, the broadcast) serialise alike."""
    return (
        "SELECT m.*, CASE WHEN m.sender = 'player' THEN p.display_name ELSE u.username END AS sender_name"
        " FROM messages m JOIN chatrooms c ON c.id = m.chatroom_id JOIN players p ON p.id = c.player_id"
        f" LEFT JOIN users u ON u.id = m.sender_id AND m.sender = 'admin' WHERE {condition}"
    )


def _user(row: sqlite3.Row | None) -> User | None:
    if row is None:
        return None
    return User(
        row["id"],
        row["username"],
        row["email"],
        row["password_hash"],
        row["role"],
        bool(row["is_staff"]),
        bool(row["is_active"]),
    )
