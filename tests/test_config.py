"""Configuration: one TOML file, environment and flag overrides, secrets by reference only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatmigrate.config import (
    DEFAULT_PROXY_ROUTES,
    Config,
    embedded_config,
    find_config,
    load_config,
    parse_duration,
)
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError
from chatmigrate.records import Severity

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
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=kwargs.pop("env", {}), **kwargs)  # type: ignore[arg-type]
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
