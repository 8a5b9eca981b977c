"""What a run held each target to beyond what any correct server does: its contract and the declared policies.

The report and run.json list these per target, so a reader knows which verdicts rest on a declaration and
which hold for any server.
"""

from __future__ import annotations

from chatmigrate.audit.target import audit_options_from_config
from chatmigrate.config import CONTRACT_TIERS, Config
from chatmigrate.vocab import Tier


def contract_of(config: Config, tier: Tier) -> str:
    own = {CONTRACT_TIERS[name]: path for name, path in config.contracts.documents.items()}.get(tier)
    if own is not None:
        return f"contract {own.name}"
    if tier in CONTRACT_TIERS.values() and config.contracts.seed:
        return "contract: the built-in seed contract"
    return "contract: none declared (schema not checked)"


def expectations(config: Config, tier: Tier) -> list[str]:
    return [contract_of(config, tier), *audit_options_from_config(config).policy.describe(tier)]
