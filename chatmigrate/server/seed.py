"""Deterministic seed data: the same seed gives the same players, messages and purchases.

Timestamps come from the seed, not the clock, so two servers seeded alike answer
byte-identical data (apart from the per-call noise fields).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from chatmigrate.server.db import Store, hash_password

PRINCIPALS = (
    # id, username, role, is_staff, is_active
    (1, "admin", "admin", True, True),
    (2, "support", "support", True, True),
    (3, "viewer", "viewer", False, True),
    (4, "former", "admin", True, False),
)
STAFF_ROLES = frozenset({"admin", "support"})
FIRST_PLAYER_ID = 1001

_PLAYER_LINES = (
    "Hi, my deposit has not arrived yet",
    "Can you check my withdrawal?",
    "Thanks!",
    "Is the bonus still active?",
    "I can't log in on mobile",
    "ok",
    "When does the tournament start?",
    "My balance looks wrong",
    "Übersetzung bitte 🙏",
    "Why was my account verified twice?",
)
_ADMIN_LINES = (
    "Let me check that for you.",
    "It is processing, give it 10 minutes.",
    "Done, please refresh.",
    "Could you send me the transaction id?",
    "You're welcome!",
    "The bonus ends on Sunday.",
)
_ITEMS = (("Gold pack", "4.99"), ("Diamond bundle", "19.99"), ("VIP month", "9.99"), ("Starter pack", "0.99"))
_RICH_HTML = (
    "<p><b>Gold pack</b> &lt;script&gt; is shown as text</p>",
    '<p><img src="/static/diamond.png" alt="Diamond bundle"> Diamond bundle</p>',
    '<p><a href="/receipts/">receipt</a> <i>VIP</i></p>',
)
"""Markup the ChatComponent renders raw: rich but inert, so a clean server serves no active content."""
ACTIVE_HTML = (
    '<b>Gold pack</b><script>window.__pwned = "script"</script><img src=x onerror="window.__pwned = \'onerror\'">'
)
"""What the stored-active-html flaw puts in one purchase: script and handler, as a stored XSS would."""


def seed_store(store: Store, seed: int, players: int, messages_per_room: int, password: str) -> None:
    rng = random.Random(seed)
    pw_hash = hash_password(password, salt=f"seed{seed}")
    store.insert_rows(
        "users",
        [
            (uid, name, f"{name}@example.com", pw_hash, role, int(staff), int(active))
            for uid, name, role, staff, active in PRINCIPALS
        ],
    )
    base = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    player_rows, room_rows, message_rows, purchase_rows = [], [], [], []
    message_id = purchase_id = 0
    for index in range(players):
        player_id = FIRST_PLAYER_ID + index
        room_id = index + 1
        player_rows.append((player_id, f"player{player_id}", f"Player {player_id}", int(rng.random() < 0.4)))
        room_rows.append((room_id, player_id, f"P{player_id}Chat"))
        moment = base + timedelta(hours=rng.randint(0, 24 * 30))
        for turn in range(messages_per_room):
            moment += timedelta(minutes=rng.randint(1, 180), seconds=rng.randint(0, 59))
            from_player = turn % 3 != 1
            message_id += 1
            unread = from_player and turn >= messages_per_room - rng.randint(0, 4)
            message_rows.append(
                (
                    message_id,
                    room_id,
                    "player" if from_player else "admin",
                    player_id if from_player else rng.choice((1, 2)),
                    rng.choice(_PLAYER_LINES if from_player else _ADMIN_LINES),
                    _iso(moment),
                    int(not unread),
                )
            )
        for _ in range(rng.randint(3, 8)):
            purchase_id += 1
            item, amount = rng.choice(_ITEMS)
            html = rng.choice(_RICH_HTML) if rng.random() < 0.3 else f"<p><b>{item}</b> x1</p>"
            moment += timedelta(minutes=rng.randint(5, 600))
            purchase_rows.append(
                (
                    purchase_id,
                    room_id,
                    player_id,
                    item,
                    amount,
                    "USD",
                    rng.choice(("completed", "completed", "pending", "refunded")),
                    html,
                    _iso(moment),
                )
            )
    store.insert_rows("players", player_rows)
    store.insert_rows("chatrooms", room_rows)
    store.insert_rows("messages", message_rows)
    store.insert_rows("purchases", purchase_rows)


def plant_active_html(store: Store) -> None:
    """The stored-active-html flaw: the newest purchase of every room carries a script and a handler."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE purchases SET html_content = ? WHERE id IN (SELECT MAX(id) FROM purchases GROUP BY chatroom_id)",
            (ACTIVE_HTML,),
        )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
