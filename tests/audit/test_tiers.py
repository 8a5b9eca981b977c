"""A tier asked for by name must be configured: skipping it would pass a run that audited nothing."""

from __future__ import annotations

import dataclasses

import pytest

from chatmigrate.audit import AuditOptions, embedded_target, run_audit
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.errors import ConfigError
from chatmigrate.vocab import ExitCode, Tier


def test_a_named_tier_that_is_not_configured_is_a_config_error(server: EmbeddedServer) -> None:
    target = dataclasses.replace(embedded_target(server), proxy_url=None)
    with pytest.raises(ConfigError, match=r"--target proxy: no such tier is configured \(set \[targets.proxy\]") as err:
        run_audit(target, AuditOptions(tiers=frozenset({Tier.PROXY}), budget=0, contract=False))
    assert err.value.exit_code == ExitCode.USAGE


def test_a_websocket_tier_that_is_not_configured_names_the_ws_section(server: EmbeddedServer) -> None:
    target = dataclasses.replace(embedded_target(server), ws_url=None)
    with pytest.raises(ConfigError, match=r"--target ws: .*\[ws\] url"):
        run_audit(target, AuditOptions(tiers=frozenset({Tier.WS}), budget=0, contract=False))


def test_every_tier_by_default_audits_those_configured(server: EmbeddedServer) -> None:
    target = dataclasses.replace(embedded_target(server), proxy_url=None, ws_url=None)
    outcome = run_audit(target, AuditOptions(cases=frozenset({"hdr-no-authorization"}), budget=0, contract=False))
    assert {result.tier for result in outcome.results} == {Tier.NEW}
