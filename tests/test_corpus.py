"""Corpora: YAML and JSONL files validated against the contract, sharding, generation from a live server."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from cli_helpers import cli

from chatmigrate.auth import SessionAuth
from chatmigrate.corpus import (
    default_corpus_path,
    dump_corpus,
    generate_corpus,
    load_corpus,
    parse_shard,
    shard,
)
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError, TransportError, UsageError
from chatmigrate.records import CorpusEntry

CORPUS = """\
version: 1
entries:
  - id: list
    query: {request_type: chat_list}
  - id: room-7
    query:
      request_type: recent_messages
      chatroom_id: 7
    tags: [smoke]
  - id: send
    method: POST
    path: /api/v1/chat/send/
    body: {chatroom_id: 7, message: hi}
"""


def write(tmp_path: Path, text: str, name: str = "corpus.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_corpus(path)
    return str(caught.value)


def test_yaml_entries_get_defaults_and_text_query_values(tmp_path: Path) -> None:
    listing, room, send = load_corpus(write(tmp_path, CORPUS))
    assert (listing.method, listing.path, listing.unsafe) == ("GET", "/admin/chat/", False)
    assert room.query == {"request_type": "recent_messages", "chatroom_id": "7"}
    assert room.tags == ["smoke"]
    assert (send.unsafe, send.body) == (True, {"chatroom_id": 7, "message": "hi"})


def test_jsonl_holds_one_entry_per_line(tmp_path: Path) -> None:
    text = '{"id": "a", "query": {"request_type": "chat_list"}}\n\n{"id": "b", "method": "DELETE", "unsafe": false}\n'
    first, second = load_corpus(write(tmp_path, text, "corpus.jsonl"))
    assert first.id == "a" and (second.method, second.unsafe) == ("DELETE", False)


def test_an_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, CORPUS.replace("    tags: [smoke]", "    tag: [smoke]"))
    assert error_of(path).startswith(f"{path}:9 key 'entries[1].tag': unknown key")


def test_a_wrong_type_names_the_line_of_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, CORPUS.replace("chatroom_id: 7\n    tags", "chatroom_id: [7]\n    tags"))
    assert error_of(path).startswith(f"{path}:8 key 'entries[1].query.chatroom_id'")


def test_a_lowercase_method_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, CORPUS.replace("method: POST", "method: post"))
    assert f"{path}:11 key 'entries[2].method'" in error_of(path)


def test_duplicate_ids_name_the_second_one(tmp_path: Path) -> None:
    path = write(tmp_path, CORPUS.replace("id: send", "id: list"))
    assert error_of(path).startswith(f"{path}:10 key 'entries[2].id': duplicate id 'list'")


def test_a_query_string_in_the_path_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, CORPUS.replace("path: /api/v1/chat/send/", "path: /admin/chat/?chatroom_id=1"))
    assert "key 'entries[2].path'" in error_of(path)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nentries:\n  - id: a\n   x: [\n")
    assert error_of(path).startswith(f"{path}:4: invalid YAML")


def test_wrong_version_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 2\nentries: []\n")
    assert error_of(path).startswith(f"{path}:1 key 'version'")


def test_a_bad_jsonl_line_names_its_number(tmp_path: Path) -> None:
    path = write(tmp_path, '{"id": "a"}\n{"id": "b", "tags": [1]}\n', "corpus.jsonl")
    assert error_of(path).startswith(f"{path}:2 key 'tags[0]'")
    path.write_text('{"id": "a"}\n{"id": \n')
    assert error_of(path).startswith(f"{path}:2: invalid JSON")


@pytest.mark.parametrize("name", ["corpus.yaml", "corpus.jsonl"])
def test_a_dumped_corpus_loads_back_unchanged(tmp_path: Path, name: str) -> None:
    entries = load_corpus(write(tmp_path, CORPUS))
    dump_corpus(entries, tmp_path / "out" / name, comment="round trip")
    assert load_corpus(tmp_path / "out" / name) == entries


def test_shards_partition_the_corpus_by_id_whatever_the_order() -> None:
    entries = [CorpusEntry(id=f"entry-{n}") for n in range(200)]
    shards = [shard(entries, k, 4) for k in range(1, 5)]
    assert sorted(e.id for part in shards for e in part) == sorted(e.id for e in entries)
    assert all(part for part in shards)
    assert shard(list(reversed(entries)), 2, 4) == list(reversed(shards[1]))


def test_shard_notation_is_k_of_n() -> None:
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "2", "a/b"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def generated(server: EmbeddedServer) -> list[CorpusEntry]:
    return generate_corpus(server.base_url, SessionAuth(server.base_url, "admin", server.config.password))


def test_the_shipped_corpus_is_what_generate_gives_for_the_default_seed(server: EmbeddedServer) -> None:
    assert load_corpus(default_corpus_path()) == generated(server)


def test_generation_covers_every_chatroom_and_request_type(server: EmbeddedServer) -> None:
    ids = {entry.id for entry in generated(server)}
    rooms = range(1, server.config.players + 1)
    assert {f"room-{room}-{kind}" for room in rooms for kind in ("recent_messages", "purchases_list")} <= ids
    assert "chat-list" in ids


def test_generation_adds_paging_from_real_ids_unknown_rooms_and_bad_parameters(server: EmbeddedServer) -> None:
    entries = {entry.id: entry for entry in generated(server)}
    paging = [entry for entry in entries.values() if "paging" in entry.tags]
    assert any("limit" in e.query for e in paging) and any(e.query.get("before", "").isdigit() for e in paging)
    assert entries["unknown-chatroom-recent_messages"].query["chatroom_id"] == str(server.config.players + 1000)
    bad = {entry.id for entry in entries.values() if "bad-parameters" in entry.tags}
    assert {"bad-missing-chatroom-id", "bad-chatroom-id-not-integer", "bad-unknown-request-type"} <= bad
    assert entries["bad-limit-zero"].query["limit"] == "0"


def test_generating_from_a_closed_port_is_a_transport_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(TransportError, match="cannot reach"):
        generate_corpus(url, SessionAuth(url, "admin", "seed-Passw0rd"))


def test_generating_with_a_wrong_password_is_a_config_error(server: EmbeddedServer) -> None:
    with pytest.raises(ConfigError, match="login as 'admin'") as caught:
        generate_corpus(server.base_url, SessionAuth(server.base_url, "admin", "not-the-password"))
    assert "not-the-password" not in str(caught.value)


def test_generate_from_something_that_is_not_a_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["corpus", "generate", "--from-server", "not-a-url", "-o", "x.yaml"], capsys)
    assert code == 2 and "http(s) URL" in err


def test_writing_a_corpus_where_it_cannot_go_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = cli(["corpus", "from-har", str(_tiny_har(tmp_path)), "-o", str(blocker / "corpus.yaml")], capsys)
    assert code == 2 and "cannot write the corpus" in err and err.count("\n") == 1


def _tiny_har(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.har"
    path.write_text(
        json.dumps({"log": {"entries": [{"request": {"method": "GET", "url": "http://x/api/chat-users"}}]}})
    )
    return path


def generate_cli(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    password = tmp_path / "password"
    password.write_text(server.config.password)
    login = ["--username", "admin", "--password-file", str(password)]
    out = ["-o", str(tmp_path / "corpus.yaml")]
    return cli(["corpus", "generate", "--from-server", server.base_url, *login, *out, *extra], capsys)


def test_generate_takes_the_password_from_a_file(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = generate_cli(server, tmp_path, capsys)
    assert code == 0 and load_corpus(tmp_path / "corpus.yaml") == generated(server)


def test_a_named_list_key_and_id_field_give_the_same_corpus_as_discovery(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = generate_cli(server, tmp_path, capsys, "--list-key", "chats", "--id-field", "chatroom_id")
    assert code == 0 and load_corpus(tmp_path / "corpus.yaml") == generated(server)


def test_an_id_field_no_listed_object_has_names_what_the_answer_held(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = generate_cli(server, tmp_path, capsys, "--id-field", "uuid")
    assert code == 2 and err.count("\n") == 1
    assert (
        "(request_type=chat_list) gave 200 JSON with keys status, request_type, chats, count, generated_at, "
        "request_id; no list of objects with an id field (uuid)"
    ) in err


def test_the_list_request_is_the_list_query_option(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = generate_cli(server, tmp_path, capsys, "--list-query", "request_type=recent_messages")
    assert code == 2
    assert "(request_type=recent_messages) gave 400 JSON with keys status, message, detail; wrong path or auth?" in err


def test_a_list_query_that_is_not_a_query_string_is_a_usage_error(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = generate_cli(server, tmp_path, capsys, "--list-query", "chat_list")
    assert code == 2 and "--list-query expects a query string" in err


def test_an_answer_that_is_not_json_names_its_status_and_content_type(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = generate_cli(server, tmp_path, capsys, "--path", "/admin/nothing-here/")
    assert code == 2 and "/admin/nothing-here/ (request_type=chat_list) gave 404 text/html, not JSON" in err
