"""`[principals.<name>]`: further identities the corpus is replayed as; each borrows every target's `[auth]`."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatmigrate.config import ANONYMOUS, Config, embedded_config, load_config
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError

TARGETS = """\
[targets.old]
base_url = "https://staging.example.com"
auth = { kind = "session", username = "bot", password_env = "BOT_PASSWORD" }

[targets.new]
base_url = "https://staging.example.com"
auth = { kind = "token-endpoint", username = "bot", password_env = "BOT_PASSWORD", token_path = "/api/token/" }
"""
MINTED_NEW = TARGETS.replace(
    'kind = "token-endpoint", username = "bot", password_env = "BOT_PASSWORD", token_path = "/api/token/"',
    'kind = "mint", username = "bot", user_id = 7, secret_env = "JWT_SECRET", role = "support"',
)


def load(tmp_path: Path, principals: str, targets: str = TARGETS) -> Config:
    path = tmp_path / "chatmigrate.toml"
    path.write_text(targets + principals)
    return load_config(path, env={})


def error_of(tmp_path: Path, principals: str, targets: str = TARGETS) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, principals, targets)
    return str(caught.value)


def test_a_principal_stands_in_for_the_user_of_every_targets_auth(tmp_path: Path) -> None:
    config = load(tmp_path, '[principals.viewer]\nusername = "viewer"\npassword_env = "VIEWER_PASSWORD"\n')
    auths = [config.principals["viewer"].auth_for(target.auth) for target in config.targets.values()]
    assert [(a.kind, a.username, a.password_env) for a in auths if a] == [
        ("session", "viewer", "VIEWER_PASSWORD"),
        ("token-endpoint", "viewer", "VIEWER_PASSWORD"),
    ]


def test_a_principal_keeps_the_targets_other_auth_settings(tmp_path: Path) -> None:
    config = load(tmp_path, '[principals.viewer]\nusername = "viewer"\npassword_env = "VIEWER_PASSWORD"\n')
    derived = config.principals["viewer"].auth_for(config.targets["new"].auth)
    assert derived is not None and derived.token_path == "/api/token/"


def test_an_anonymous_principal_has_no_credential(tmp_path: Path) -> None:
    config = load(tmp_path, "[principals.nobody]\nanonymous = true\n")
    assert config.principals["nobody"].auth_for(config.targets["old"].auth) is None


def test_a_minted_principal_takes_its_own_user_id_and_role_and_no_borrowed_email(tmp_path: Path) -> None:
    principal = '[principals.viewer]\nusername = "viewer"\nuser_id = 9\nrole = "viewer"\npassword_env = "P"\n'
    minted = (
        load(tmp_path, principal, MINTED_NEW)
        .principals["viewer"]
        .auth_for(load(tmp_path, "", MINTED_NEW).targets["new"].auth)
    )
    assert minted is not None and (minted.user_id, minted.username, minted.role, minted.email) == (
        9,
        "viewer",
        "viewer",
        None,
    )


def test_a_minted_target_needs_the_principals_user_id_at_its_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[principals.viewer]\nusername = "v"\nrole = "v"\npassword_env = "P"\n', MINTED_NEW)
    assert "principals.viewer.user_id" in message and "needs user_id" in message


def test_a_principal_without_a_password_for_a_login_is_refused_at_its_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[principals.viewer]\nusername = "viewer"\n')
    assert "principals.viewer.password_env" in message


def test_a_principal_needs_a_username_or_anonymous(tmp_path: Path) -> None:
    assert "needs a username, or anonymous = true" in error_of(tmp_path, '[principals.viewer]\npassword_env = "P"\n')


def test_an_anonymous_principal_with_a_username_is_refused(tmp_path: Path) -> None:
    assert "has no username" in error_of(tmp_path, '[principals.x]\nanonymous = true\nusername = "x"\n')


def test_a_principal_name_that_cannot_travel_in_an_entry_id_is_refused(tmp_path: Path) -> None:
    assert "letters, digits" in error_of(tmp_path, '[principals."a b"]\nanonymous = true\n')


def test_a_target_with_a_fixed_bearer_token_cannot_take_principals(tmp_path: Path) -> None:
    bearer = TARGETS.replace(
        'kind = "token-endpoint", username = "bot", password_env = "BOT_PASSWORD", token_path = "/api/token/"',
        'kind = "bearer", token_env = "TOKEN"',
    )
    message = error_of(tmp_path, '[principals.viewer]\nusername = "viewer"\npassword_env = "P"\n', bearer)
    assert "fixed bearer token" in message


def test_the_embedded_server_replays_as_each_seeded_kind_of_principal(server: EmbeddedServer) -> None:
    principals = embedded_config(server, env={}).principals
    assert {name: p.username for name, p in principals.items()} == {
        "support": "support",
        "viewer": "viewer",
        "deactivated": "former",
        ANONYMOUS: None,
    }


def test_the_embedded_servers_principals_are_fixed(server: EmbeddedServer) -> None:
    with pytest.raises(ConfigError, match="principals are fixed"):
        embedded_config(server, env={"CHATMIGRATE_PRINCIPALS__NOBODY__ANONYMOUS": "true"})


def test_a_minted_target_needs_the_principals_own_role_claim(tmp_path: Path) -> None:
    message = error_of(
        tmp_path, '[principals.viewer]\nusername = "viewer"\nuser_id = 9\npassword_env = "P"\n', MINTED_NEW
    )
    assert "principals.viewer.role" in message and "own role claim" in message
