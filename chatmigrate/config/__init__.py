"""Run configuration: one TOML file (or ``[tool.chatmigrate]``), overridable by environment and flags.

Every key is declared once, in ``chatmigrate.config.models``; the loader, the environment overrides, the
command-line options and the key table of docs/configuration.md all read that declaration.
"""

from chatmigrate.config.audit import AuditConfig, PrincipalConfig
from chatmigrate.config.load import (
    CONFIG_FILE,
    ENV_CONFIG,
    ENV_PREFIX,
    auth_from_options,
    config_from_mapping,
    embedded_config,
    env_defines_targets,
    find_config,
    gate_from_overrides,
    load_config,
)
from chatmigrate.config.models import (
    AUTH_KINDS,
    CHAT_PATH,
    CONTRACT_TIERS,
    DEFAULT_NEW_PATH_MAP,
    DEFAULT_PROXY_ROUTES,
    EMBEDDED_LATENCY_FLOOR_MS,
    AuthConfig,
    CompareOptions,
    Config,
    Contracts,
    GateLimits,
    GateOptions,
    IgnoreRule,
    NormaliseRule,
    RunOptions,
    SchemaCheck,
    ShadowConfig,
    TargetConfig,
    WsOptions,
)
from chatmigrate.config.principals import ANONYMOUS, Principal
from chatmigrate.config.values import parse_duration

__all__ = [
    "ANONYMOUS",
    "AUTH_KINDS",
    "CHAT_PATH",
    "CONFIG_FILE",
    "CONTRACT_TIERS",
    "DEFAULT_NEW_PATH_MAP",
    "DEFAULT_PROXY_ROUTES",
    "EMBEDDED_LATENCY_FLOOR_MS",
    "ENV_CONFIG",
    "ENV_PREFIX",
    "AuditConfig",
    "AuthConfig",
    "CompareOptions",
    "Config",
    "Contracts",
    "GateLimits",
    "GateOptions",
    "IgnoreRule",
    "NormaliseRule",
    "Principal",
    "PrincipalConfig",
    "RunOptions",
    "SchemaCheck",
    "ShadowConfig",
    "TargetConfig",
    "WsOptions",
    "auth_from_options",
    "config_from_mapping",
    "embedded_config",
    "env_defines_targets",
    "find_config",
    "gate_from_overrides",
    "load_config",
    "parse_duration",
]
