"""Each chat-socket flaw's effect on the wire, next to the clean server: the one hole opens, every other refusal
holds. Part of the flaw-effect table of tests/server/test_switches.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from server_wire import access_token, forge, fresh_claims, ws_path
from socket_session_wire import (
    check_ws_deactivated_user_kept,
    check_ws_expired_token_kept,
    check_ws_logout_kept,
    check_ws_room_from_message,
    check_ws_sender_from_message,
)
from switch_wire import bad_tokens, status_of, ws_first_event
from token_wire import FORMER_ID

from chatmigrate.embedded import EmbeddedServer


def check_ws_missing_token(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    frame = json.dumps({"type": "auth"})
    assert asyncio.run(ws_first_event(clean, frame)) == "close 4400"
    assert asyncio.run(ws_first_event(switched, frame)) == "connected"
    assert asyncio.run(ws_first_event(switched, json.dumps({"type": "auth", "token": "x.y.z"}))) == "close 4401"
    assert (
        asyncio.run(ws_first_event(switched, json.dumps({"type": "auth", "token": access_token(switched)})))
        == "connected"
    )


def check_ws_no_origin_check(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    frame = json.dumps({"type": "auth", "token": access_token(switched)})
    assert asyncio.run(ws_first_event(clean, frame, origin="http://evil.example")) == "handshake 403"
    assert asyncio.run(ws_first_event(switched, frame, origin="http://evil.example")) == "connected"
    assert (
        asyncio.run(ws_first_event(switched, json.dumps({"type": "auth", "token": "x.y.z"}), origin="null"))
        == "close 4401"
    )


def ws_auth_event(server: EmbeddedServer, token: str, user_id: int = 1) -> str:
    return asyncio.run(ws_first_event(server, json.dumps({"type": "auth", "token": token}), user_id=user_id))


def check_ws_non_staff(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert ws_auth_event(clean, access_token(clean, "viewer"), 3) == "close 4403"
    assert ws_auth_event(switched, access_token(switched, "viewer"), 3) == "connected"
    assert ws_auth_event(switched, access_token(switched)) == "connected"

    def refused(server: EmbeddedServer) -> dict[str, str]:
        """Every bad token (the viewer's naming the admin), and a deactivated staff user's naming themselves."""
        inactive = forge(fresh_claims(server, user_id=FORMER_ID), server.config.jwt_secret)
        return {**bad_tokens(server), "inactive": inactive}

    owners = {"unknown-user": 424242, "inactive": FORMER_ID}
    clean_tokens, switched_tokens = refused(clean), refused(switched)
    for case, token in clean_tokens.items():
        expected = ws_auth_event(clean, token, owners.get(case, 1))
        assert expected.startswith("close 44"), case
        assert ws_auth_event(switched, switched_tokens[case], owners.get(case, 1)) == expected, case


def socket_event(server: EmbeddedServer, token: str | None, path: str) -> str:
    frame = json.dumps({"type": "auth", "token": token}) if token is not None else "{}"
    return asyncio.run(ws_first_event(server, frame, path=path))


def check_ws_token_unverified(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    for case in ("bad-signature", "expired", "alg-none"):
        assert socket_event(clean, bad_tokens(clean)[case], ws_path()) == "close 4401", case
        assert socket_event(switched, bad_tokens(switched)[case], ws_path()) == "connected", case
    assert status_of(switched, f"Bearer {bad_tokens(switched)['bad-signature']}") == 401
    unknown = forge(fresh_claims(switched, user_id=424242), "not-the-server-key-but-long-enough-for-hs256")
    assert socket_event(switched, unknown, ws_path(user_id=424242)) == "close 4401"
    assert socket_event(switched, bad_tokens(switched)["viewer"], ws_path(user_id=3)) == "close 4403"


def check_ws_token_user_mismatch(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert socket_event(clean, access_token(clean, "viewer"), ws_path()) == "close 4403"
    assert socket_event(switched, access_token(switched, "viewer"), ws_path()) == "connected"
    assert socket_event(switched, access_token(switched, "viewer"), ws_path(user_id=3)) == "close 4403"
    assert socket_event(switched, bad_tokens(switched)["bad-signature"], ws_path()) == "close 4401"


def check_ws_default_user(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    """In jwt mode the default only names whom the token must be; url mode's hole is shown below."""
    assert socket_event(clean, access_token(clean), ws_path(user_id=None)) == "close 4400"
    assert socket_event(switched, access_token(switched), ws_path(user_id=None)) == "connected"
    assert socket_event(switched, access_token(switched, "viewer"), ws_path(user_id=None)) == "close 4403"


def check_ws_room_id_overflow(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    token, huge = access_token(switched), f"/ws/cschat/P{'9' * 20}Chat/?user_id=1"
    assert socket_event(clean, access_token(clean), huge) == "handshake 403"
    assert socket_event(switched, token, huge) == "handshake 500"
    assert socket_event(switched, token, f"/ws/cschat/P{'9' * 15}Chat/?user_id=1") == "handshake 403"
    assert socket_event(switched, token, ws_path()) == "connected"


EFFECTS: dict[str, Callable[[EmbeddedServer, EmbeddedServer], None]] = {
    "ws-missing-token": check_ws_missing_token,
    "ws-no-origin-check": check_ws_no_origin_check,
    "ws-expired-token-kept": check_ws_expired_token_kept,
    "ws-logout-kept": check_ws_logout_kept,
    "ws-deactivated-user-kept": check_ws_deactivated_user_kept,
    "ws-sender-from-message": check_ws_sender_from_message,
    "ws-room-from-message": check_ws_room_from_message,
    "ws-non-staff": check_ws_non_staff,
    "ws-token-unverified": check_ws_token_unverified,
    "ws-token-user-mismatch": check_ws_token_user_mismatch,
    "ws-default-user": check_ws_default_user,
    "ws-room-id-overflow": check_ws_room_id_overflow,
}
