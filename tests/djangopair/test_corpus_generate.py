"""``corpus generate --from-server`` on a foreign pair: the chat list is found by its shape, under ``users``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cli_helpers import cli
from djangopair.pair import DjangoSite
from djangopair.pairconfig import ADMIN

from chatmigrate.corpus import load_corpus

ROOMS = (1, 2, 3, 4)


def generate(site: DjangoSite, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    login = ["--username", ADMIN, "--password-file", str(site.password_file)]
    return cli(["corpus", "generate", "--from-server", site.base_url, *login, "-o", str(out), *extra], capsys)


def test_the_django_pair_gets_a_corpus_with_no_extra_options(
    django_site: DjangoSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = generate(django_site, tmp_path / "corpus.yaml", capsys)
    assert (code, err) == (0, "")
    entries = {entry.id: entry for entry in load_corpus(tmp_path / "corpus.yaml")}
    assert f"wrote {len(entries)} entries" in out
    assert {f"room-{room}-{kind}" for room in ROOMS for kind in ("recent_messages", "purchases_list")} <= set(entries)
    assert entries["unknown-chatroom-recent_messages"].query["chatroom_id"] == "1004"


def test_paging_entries_start_before_ids_the_pair_really_has(
    django_site: DjangoSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate(django_site, tmp_path / "corpus.yaml", capsys)
    paging = [
        entry for entry in load_corpus(tmp_path / "corpus.yaml") if "before" in entry.query and "paging" in entry.tags
    ]
    token = httpx.post(
        f"{django_site.base_url}/api/v1/auth/token/", json={"username": ADMIN, "password": django_site.password}
    ).json()["access"]
    for entry in paging:
        query = {**entry.query, "limit": "200"}
        del query["before"]
        answer = httpx.get(
            f"{django_site.base_url}/api/v1/admin/chat/", params=query, headers={"Authorization": f"Bearer {token}"}
        )
        assert int(entry.query["before"]) in {item["id"] for item in answer.json()["messages"]}
    assert {entry.query["request_type"] for entry in paging} == {"recent_messages", "purchases_list"}


def test_a_list_key_that_the_answer_lacks_names_the_keys_it_has(
    django_site: DjangoSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = generate(django_site, tmp_path / "corpus.yaml", capsys, "--list-key", "chats")
    assert code == 2
    assert "gave 200 JSON with keys status, users, generated_at; no list at key 'chats'" in err


def test_an_id_field_the_listed_objects_lack_says_so(
    django_site: DjangoSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = generate(django_site, tmp_path / "corpus.yaml", capsys, "--id-field", "room_uuid")
    assert code == 2
    assert "200 JSON with keys status, users, generated_at; no list of objects with an id field (room_uuid)" in err
