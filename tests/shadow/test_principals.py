"""New's credential per legacy user comes from ``[shadow.principals]`` and the new target's own auth."""

from __future__ import annotations

from cli_helpers import ConfigFactory
from server_wire import PASSWORD, ServerFactory

from chatmigrate.config import load_config
from chatmigrate.shadow import principals_of
from chatmigrate.shadow.identity import ANONYMOUS

PRINCIPALS = """
[shadow.principals.support]
kind = "token-endpoint"
username = "support"
password_env = "SHADOW_TEST_PASSWORD"

[shadow.principals.viewer]
kind = "mint"
username = "viewer"
user_id = 3
role = "viewer"
secret_env = "SHADOW_TEST_SECRET"
"""
ENV = {"SHADOW_TEST_PASSWORD": PASSWORD, "SHADOW_TEST_SECRET": "s" * 40}


def test_each_declared_user_and_the_new_target_s_own_user_have_a_credential(
    config_file: ConfigFactory, server_with: ServerFactory
) -> None:
    config = load_config(config_file(server_with(), password_env="SHADOW_TEST_PASSWORD", extra=PRINCIPALS), env=ENV)
    principals = principals_of(config, env=ENV)
    assert principals.names == ["admin", "support", "viewer"]
    assert principals.adapter_for("viewer") is not None and principals.adapter_for("viewer").kind == "mint"


def test_a_user_without_a_credential_has_none_and_a_request_without_a_session_goes_anonymous(
    config_file: ConfigFactory, server_with: ServerFactory
) -> None:
    config = load_config(config_file(server_with(), password_env="SHADOW_TEST_PASSWORD"), env=ENV)
    principals = principals_of(config, env=ENV)
    assert principals.adapter_for("someone-else") is None
    anonymous = principals.adapter_for(ANONYMOUS)
    assert anonymous is not None and anonymous.kind == "none"
