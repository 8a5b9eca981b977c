"""The chat socket over time: every frame after the handshake is checked again, and a message speaks only for
the socket's own user in the room it joined."""

from __future__ import annotations

import pytest
from server_wire import ServerFactory, token_pair
from socket_session_wire import after_deactivation, after_expiry, after_logout, message_after
from token_wire import logout

from chatmigrate.embedded import EmbeddedServer


@pytest.fixture(scope="module")
def jwt_socket(own_server_with: ServerFactory) -> EmbeddedServer:
    return own_server_with(ws_auth="jwt")


def test_a_socket_whose_token_expired_is_closed_4401_at_its_next_message(jwt_socket: EmbeddedServer) -> None:
    assert after_expiry(jwt_socket) == "close 4401"


def test_a_socket_whose_login_was_logged_out_is_closed_4401_at_its_next_message(jwt_socket: EmbeddedServer) -> None:
    assert after_logout(jwt_socket) == "close 4401"


def test_a_socket_whose_user_was_deactivated_is_closed_4403_at_its_next_message(jwt_socket: EmbeddedServer) -> None:
    assert after_deactivation(jwt_socket) == "close 4403"


def test_a_message_naming_another_sender_is_carried_as_the_sockets_own_user(jwt_socket: EmbeddedServer) -> None:
    assert message_after(jwt_socket, named={"user_id": 2, "sender_id": 2}) == "ack sender 1 room 1"


def test_a_message_naming_another_room_stays_in_the_room_the_socket_joined(jwt_socket: EmbeddedServer) -> None:
    assert message_after(jwt_socket, named={"chatroom_id": 2}) == "ack sender 1 room 1"


def test_logging_out_another_login_of_the_same_user_leaves_this_socket_open(jwt_socket: EmbeddedServer) -> None:
    other = token_pair(jwt_socket)
    assert message_after(jwt_socket, lambda: logout(jwt_socket, other["refresh"]).raise_for_status()) == (
        "ack sender 1 room 1"
    )
