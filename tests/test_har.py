"""HAR import: chat requests become corpus entries; credentials never survive the import."""

import json
from pathlib import Path

import pytest
from cli_helpers import cli

from chatmigrate.corpus import load_corpus
from chatmigrate.errors import ConfigError
from chatmigrate.har import load_har

SECRET_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl"


def har(tmp_path: Path, *requests: dict) -> Path:
    path = tmp_path / "capture.har"
    entries = [{"request": request, "response": {"status": 200}} for request in requests]
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    return path


def get(url: str) -> dict:
    return {
        "method": "GET",
        "url": url,
        "headers": [{"name": "Authorization", "value": f"Bearer {SECRET_TOKEN}"}],
        "cookies": [{"name": "sessionid", "value": "s3cr3tsession"}],
    }


def test_proxy_routes_map_to_the_canonical_chat_path_with_their_request_type(tmp_path: Path) -> None:
    entries = load_har(har(tmp_path, get("https://ui.example/api/chat-purchases?chatroom_id=4")))
    assert [(e.path, e.query) for e in entries] == [
        ("/admin/chat/", {"chatroom_id": "4", "request_type": "purchases_list"})
    ]


def test_jwt_tier_requests_keep_their_query(tmp_path: Path) -> None:
    url = "https://api.example/api/v1/admin/chat/?chatroom_id=2&request_type=recent_messages&limit=20"
    (entry,) = load_har(har(tmp_path, get(url)))
    assert entry.query == {"chatroom_id": "2", "limit": "20", "request_type": "recent_messages"}
    assert not entry.unsafe


def test_non_chat_requests_are_dropped(tmp_path: Path) -> None:
    assert load_har(har(tmp_path, get("https://ui.example/_next/static/app.js"), get("https://x/api/me"))) == []


def test_duplicate_requests_become_one_entry(tmp_path: Path) -> None:
    url = "https://ui.example/api/chat-users"
    assert len(load_har(har(tmp_path, get(url), get(url)))) == 1


def test_credentials_in_query_headers_cookies_and_bodies_are_dropped(tmp_path: Path) -> None:
    send = {
        "method": "POST",
        "url": "https://api.example/api/v1/chat/send/?token=" + SECRET_TOKEN,
        "headers": [{"name": "Authorization", "value": f"Bearer {SECRET_TOKEN}"}],
        "postData": {
            "mimeType": "application/json",
            "text": json.dumps({"chatroom_id": 1, "message": "hi", "password": "hunter22"}),
        },
    }
    entries = load_har(
        har(tmp_path, send, get(f"https://ui.example/api/chat-messages?chatroom_id=1&jwt={SECRET_TOKEN}"))
    )
    dumped = json.dumps([[e.path, e.query, e.body] for e in entries])
    for secret in (SECRET_TOKEN, "s3cr3tsession", "hunter22"):
        assert secret not in dumped
    assert entries[0].body == {"chatroom_id": 1, "message": "hi"}
    assert entries[0].unsafe


def test_a_file_that_is_not_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.har"
    path.write_text('{\n "log": {\n  "entries": [,]\n }\n}')
    with pytest.raises(ConfigError, match=r"broken\.har:3"):
        load_har(path)


def test_json_that_is_not_a_har_names_the_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match=r"log\.entries"):
        load_har(path)


def test_from_har_command_writes_a_corpus_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capture = har(tmp_path, get("https://ui.example/api/chat-messages?chatroom_id=1"), get("https://ui.example/x"))
    out = tmp_path / "corpus.yaml"
    code, printed, _ = cli(["corpus", "from-har", str(capture), "-o", str(out)], capsys)
    assert (code, printed.split(" (")[0]) == (0, f"wrote 1 entries to {out}")
    assert [entry.query for entry in load_corpus(out)] == [{"chatroom_id": "1", "request_type": "recent_messages"}]


def test_from_har_command_with_no_chat_request_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(
        ["corpus", "from-har", str(har(tmp_path, get("https://x/a"))), "-o", str(tmp_path / "c")], capsys
    )
    assert code == 2 and "no chat API request" in err


def test_query_parameters_outside_the_chat_contract_are_dropped(tmp_path: Path) -> None:
    url = "https://ui.example/api/chat-messages?chatroom_id=2&access_tok=SECRETVALUE123&utm=x"
    (entry,) = load_har(har(tmp_path, get(url)))
    assert entry.query == {"chatroom_id": "2", "request_type": "recent_messages"}


@pytest.mark.parametrize(
    "document", ['{"log": []}', '{"log": {"entries": {}}}', "[1, 2]"], ids=["log-list", "entries-object", "list"]
)
def test_a_har_of_the_wrong_shape_is_a_config_error(tmp_path: Path, document: str) -> None:
    path = tmp_path / "odd.har"
    path.write_text(document)
    with pytest.raises(ConfigError, match=r"log\.entries"):
        load_har(path)


def test_a_post_body_that_is_not_an_object_is_ignored(tmp_path: Path) -> None:
    send = {"method": "POST", "url": "https://api.example/api/v1/chat/send/", "postData": "oops"}
    (entry,) = load_har(har(tmp_path, send))
    assert entry.body is None
