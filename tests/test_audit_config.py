"""An audit target built from the run configuration (staging), not from the embedded server."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_wire import PASSWORD, ServerFactory

from chatmigrate.audit import AuditOptions, run_audit
from chatmigrate.audit.findings import NOT_APPLICABLE
from chatmigrate.audit.target import target_from_config
from chatmigrate.config import load_config
from chatmigrate.errors import ConfigError

CONFIG = """
[targets.old]
base_url = "{base}"
[targets.old.auth]
kind = "session"
username = "admin"
password_env = "AUDIT_TEST_PASSWORD"

[targets.new]
base_url = "{base}"
[targets.new.auth]
kind = "token-endpoint"
username = "admin"
password_env = "AUDIT_TEST_PASSWORD"

[targets.proxy]
base_url = "{base}"
[targets.proxy.auth]
kind = "token-endpoint"
username = "admin"
password_env = "AUDIT_TEST_PASSWORD"

[ws]
url = "{ws}"
auth = "url"
"""


def configured(tmp_path: Path, server_with: ServerFactory) -> Path:
    server = server_with(seed=2024)
    path = tmp_path / "chatmigrate.toml"
    path.write_text(CONFIG.format(base=server.base_url, ws=server.ws_url))
    return path


def test_every_tier_and_the_login_come_from_the_config(tmp_path: Path, server_with: ServerFactory) -> None:
    env = {"AUDIT_TEST_PASSWORD": PASSWORD}
    target = target_from_config(load_config(configured(tmp_path, server_with), env=env), env=env)
    assert target.principal is not None and target.principal.username == "admin"
    assert target.tiers == ("new", "proxy", "old", "ws")
    assert not target.allow_writes and target.signing_secret is None


def test_a_configured_run_skips_what_needs_the_secret_or_other_principals(
    tmp_path: Path, server_with: ServerFactory
) -> None:
    env = {"AUDIT_TEST_PASSWORD": PASSWORD}
    target = target_from_config(load_config(configured(tmp_path, server_with), env=env), env=env)
    cases = frozenset({"hdr-no-authorization", "claim-exp-past", "claim-non-staff-role", "legacy-no-cookie"})
    outcome = run_audit(target, AuditOptions(cases=cases, budget=0, contract=False))
    details = {(r.case_id, r.tier): r.detail for r in outcome.results}
    assert details[("claim-exp-past", "new")].startswith(NOT_APPLICABLE)
    assert details[("claim-non-staff-role", "proxy")].startswith(NOT_APPLICABLE)
    assert not details[("hdr-no-authorization", "proxy")].startswith(NOT_APPLICABLE)
    assert [f for f in outcome.findings if f.severity.rank >= 2] == []


def test_a_missing_password_variable_is_a_config_error(tmp_path: Path, server_with: ServerFactory) -> None:
    with pytest.raises(ConfigError, match="AUDIT_TEST_PASSWORD"):
        target_from_config(load_config(configured(tmp_path, server_with), env={}), env={})
