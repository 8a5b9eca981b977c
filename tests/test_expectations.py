"""Each target's entry in run.json says what it was held to: its contract and the policies in force."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import ConfigFactory
from server_wire import PASSWORD, ServerFactory

from chatmigrate.config import Config, load_config
from chatmigrate.expectations import expectations
from chatmigrate.parity import run_parity
from chatmigrate.vocab import Tier

ENV = {"CM_TEST_PASSWORD": PASSWORD}


def test_the_embedded_server_is_held_to_the_seed_contract(server_with: ServerFactory) -> None:
    assert expectations(Config.embedded(server_with()), Tier.NEW)[0] == "contract: the built-in seed contract"


def test_a_foreign_target_that_declares_nothing_is_held_to_no_contract_and_stock_django_policies(
    config_file: ConfigFactory, server_with: ServerFactory
) -> None:
    config = load_config(config_file(server_with()), env=ENV)
    assert expectations(config, Tier.NEW) == [
        "contract: none declared (schema not checked)",
        "Bearer scheme exact (simplejwt)",
        "user_id types integer, string",
        "audience not checked (simplejwt default)",
        "rotated refresh tokens not promised dead",
        "login throttle not promised (stock Django)",
        "token answers may be cached (simplejwt)",
        "access tokens live at most 1 day",
    ]
    assert expectations(config, Tier.OLD)[1:] == [
        "CSRF failure reason not required",
        "X-Forwarded-Proto ignored (stock Django)",
        "password change done at /admin/password_change/done/",
    ]


def test_declared_expectations_are_listed_as_declared(
    config_file: ConfigFactory, server_with: ServerFactory, tmp_path: Path
) -> None:
    (tmp_path / "jwt.json").write_text((Path(__file__).parents[1] / "contracts" / "openapi-jwt.json").read_text())
    extra = (
        '[contracts]\njwt = "jwt.json"\n\n[audit]\naudience = "chat-admin"\nbearer_scheme_case_insensitive = true\n'
        'blacklist_after_rotation = true\nlogin_throttle = true\ntoken_no_store = true\nmax_access_lifetime = "15m"\n'
    )
    config = load_config(config_file(server_with(), extra=extra), env=ENV)
    assert expectations(config, Tier.NEW) == [
        "contract jwt.json",
        "Bearer scheme case-insensitive",
        "user_id types integer, string",
        "audience chat-admin",
        "rotated refresh tokens blacklisted",
        "login throttle promised",
        "token answers no-store",
        "access tokens live at most 15 minutes",
    ]


def test_the_replayed_run_records_each_target_s_expectations(server_with: ServerFactory, tmp_path: Path) -> None:
    outcome = run_parity(Config.embedded(server_with(), proxy=False).model_copy(update={"ws": None}), out_dir=tmp_path)
    held = {target.side: target.expectations for target in outcome.result.targets}
    assert held[Tier.OLD][0] == held[Tier.NEW][0] == "contract: the built-in seed contract"
