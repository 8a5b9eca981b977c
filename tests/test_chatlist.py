"""The chat list found by shape: where a foreign server keeps it and which field is its id."""

from __future__ import annotations

import pytest

from chatmigrate.chatlist import ROOM_ID_FIELDS, ShapeError, find_list

USERS = {"status": "success", "users": [{"id": 1001, "chatroom_id": 1}, {"id": 1002, "chatroom_id": 2}]}


def test_the_room_id_is_preferred_to_the_listed_objects_own_id() -> None:
    found = find_list(USERS, id_fields=ROOM_ID_FIELDS)
    assert (found.key, found.id_field, found.ids()) == ("users", "chatroom_id", [1, 2])


def test_a_list_of_scalars_is_passed_over_for_the_next_list_of_objects() -> None:
    body = {"tags": ["a", "b"], "data": {"chats": [{"id": 7}]}}
    found = find_list(body, id_fields=ROOM_ID_FIELDS)
    assert (found.key, found.ids()) == ("data.chats", [7])


def test_a_top_level_array_is_the_list() -> None:
    assert find_list([{"room_id": 3}], id_fields=ROOM_ID_FIELDS).key == "$"


def test_a_list_whose_objects_lack_every_id_field_names_the_keys_found() -> None:
    body = {"status": "success", "users": [{"username": "p1"}], "generated_at": "2026-01-01T00:00:00Z"}
    with pytest.raises(ShapeError) as caught:
        find_list(body, id_fields=ROOM_ID_FIELDS)
    assert str(caught.value) == (
        "JSON with keys status, users, generated_at; no list of objects with an id field (chatroom_id, room_id or id)"
    )


def test_a_named_key_is_the_only_place_looked_at() -> None:
    with pytest.raises(ShapeError, match="no list at key 'chats'"):
        find_list(USERS, id_fields=ROOM_ID_FIELDS, key="chats")


def test_an_empty_list_is_named_as_such() -> None:
    with pytest.raises(ShapeError, match=r"; empty: users$"):
        find_list({"status": "success", "users": []}, id_fields=ROOM_ID_FIELDS)
