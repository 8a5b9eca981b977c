"""Deterministic seed: the same principals, rooms, messages and purchases on every start.

Principals: ``admin`` (superuser), ``support`` (staff), ``viewer`` (active, not staff), ``spare`` (staff, for
the audit's password change) and ``former`` (staff, deactivated), all with one password."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User

from chatsite.chat.models import Chatroom, Message, Player, Purchase

PRINCIPALS = (
    # username, is_staff, is_superuser, is_active
    ("admin", True, True, True),
    ("support", True, False, True),
    ("viewer", False, False, True),
    ("spare", True, False, True),
    ("former", True, False, False),
)
PLAYERS = 4
MESSAGES_PER_ROOM = 14
FIRST_PLAYER_ID = 1001
_LINES = ("Hi, my deposit has not arrived yet", "Can you check my withdrawal?", "Thanks!", "Übersetzung bitte 🙏")
_REPLIES = ("Let me check that for you.", "Done, please refresh.", "The bonus ends on Sunday.")
_ITEMS = (("Gold pack", "4.99"), ("Diamond bundle", "19.99"), ("VIP month", "29.97"))


def seed(password: str) -> None:
    for username, staff, superuser, active in PRINCIPALS:
        User.objects.create_user(
            username,
            f"{username}@example.com",
            password,
            is_staff=staff,
            is_superuser=superuser,
            is_active=active,
        )
    rng = random.Random(7)
    moment = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    messages, purchases = [], []
    for index in range(PLAYERS):
        player = Player.objects.create(
            id=FIRST_PLAYER_ID + index,
            username=f"player{FIRST_PLAYER_ID + index}",
            display_name=f"Player {FIRST_PLAYER_ID + index}",
            is_online=index % 2 == 0,
        )
        room = Chatroom.objects.create(id=index + 1, player=player, name=f"P{player.id}Chat")
        for turn in range(MESSAGES_PER_ROOM):
            moment += timedelta(minutes=rng.randint(1, 180), seconds=rng.randint(0, 59))
            from_player = turn % 3 != 1
            messages.append(
                Message(
                    chatroom=room,
                    sender="player" if from_player else "admin",
                    sender_id=player.id if from_player else 1,
                    sender_name=player.display_name if from_player else "admin",
                    message=rng.choice(_LINES if from_player else _REPLIES),
                    created_at=moment,
                    is_read=not from_player or turn < MESSAGES_PER_ROOM - 3,
                )
            )
        for _ in range(rng.randint(4, 7)):
            item, amount = rng.choice(_ITEMS)
            moment += timedelta(minutes=rng.randint(5, 600))
            purchases.append(
                Purchase(
                    chatroom=room,
                    item=item,
                    amount=Decimal(amount),
                    currency="USD",
                    status=rng.choice(("completed", "pending", "refunded")),
                    html_content=f"<p><b>{item}</b> x1</p>",
                    created_at=moment,
                )
            )
    Message.objects.bulk_create(messages)
    Purchase.objects.bulk_create(purchases)
