"""Replay as each configured principal: every corpus entry once more per principal, on every side, and a principal
that a side's login refuses goes on without a credential, recorded as refused at login."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_replay import by_side, replay, subset

from chatmigrate.compare.outcome import is_login_redirect
from chatmigrate.config import Config
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import CorpusError
from chatmigrate.parity import run_parity
from chatmigrate.records import CorpusEntry, Exchange
from chatmigrate.replay import as_principals, principal_targets, targets_from_config
from chatmigrate.vocab import Credential, Tier


def entry(id_: str, principal: str | None = None) -> CorpusEntry:
    return CorpusEntry(id=id_, principal=principal)


def test_shared_entries_go_again_as_each_principal_under_their_own_ids() -> None:
    expanded = as_principals([entry("a"), entry("b")], ["viewer", "anonymous"])
    assert [(e.id, e.principal) for e in expanded] == [
        ("a", None),
        ("b", None),
        ("a@viewer", "viewer"),
        ("b@viewer", "viewer"),
        ("a@anonymous", "anonymous"),
        ("b@anonymous", "anonymous"),
    ]


def test_an_entry_that_names_its_principal_goes_as_that_one_only() -> None:
    expanded = as_principals([entry("a"), entry("mine", "viewer")], ["viewer", "anonymous"])
    assert [e.id for e in expanded] == ["a", "mine", "a@viewer", "a@anonymous"]


def test_an_entry_naming_an_unconfigured_principal_is_a_corpus_error() -> None:
    with pytest.raises(CorpusError, match=r"no \[principals.auditor\] table"):
        as_principals([entry("a", "auditor")], ["viewer"])


def principal_replay(server: EmbeddedServer, tmp_path: Path) -> dict[str, dict[str, list[Exchange]]]:
    """The embedded server's subset, as the configured admin and each seeded principal: exchanges by id, side."""
    config = Config.embedded(server)
    targets = targets_from_config(config)
    entries = as_principals(subset(), config.principals)
    _, groups = replay(server, tmp_path, entries, targets + principal_targets(config, [t.side for t in targets]))
    return {group[0].entry_id: by_side(group) for group in groups}


@pytest.fixture(scope="module")
def exchanges(server: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[Exchange]]]:
    return principal_replay(server, tmp_path_factory.mktemp("principals"))


def test_every_entry_is_replayed_as_the_configured_user_and_each_principal(
    exchanges: dict[str, dict[str, list[Exchange]]],
) -> None:
    names = ["", "@support", "@viewer", "@deactivated", "@anonymous"]
    assert sorted(exchanges) == sorted(f"{e.id}{name}" for e in subset() for name in names)


def test_a_further_principal_is_sent_once_per_side(exchanges: dict[str, dict[str, list[Exchange]]]) -> None:
    assert {side: len(sent) for side, sent in exchanges["chat-list@viewer"].items()} == {
        Tier.OLD: 1,
        Tier.NEW: 1,
        Tier.PROXY: 1,
    }


def test_each_exchange_names_the_principal_it_was_sent_as(exchanges: dict[str, dict[str, list[Exchange]]]) -> None:
    assert {x.principal for x in exchanges["chat-list@support"][Tier.NEW]} == {"support"}
    assert {x.principal for x in exchanges["chat-list"][Tier.NEW]} == {None}


def test_a_user_the_admin_login_refuses_is_refused_at_login_and_sent_without_a_cookie(
    exchanges: dict[str, dict[str, list[Exchange]]],
) -> None:
    [old] = exchanges["chat-list@viewer"][Tier.OLD]
    assert (old.credential, is_login_redirect(old)) == (Credential.REFUSED_AT_LOGIN, True)


def test_a_side_that_accepts_the_login_is_not_marked_refused(exchanges: dict[str, dict[str, list[Exchange]]]) -> None:
    [new] = exchanges["chat-list@viewer"][Tier.NEW]
    assert (new.credential, new.status) == (Credential.OWN, 403)


def test_a_deactivated_user_is_refused_at_login_on_every_side(exchanges: dict[str, dict[str, list[Exchange]]]) -> None:
    sides = exchanges["chat-list@deactivated"]
    assert {sent[0].credential for sent in sides.values()} == {Credential.REFUSED_AT_LOGIN}
    assert len(sides) == 3


def test_the_anonymous_principal_is_sent_without_a_credential_and_not_as_refused(
    exchanges: dict[str, dict[str, list[Exchange]]],
) -> None:
    sides = exchanges["chat-list@anonymous"]
    assert {side: (sent[0].status, sent[0].credential) for side, sent in sides.items()} == {
        Tier.OLD: (302, Credential.NONE),
        Tier.NEW: (401, Credential.NONE),
        Tier.PROXY: (401, Credential.NONE),
    }


def test_a_principal_refused_at_every_login_is_a_warning_of_the_run(server: EmbeddedServer, tmp_path: Path) -> None:
    entries = [entry for entry in subset() if entry.id == "chat-list"]
    result = run_parity(Config.embedded(server), entries=entries, out_dir=tmp_path).result
    assert [w for w in result.warnings if "refused at login on every side" in w] == [
        "principal 'deactivated' was refused at login on every side: right for a deactivated user, but check its "
        "password if it should get in somewhere"
    ]


def test_a_corpus_id_that_an_entry_sent_as_a_principal_would_take_is_a_corpus_error() -> None:
    with pytest.raises(CorpusError, match=r"'a@viewer' is also the id of an entry sent as a principal"):
        as_principals([entry("a"), entry("a@viewer")], ["viewer"])
