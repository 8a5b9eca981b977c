"""An audit target and options built from the run configuration (staging), not from the embedded server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_helpers import ConfigFactory
from server_wire import PASSWORD, ServerFactory

from chatmigrate.audit import AuditOptions, Principal, run_audit
from chatmigrate.audit.policy import AuditPolicy, JsonType
from chatmigrate.audit.target import audit_options_from_config, target_from_config
from chatmigrate.config import load_config
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError
from chatmigrate.vocab import AuditState, Severity

NOT_APPLICABLE = AuditState.NOT_APPLICABLE

POLICIES = """
[audit]
inactive_user_id = 4
issuer = "https://staging.example.com"
revocation = true
leeway = "30s"
ws_auth_timeout = "8s"
site_login_path = "/accounts/login/"
logout_path = "/staff/logout/"
password_change_path = "/staff/password/"

[audit.forbidden_principal]
username = "viewer"
password_env = "AUDIT_TEST_VIEWER_PASSWORD"

[audit.spare_principal]
username = "support"
password_file = "support.secret"
"""
ENV = {"AUDIT_TEST_PASSWORD": PASSWORD}
STAGING: dict[str, Any] = {"password_env": "AUDIT_TEST_PASSWORD", "proxy": True, "ws": True}
"""Every tier of one reference server, as a staging config file would name them."""


def own_server(server_with: ServerFactory) -> EmbeddedServer:
    return server_with(seed=2024)


def test_every_tier_and_the_login_come_from_the_config(
    config_file: ConfigFactory, tmp_path: Path, server_with: ServerFactory
) -> None:
    target = target_from_config(
        load_config(config_file(own_server(server_with), **STAGING), env=ENV),
        env=ENV,
    )
    assert target.principal is not None and target.principal.username == "admin"
    assert target.tiers == ("new", "proxy", "old", "ws")
    assert not target.allow_writes and target.signing_secret is None


def test_a_configured_run_skips_what_needs_the_secret_or_other_principals(
    config_file: ConfigFactory, tmp_path: Path, server_with: ServerFactory
) -> None:
    target = target_from_config(
        load_config(config_file(own_server(server_with), **STAGING), env=ENV),
        env=ENV,
    )
    cases = frozenset({"hdr-no-authorization", "claim-exp-past", "claim-non-staff-role", "legacy-no-cookie"})
    outcome = run_audit(target, AuditOptions(cases=cases, budget=0, contract=False))
    details = {(r.case_id, r.tier): r.detail for r in outcome.results}
    assert details[("claim-exp-past", "new")].startswith(NOT_APPLICABLE)
    assert details[("claim-non-staff-role", "proxy")].startswith(NOT_APPLICABLE)
    assert not details[("hdr-no-authorization", "proxy")].startswith(NOT_APPLICABLE)
    assert [f for f in outcome.findings if f.severity.rank >= 2] == []


def test_a_missing_password_variable_is_a_config_error(
    config_file: ConfigFactory, tmp_path: Path, server_with: ServerFactory
) -> None:
    with pytest.raises(ConfigError, match="AUDIT_TEST_PASSWORD"):
        target_from_config(
            load_config(config_file(own_server(server_with), **STAGING), env={}),
            env={},
        )


def test_an_undeclared_target_gets_the_stock_django_policies(
    config_file: ConfigFactory, server: EmbeddedServer
) -> None:
    policy = audit_options_from_config(load_config(config_file(server, **STAGING), env=ENV)).policy
    assert policy == AuditPolicy()


def test_declared_policies_reach_the_audit(config_file: ConfigFactory, server: EmbeddedServer) -> None:
    declared = """
[audit]
bearer_scheme_case_insensitive = true
csrf_failure_reason = true
forwarded_proto_https = true
user_id_types = ["integer"]
audience = "chat-admin"
password_change_done_path = "/staff/password/done/"
blacklist_after_rotation = true
login_throttle = true
token_no_store = true
"""
    policy = audit_options_from_config(load_config(config_file(server, **STAGING, extra=declared), env=ENV)).policy
    assert policy == AuditPolicy(
        bearer_scheme_case_insensitive=True,
        csrf_failure_reason=True,
        forwarded_proto_https=True,
        user_id_types=frozenset({JsonType.INTEGER}),
        audience="chat-admin",
        password_change_done_path="/staff/password/done/",
        blacklist_after_rotation=True,
        login_throttle=True,
        token_no_store=True,
    )


def test_an_unknown_json_type_in_user_id_types_names_the_key(
    config_file: ConfigFactory, server: EmbeddedServer
) -> None:
    with pytest.raises(ConfigError, match=r"user_id_types.*integer, string, number, boolean"):
        load_config(config_file(server, **STAGING, extra='[audit]\nuser_id_types = ["uuid"]\n'), env=ENV)


def test_the_audit_section_gives_the_further_principals_and_the_declared_policies(
    config_file: ConfigFactory, tmp_path: Path, server: EmbeddedServer
) -> None:
    (tmp_path / "support.secret").write_text("spare-password\n")
    env = {**ENV, "AUDIT_TEST_VIEWER_PASSWORD": "viewer-password"}
    target = target_from_config(
        load_config(config_file(server, **STAGING, extra=POLICIES), env=env),
        env=env,
    )
    assert target.forbidden_principal == Principal("viewer", "viewer-password")
    assert target.spare_principal == Principal("support", "spare-password")
    assert (target.inactive_user_id, target.issuer, target.revocation, target.leeway) == (
        4,
        "https://staging.example.com",
        True,
        30,
    )
    assert target.ws_auth_timeout == 8.0
    assert (target.site_login_path, target.logout_path, target.password_change_path) == (
        "/accounts/login/",
        "/staff/logout/",
        "/staff/password/",
    )


def test_a_missing_non_staff_password_variable_is_a_config_error_naming_it(
    config_file: ConfigFactory, tmp_path: Path, server: EmbeddedServer
) -> None:
    (tmp_path / "support.secret").write_text("spare-password")
    with pytest.raises(ConfigError, match=r"AUDIT_TEST_VIEWER_PASSWORD \(the non-staff"):
        target_from_config(
            load_config(config_file(server, **STAGING, extra=POLICIES), env=ENV),
            env=ENV,
        )


def test_without_an_audit_section_the_websocket_settings_come_from_ws(
    config_file: ConfigFactory, tmp_path: Path, server: EmbeddedServer
) -> None:
    extra = 'timeout = "7s"\nsend_path = "/api/v2/chat/send/"\n'
    target = target_from_config(
        load_config(config_file(server, **STAGING, extra=extra), env=ENV),
        env=ENV,
    )
    assert (target.ws_auth_timeout, target.new_send_path) == (7.0, "/api/v2/chat/send/")
    assert target.forbidden_principal is None and target.issuer is None and not target.revocation


def test_audit_options_come_from_the_audit_section(
    config_file: ConfigFactory, tmp_path: Path, server: EmbeddedServer
) -> None:
    extra = (
        '[audit]\ntiers = ["new", "ws"]\nseed = 7\nbudget = 0\ncontract = false\ncontract_examples = 3\n'
        'timeout = "4s"\nconcurrency = 2\nws_url_mode_severity = "high"\ndelay_margin_ms = 900\n'
    )
    options = audit_options_from_config(load_config(config_file(server, **STAGING, extra=extra), env=ENV))
    assert options == AuditOptions(
        tiers=frozenset({"new", "ws"}),
        seed=7,
        budget=0,
        contract=False,
        contract_examples=3,
        timeout=4.0,
        concurrency=2,
        ws_url_mode_severity=Severity.HIGH,
        delay_margin_ms=900.0,
    )


def test_audit_timeout_and_concurrency_default_to_the_run_section(
    config_file: ConfigFactory, tmp_path: Path, server: EmbeddedServer
) -> None:
    extra = '[run]\ntimeout = "3s"\nconcurrency = 2\n'
    options = audit_options_from_config(load_config(config_file(server, **STAGING, extra=extra), env=ENV))
    assert (options.timeout, options.concurrency, options.budget) == (3.0, 2, AuditOptions().budget)


def test_flags_that_were_given_beat_the_audit_section_and_the_others_leave_it(
    config_file: ConfigFactory, tmp_path: Path, server: EmbeddedServer
) -> None:
    config = load_config(
        config_file(server, **STAGING, extra="[audit]\nseed = 7\nbudget = 5\n"),
        env=ENV,
    )
    options = audit_options_from_config(config, seed=1, budget=None, cases=frozenset({"legacy-no-cookie"}))
    assert (options.seed, options.budget, options.cases) == (1, 5, frozenset({"legacy-no-cookie"}))


def test_a_non_staff_principal_in_the_config_makes_the_403_cases_applicable_and_they_pass_on_a_clean_server(
    config_file: ConfigFactory, tmp_path: Path, server: EmbeddedServer
) -> None:
    extra = (
        '[audit]\nsite_login_path = "/accounts/login/"\n'
        '[audit.forbidden_principal]\nusername = "viewer"\npassword_env = "AUDIT_TEST_PASSWORD"\n'
    )
    config = load_config(config_file(server, **STAGING, extra=extra), env=ENV)
    jwt_cases = {"claim-non-staff-role", "claim-role-raised"}
    cases = frozenset({*jwt_cases, "legacy-non-staff-session"})
    outcome = run_audit(
        target_from_config(config, env=ENV), audit_options_from_config(config, cases=cases, budget=0, contract=False)
    )
    results = {(r.case_id, r.tier): r for r in outcome.results}
    expected = {(case, tier) for case in jwt_cases for tier in ("new", "proxy")} | {("legacy-non-staff-session", "old")}
    assert set(results) == expected
    assert all(result.passed and not result.detail.startswith(NOT_APPLICABLE) for result in results.values())
    assert [f for f in outcome.findings if f.severity.rank >= Severity.MEDIUM.rank] == []
