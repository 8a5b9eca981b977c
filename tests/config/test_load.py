"""Configuration: one TOML file, environment and flag overrides, secrets by reference only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatmigrate.config import (
    DEFAULT_PROXY_ROUTES,
    AuditConfig,
    Config,
    PrincipalConfig,
    embedded_config,
    find_config,
    load_config,
    parse_duration,
)
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError
from chatmigrate.targets import preflight
from chatmigrate.vocab import Severity

STAGING = """\
[targets.old]
base_url = "https://staging.example.com"
auth = { kind = "session", username = "bot", password_env = "CHAT_PASSWORD" }

[targets.new]
base_url = "https://staging.example.com/"
timeout = "5s"

[targets.new.auth]
kind = "token-endpoint"
username = "bot"
password_env = "CHAT_PASSWORD"

[targets.proxy]
base_url = "https://app.example.com"
auth = { kind = "mint", secret_env = "JWT_SECRET", user_id = 7, username = "bot", ttl = "15m" }

[run]
concurrency = 4
rate_limit = 20
corpus = "corpus.yaml"

[compare]
latency_limit = 0.5

[gate]
fail_on = "high"
max_findings = 2

[[ignore]]
path = "$.messages[*].timestamp"
reason = "new tier rounds to seconds; accepted in review"

[ws]
url = "wss://staging.example.com"
auth = "jwt"
"""


def write(tmp_path: Path, text: str, name: str = "chatmigrate.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path, **kwargs: object) -> str:
    """The one-line error of loading ``path`` and checking it before a run, as every command does."""
    with pytest.raises(ConfigError) as caught:
        preflight(load_config(path, env=kwargs.pop("env", {}), **kwargs))  # type: ignore[arg-type]
    return str(caught.value)


def test_a_staging_pair_reads_every_section(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, STAGING), env={})
    assert config.targets["old"].auth.kind == "session"
    assert config.targets["new"].base_url == "https://staging.example.com"
    assert config.targets["new"].timeout == 5.0
    assert config.targets["proxy"].auth.ttl == 900.0
    assert (config.run.concurrency, config.run.rate_limit) == (4, 20.0)
    assert config.compare.latency_limit == 0.5
    assert (config.gate.limits.fail_on, config.gate.limits.max_findings) == (Severity.HIGH, 2)
    assert config.ignore[0].reason.startswith("new tier rounds")
    assert config.ws is not None and config.ws.auth == "jwt"


def test_new_target_maps_the_legacy_chat_path_to_the_api_by_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, STAGING), env={})
    assert config.targets["old"].path_map == {}
    assert config.targets["new"].path_map == {"/admin/chat/": "/api/v1/admin/chat/"}
    assert config.targets["proxy"].routes == DEFAULT_PROXY_ROUTES


def test_relative_corpus_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, STAGING), env={})
    assert config.run.corpus == tmp_path / "corpus.yaml"


def test_pyproject_tool_table_is_read_and_errors_point_at_its_lines(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\n\n' + re.sub(r"^(\[+)", r"\1tool.chatmigrate.", STAGING, flags=re.MULTILINE)
    path = write(tmp_path, text.replace("concurrency = 4", "concurrency = -1"), "pyproject.toml")
    message = error_of(path)
    line = text.splitlines().index("concurrency = 4") + 1
    assert message.startswith(f"{path}:{line} key 'run.concurrency'")


def test_chatmigrate_toml_is_found_before_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "[tool.chatmigrate.run]\nrepeats = 2\n", "pyproject.toml")
    assert find_config(tmp_path, env={}) == tmp_path / "pyproject.toml"
    write(tmp_path, STAGING)
    assert find_config(tmp_path, env={}) == tmp_path / "chatmigrate.toml"


def test_environment_overrides_a_file_value_by_double_underscore_path(tmp_path: Path) -> None:
    env = {"CHATMIGRATE_TARGETS__NEW__BASE_URL": "https://canary.example.com", "CHATMIGRATE_RUN__REPEATS": "3"}
    config = load_config(write(tmp_path, STAGING), env=env)
    assert config.targets["new"].base_url == "https://canary.example.com"
    assert config.run.repeats == 3


def test_command_line_overrides_beat_the_environment(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, STAGING), env={"CHATMIGRATE_RUN__CONCURRENCY": "2"}, overrides={"run.concurrency": "9"}
    )
    assert config.run.concurrency == 9


def test_a_literal_password_is_refused_with_a_pointer_to_password_env(tmp_path: Path) -> None:
    text = STAGING.replace('password_env = "CHAT_PASSWORD"\n', 'password = "hunter2-secret"\n')
    message = error_of(write(tmp_path, text))
    line = text.splitlines().index('password = "hunter2-secret"') + 1
    assert message.startswith(f"{tmp_path / 'chatmigrate.toml'}:{line} key 'targets.new.auth.password'")
    assert "password_env" in message
    assert "hunter2" not in message


@pytest.mark.parametrize("key", ["token", "secret", "refresh"])
def test_other_literal_secrets_are_refused_too(tmp_path: Path, key: str) -> None:
    text = STAGING.replace('kind = "token-endpoint"', f'kind = "token-endpoint"\n{key} = "abcdefgh"')
    message = error_of(write(tmp_path, text))
    assert f"key 'targets.new.auth.{key}'" in message and "_env" in message and "abcdefgh" not in message


def test_a_secret_on_the_command_line_is_refused(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, STAGING), overrides={"targets.old.auth.password": "hunter2-secret"})
    assert "command line" in message and "password_env" in message and "hunter2" not in message


def test_malformed_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[run]\nconcurrency = 4\nrepeats = = 2\n")
    assert error_of(path).startswith(f"{path}:3: invalid TOML")


def test_a_bad_value_names_file_line_and_key(tmp_path: Path) -> None:
    text = STAGING.replace('timeout = "5s"', 'timeout = "soon"')
    message = error_of(write(tmp_path, text))
    line = text.splitlines().index('timeout = "soon"') + 1
    assert message.startswith(f"{tmp_path / 'chatmigrate.toml'}:{line} key 'targets.new.timeout'")
    assert "duration" in message


def test_an_unknown_key_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = STAGING.replace("rate_limit = 20", "rate_limimt = 20")
    line = text.splitlines().index("rate_limimt = 20") + 1
    assert f":{line} key 'run.rate_limimt': unknown key" in error_of(write(tmp_path, text))


def test_a_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, STAGING), env={"CHATMIGRATE_RUN__CONCURRENCY": "lots"})
    assert message.startswith("environment variable CHATMIGRATE_RUN__CONCURRENCY key 'run.concurrency'")


def test_an_ignore_rule_needs_a_reason_and_the_error_points_at_its_table(tmp_path: Path) -> None:
    text = STAGING + '\n[[ignore]]\npath = "/request_id"\n'
    line = len(text.splitlines()) - 1
    assert f":{line} key 'ignore.1.reason'" in error_of(write(tmp_path, text))


def test_an_ignore_rule_path_must_be_a_pointer_or_json_path(tmp_path: Path) -> None:
    text = STAGING.replace('path = "$.messages[*].timestamp"', 'path = "messages.timestamp"')
    assert "key 'ignore.0.path'" in error_of(write(tmp_path, text))


def test_each_auth_kind_needs_its_secret_reference(tmp_path: Path) -> None:
    text = STAGING.replace('secret_env = "JWT_SECRET", ', "")
    assert "needs secret_env or secret_file" in error_of(write(tmp_path, text))


def test_old_and_new_targets_are_required(tmp_path: Path) -> None:
    assert "target 'new' is required" in error_of(write(tmp_path, '[targets.old]\nbase_url = "http://a"\n'))


def test_durations_read_naturally() -> None:
    assert [parse_duration(v) for v in (900, "15m", "2h", "30s", "500ms", "1d")] == [900, 900, 7200, 30, 0.5, 86400]
    with pytest.raises(ValueError):
        parse_duration("-1m")


def test_embedded_config_logs_in_as_admin_on_every_tier(server: EmbeddedServer) -> None:
    config = Config.embedded(server)
    assert {side: t.auth.username for side, t in config.targets.items()} == {
        "old": "admin",
        "new": "admin",
        "proxy": "admin",
    }
    assert config.embedded_only
    assert config.ws is not None and config.ws.url == server.ws_url


def test_embedded_config_takes_run_settings_from_the_environment(server: EmbeddedServer) -> None:
    config = embedded_config(server, env={"CHATMIGRATE_RUN__CONCURRENCY": "3"}, overrides={"gate.fail_on": "low"})
    assert config.run.concurrency == 3
    assert config.gate.limits.fail_on is Severity.LOW


def test_embedded_targets_cannot_be_redirected(server: EmbeddedServer) -> None:
    with pytest.raises(ConfigError, match="targets are fixed"):
        embedded_config(server, env={"CHATMIGRATE_TARGETS__NEW__BASE_URL": "http://elsewhere"})


# ---------------------------------------------------------------- [audit]

AUDIT_KEYS = [
    # key, file value, read as, invalid file value, environment text, read as
    ("tiers", '["new", "old"]', frozenset({"new", "old"}), '["api"]', "new,ws", frozenset({"new", "ws"})),
    ("seed", "7", 7, "-1", "3", 3),
    ("budget", "0", 0, '"many"', "50", 50),
    ("contract", "false", False, '"maybe"', "true", True),
    ("contract_examples", "3", 3, "0", "5", 5),
    ("timeout", '"4s"', 4.0, '"soon"', "2m", 120.0),
    ("concurrency", "2", 2, "0", "3", 3),
    ("ws_url_mode_severity", '"high"', Severity.HIGH, '"severe"', "critical", Severity.CRITICAL),
    ("delay_margin_ms", "900", 900.0, "-5", "0", 0.0),
    ("inactive_user_id", "4", 4, '"former"', "9", 9),
    ("issuer", '"https://id.example.com"', "https://id.example.com", '""', "https://b.example", "https://b.example"),
    ("revocation", "true", True, '"sometimes"', "no", False),
    ("leeway", '"30s"', 30, '"1.5s"', "0", 0),
    ("ws_auth_timeout", '"8s"', 8.0, "0", "500ms", 0.5),
    ("site_login_path", '"/accounts/login/"', "/accounts/login/", '"accounts/login/"', "/in/", "/in/"),
    ("logout_path", '"/staff/logout/"', "/staff/logout/", "3", "/out/", "/out/"),
    ("password_change_path", '"/staff/password/"', "/staff/password/", '"password"', "/pw/", "/pw/"),
]
AUDIT_IDS = [key for key, *_ in AUDIT_KEYS]


def with_audit(tmp_path: Path, body: str) -> tuple[Path, int]:
    """STAGING plus an ``[audit]`` table; returns the file and the line of the table's first key."""
    return write(tmp_path, f"{STAGING}\n[audit]\n{body}\n"), len(STAGING.splitlines()) + 3


@pytest.mark.parametrize(("key", "value", "expected", "_bad", "_text", "_read"), AUDIT_KEYS, ids=AUDIT_IDS)
def test_each_audit_key_is_read_from_the_file(
    tmp_path: Path, key: str, value: str, expected: object, _bad: str, _text: str, _read: object
) -> None:
    path, _ = with_audit(tmp_path, f"{key} = {value}")
    assert getattr(load_config(path, env={}).audit, key) == expected


@pytest.mark.parametrize(("key", "_value", "_expected", "bad", "_text", "_read"), AUDIT_KEYS, ids=AUDIT_IDS)
def test_an_invalid_audit_value_names_its_line_and_key(
    tmp_path: Path, key: str, _value: str, _expected: object, bad: str, _text: str, _read: object
) -> None:
    path, line = with_audit(tmp_path, f"# the value below is wrong\n{key} = {bad}")
    assert error_of(path).startswith(f"{path}:{line + 1} key 'audit.{key}': expected")


@pytest.mark.parametrize(("key", "_value", "_expected", "_bad", "text", "read"), AUDIT_KEYS, ids=AUDIT_IDS)
def test_each_audit_key_can_be_set_from_the_environment(
    tmp_path: Path, key: str, _value: str, _expected: object, _bad: str, text: str, read: object
) -> None:
    config = load_config(write(tmp_path, STAGING), env={f"CHATMIGRATE_AUDIT__{key.upper()}": text})
    assert getattr(config.audit, key) == read


def test_audit_keys_left_out_are_none_so_the_audit_keeps_its_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, STAGING), env={}).audit == AuditConfig()


def test_all_names_every_audit_tier(tmp_path: Path) -> None:
    path, _ = with_audit(tmp_path, 'tiers = ["all"]')
    assert load_config(path, env={}).audit.tiers == frozenset({"new", "proxy", "old", "ws"})


def test_an_unknown_audit_key_is_an_error_at_its_line(tmp_path: Path) -> None:
    path, line = with_audit(tmp_path, "budgett = 5")
    assert error_of(path).startswith(f"{path}:{line} key 'audit.budgett': unknown key")


@pytest.mark.parametrize("table", ["forbidden_principal", "spare_principal"])
def test_an_audit_principal_has_a_username_and_a_password_by_reference(tmp_path: Path, table: str) -> None:
    path = write(tmp_path, f'{STAGING}\n[audit.{table}]\nusername = "viewer"\npassword_file = "secrets/viewer"\n')
    assert getattr(load_config(path, env={}).audit, table) == PrincipalConfig(
        username="viewer", password_file=tmp_path / "secrets" / "viewer"
    )


def test_an_audit_principal_without_a_password_reference_names_its_table(tmp_path: Path) -> None:
    text = f'{STAGING}\n[audit.forbidden_principal]\nusername = "viewer"\n'
    line = len(STAGING.splitlines()) + 2
    message = error_of(write(tmp_path, text))
    assert message.startswith(f"{tmp_path / 'chatmigrate.toml'}:{line} key 'audit.forbidden_principal.password_env'")
    assert "password_env or password_file" in message


def test_an_audit_principal_needs_a_username(tmp_path: Path) -> None:
    text = f'{STAGING}\n[audit.spare_principal]\npassword_env = "SPARE"\n'
    assert "key 'audit.spare_principal.username': username is required" in error_of(write(tmp_path, text))


def test_an_audit_principals_literal_password_is_refused_without_echoing_it(tmp_path: Path) -> None:
    text = f'{STAGING}\n[audit.forbidden_principal]\nusername = "viewer"\npassword = "hunter2-secret"\n'
    line = len(STAGING.splitlines()) + 4
    message = error_of(write(tmp_path, text))
    assert message.startswith(f"{tmp_path / 'chatmigrate.toml'}:{line} key 'audit.forbidden_principal.password'")
    assert "password_env" in message and "hunter2" not in message


def test_an_audit_principal_can_be_given_entirely_from_the_environment(tmp_path: Path) -> None:
    env = {
        "CHATMIGRATE_AUDIT__FORBIDDEN_PRINCIPAL__USERNAME": "viewer",
        "CHATMIGRATE_AUDIT__FORBIDDEN_PRINCIPAL__PASSWORD_ENV": "VIEWER_PASSWORD",
    }
    config = load_config(write(tmp_path, STAGING), env=env)
    assert config.audit.forbidden_principal == PrincipalConfig(username="viewer", password_env="VIEWER_PASSWORD")


def test_the_embedded_server_takes_audit_options_but_not_principals_or_policies(server: EmbeddedServer) -> None:
    assert embedded_config(server, env={"CHATMIGRATE_AUDIT__BUDGET": "5"}).audit.budget == 5
    with pytest.raises(ConfigError, match=r"CHATMIGRATE_AUDIT__ISSUER key 'audit.issuer': the embedded server's"):
        embedded_config(server, env={"CHATMIGRATE_AUDIT__ISSUER": "https://id.example.com"})


# ---------------------------------------------------------------- [contracts]

OWN_JWT_CONTRACT = """\
openapi: 3.0.3
info: {title: staging chat API, version: "2"}
paths:
  /api/v1/admin/chat/:
    get:
      responses:
        "200":
          description: messages
          content:
            application/json:
              schema:
                type: object
                required: [messages]
                properties:
                  messages: {type: array, items: {type: integer}}
"""


def with_contracts(tmp_path: Path, body: str) -> tuple[Path, int]:
    """STAGING plus a ``[contracts]`` table; returns the file and the line of the table's first key."""
    return write(tmp_path, f"{STAGING}\n[contracts]\n{body}\n"), len(STAGING.splitlines()) + 3


def test_own_contracts_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "openapi.yaml").write_text(OWN_JWT_CONTRACT)
    path, _ = with_contracts(tmp_path, 'jwt = "api/openapi.yaml"')
    assert load_config(path, env={}).contracts.documents == {"jwt": tmp_path / "api" / "openapi.yaml"}


def test_own_contracts_reach_the_comparison_and_nothing_else_does(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(OWN_JWT_CONTRACT)
    path, _ = with_contracts(tmp_path, 'jwt = "openapi.yaml"')
    assert load_config(path, env={}).compare.contracts == {"jwt": tmp_path / "openapi.yaml"}
    assert load_config(write(tmp_path, STAGING), env={}).compare.contracts == {}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "contract file not found"),
        ('{"openapi": "3.0.3",\n "paths": }', "not valid JSON"),
        ('{"swagger": "2.0"}', "not an OpenAPI 3.x document"),
    ],
    ids=["missing", "not-json", "not-openapi-3"],
)
def test_a_broken_contract_is_an_error_at_its_config_line(tmp_path: Path, content: str | None, problem: str) -> None:
    if content is not None:
        (tmp_path / "legacy.json").write_text(content)
    path, line = with_contracts(tmp_path, 'legacy = "legacy.json"')
    message = error_of(path)
    assert message.startswith(f"{path}:{line} key 'contracts.legacy': ")
    assert problem in message and "legacy.json" in message


def test_a_contract_for_an_unknown_tier_is_an_error_at_its_line(tmp_path: Path) -> None:
    path, line = with_contracts(tmp_path, 'graphql = "schema.graphql"')
    assert error_of(path).startswith(f"{path}:{line} key 'contracts.graphql': unknown key; expected one of legacy")


def test_a_contract_can_be_set_from_the_environment_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "proxy.yaml").write_text(OWN_JWT_CONTRACT)
    config = load_config(write(tmp_path, STAGING), env={"CHATMIGRATE_CONTRACTS__PROXY": "proxy.yaml"})
    assert config.contracts.documents == {"proxy": tmp_path / "proxy.yaml"}


def test_a_broken_contract_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, STAGING), env={"CHATMIGRATE_CONTRACTS__JWT": "nowhere.yaml"})
    assert message.startswith("environment variable CHATMIGRATE_CONTRACTS__JWT key 'contracts.jwt': ")


def test_credentials_in_a_base_url_are_refused_without_echoing_them(tmp_path: Path) -> None:
    text = STAGING.replace('"https://app.example.com"', '"https://bot:S3cretPw@app.example.com"')
    message = error_of(write(tmp_path, text))
    assert "key 'targets.proxy.base_url'" in message and "in the auth table, by reference" in message
    assert "S3cretPw" not in message


@pytest.mark.parametrize(
    ("before", "after", "key"),
    [
        ('timeout = "5s"', "timeout = nan", "targets.new.timeout"),
        ("rate_limit = 20", "rate_limit = inf", "run.rate_limit"),
        ("latency_limit = 0.5", "latency_limit = nan", "compare.latency_limit"),
        ("latency_limit = 0.5", "latency_limit = inf", "compare.latency_limit"),
    ],
)
def test_numbers_that_are_not_finite_are_refused(tmp_path: Path, before: str, after: str, key: str) -> None:
    assert f"key '{key}': expected a positive finite" in error_of(write(tmp_path, STAGING.replace(before, after)))


def test_a_minted_token_needs_a_user_id_of_at_least_1(tmp_path: Path) -> None:
    text = STAGING.replace("user_id = 7", "user_id = 0")
    assert "key 'targets.proxy.auth.user_id': expected an integer >= 1" in error_of(write(tmp_path, text))
