"""Reading a config: the file (or ``[tool.chatmigrate]``), then ``CHATMIGRATE_*`` variables, then ``--set``
pairs and flags, validated once by the models.

Secrets are never values in the file or on the command line, only references (``password_env``,
``token_env``, ``secret_env`` and their ``*_file`` twins), so a config can be committed and shown in CI logs.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from chatmigrate.config.audit import AuditConfig
from chatmigrate.config.models import (
    EMBEDDED_LATENCY_FLOOR_MS,
    EMBEDDED_POLICIES,
    AuthConfig,
    Config,
    GateOptions,
    embedded_principals,
    embedded_targets,
)
from chatmigrate.config.source import Source
from chatmigrate.config.values import decode_json
from chatmigrate.errors import ConfigError
from chatmigrate.vocab import SIDES, Tier

if TYPE_CHECKING:
    from chatmigrate.embedded import EmbeddedServer

CONFIG_FILE = "chatmigrate.toml"
ENV_PREFIX = "CHATMIGRATE_"
ENV_CONFIG = "CHATMIGRATE_CONFIG"
SECRET_KEYS = {
    "password": "password_env",
    "token": "token_env",
    "access": "token_env",
    "refresh": "token_env",
    "secret": "secret_env",
    "jwt_secret": "secret_env",
    "client_secret": "secret_env",
}


def user_fields(model: type[BaseModel]) -> dict[str, Any]:
    """The keys a user may write in a table: every field but those the program fills in."""
    return {
        name: info
        for name, info in model.model_fields.items()
        if not (isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("internal"))
    }


def table_model(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """``("table" | "dict" | "list", model)`` when a field holds tables of ``model``, else None."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table", annotation
    if origin in (typing.Union, types.UnionType):
        found = [table_model(arg) for arg in args if arg is not type(None)]
        return found[0] if len(found) == 1 else None
    if origin is dict and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return "dict", args[1]
    if origin is list and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return "list", args[0]
    return None


def find_config(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Path | None:
    """``$CHATMIGRATE_CONFIG``, else ``chatmigrate.toml``, else pyproject.toml with ``[tool.chatmigrate]``."""
    env = os.environ if env is None else env
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG])
    here = cwd or Path.cwd()
    if (here / CONFIG_FILE).is_file():
        return here / CONFIG_FILE
    pyproject = here / "pyproject.toml"
    if pyproject.is_file() and re.search(r"^\s*\[tool\.chatmigrate[\].]", pyproject.read_text(), re.MULTILINE):
        return pyproject
    return None


def load_config(
    path: Path | str, *, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """Read ``path``, then apply ``CHATMIGRATE_*`` variables, then ``overrides`` (dotted key -> value)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config: {error.strerror}", file=str(path)) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None) or _toml_error_line(str(error))
        message = getattr(error, "msg", None) or re.sub(r"\s*\(at line.*\)$", "", str(error))
        raise ConfigError(f"invalid TOML: {message}", file=str(path), line=line) from None
    prefix: tuple[str, ...] = ()
    if path.name == "pyproject.toml":
        prefix = ("tool", "chatmigrate")
        tool = document.get("tool", {})
        if not isinstance(tool, dict) or "chatmigrate" not in tool:
            raise ConfigError("no [tool.chatmigrate] table", file=str(path))
        document = tool["chatmigrate"]
    source = Source(file=str(path), text=text, table_prefix=prefix)
    return _build(document, source, env, overrides, base_dir=path.parent)


def config_from_mapping(
    document: Mapping[str, Any], *, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """A config built from a dict (no file): the environment and flags still apply."""
    return _build(dict(document), Source(), env, overrides, base_dir=Path.cwd())


def embedded_config(
    server: EmbeddedServer, *, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """``Config.embedded`` with run, compare, gate, ws and audit settings from the environment and flags."""
    source = Source()
    raw: dict[str, Any] = {}
    _overlay(raw, source, env, overrides)
    for fixed_table in ("targets", "principals"):
        if fixed_table in raw:
            raise source.error(
                f"the embedded server's {fixed_table} are fixed: write a config file to point elsewhere",
                (fixed_table,),
            )
    audit = raw.get("audit")
    policies = {name for name, info in AuditConfig.model_fields.items() if _extra(info).get("policy")}
    fixed = sorted(set(audit) & policies) if isinstance(audit, dict) else []
    if fixed:
        raise source.error(
            "the embedded server's principals and policies are fixed: this key is for a config file's targets",
            ("audit", fixed[0]),
        )
    _check_keys(raw, Config, (), source)
    raw["ws"] = {"url": server.ws_url, "auth": server.config.ws_auth, **_table(raw.get("ws", {}))}
    raw["compare"] = {"latency_floor_ms": EMBEDDED_LATENCY_FLOOR_MS, **_table(raw.get("compare", {}))}
    raw["contracts"] = {**_table(raw.get("contracts", {})), "seed": True}
    raw["targets"] = embedded_targets(server.base_url, server.config.password)
    raw["principals"] = embedded_principals(server.config.password)
    raw["audit"] = {**_table(raw.get("audit", {})), **EMBEDDED_POLICIES}
    raw["source"] = "embedded reference server"
    return _validate(raw, source, Path.cwd())


def auth_from_options(options: Mapping[str, Any], origin: str = "command line") -> AuthConfig:
    """An ``[auth]`` table given as flags (``corpus generate``), validated like the file's."""
    values = {name: value for name, value in options.items() if value is not None}
    source = Source(origins={("auth",): origin})
    try:
        return AuthConfig.model_validate(values, context={"base_dir": Path.cwd()})
    except ValidationError as error:
        raise _prefixed(source.invalid(error), "auth") from None


def env_defines_targets(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment alone describes targets (a CI job without a config file)."""
    env = os.environ if env is None else env
    return any(name.startswith(f"{ENV_PREFIX}TARGETS__") for name in env)


def _prefixed(error: ConfigError, prefix: str) -> ConfigError:
    message = str(error).split(": ", 1)[-1]
    return ConfigError(message, file=error.file, key=f"{prefix}.{error.key}" if error.key else prefix)


def _build(
    document: dict[str, Any],
    source: Source,
    env: Mapping[str, str] | None,
    overrides: Mapping[str, Any] | None,
    *,
    base_dir: Path,
) -> Config:
    raw: dict[str, Any] = json.loads(json.dumps(document, default=str))
    _overlay(raw, source, env, overrides)
    _reject_secrets(raw, (), source)
    _check_keys(raw, Config, (), source)
    raw["source"] = source.file
    return _validate(raw, source, base_dir)


def _validate(raw: dict[str, Any], source: Source, base_dir: Path) -> Config:
    try:
        return Config.model_validate({**raw, "located": source}, context={"base_dir": base_dir})
    except ValidationError as error:
        raise source.invalid(error) from None


def _overlay(
    raw: dict[str, Any], source: Source, env: Mapping[str, str] | None, overrides: Mapping[str, Any] | None
) -> None:
    """Environment over file, flags over environment."""
    env = os.environ if env is None else env
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and "__" in name:
            key = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
            _assign(raw, key, env[name], source, f"environment variable {name}")
    for dotted, value in (overrides or {}).items():
        _assign(raw, tuple(dotted.split(".")), value, source, f"command line ({dotted})")


def _assign(raw: dict[str, Any], key: tuple[str, ...], value: Any, source: Source, origin: str) -> None:
    source.origins[key] = origin
    if key[-1] in SECRET_KEYS:
        raise source.error(_secret_message(key[-1]), key)
    if key[0] not in Config.model_fields or len(key) < 2 or key[0] in ("ignore", "source"):
        raise source.error("not a config key that can be overridden (see docs/configuration.md)", key)
    node = raw
    for part in key[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise source.error("cannot override inside a value that is not a table", key)
        node = child
    node[key[-1]] = value


def _secret_message(name: str) -> str:
    reference = SECRET_KEYS[name]
    return (
        f"secrets are never written in the config or on the command line: use {reference} "
        f"(the name of an environment variable) or {reference.removesuffix('_env')}_file"
    )


def _reject_secrets(node: Any, key: tuple[str, ...], source: Source) -> None:
    if isinstance(node, dict):
        for name, value in node.items():
            if name in SECRET_KEYS:
                raise source.error(_secret_message(name), (*key, name))
            _reject_secrets(value, (*key, name), source)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _reject_secrets(item, (*key, str(index)), source)


def _check_keys(node: dict[str, Any], model: type[BaseModel], key: tuple[str, ...], source: Source) -> None:
    """Every key a table holds is one its model declares; JSON text from the environment becomes a table."""
    fields = user_fields(model)
    for name in list(node):
        where = (*key, name)
        if name not in fields:
            what = "section" if not key else "key"
            raise source.error(f"unknown {what}; expected one of {', '.join(fields)}", where)
        shape = table_model(fields[name].annotation)
        if shape is None:
            continue
        kind, child = shape
        try:
            node[name] = value = decode_json(node[name], list if kind == "list" else dict)
        except ValueError as error:
            raise source.error(str(error), where) from None
        if kind == "table":
            _check_keys(value, child, where, source)
        elif kind == "dict":
            by_tier = typing.get_args(fields[name].annotation)[0] is Tier
            for side, table in value.items():
                if by_tier and side not in SIDES:
                    choices = ", ".join(SIDES)
                    raise source.error(f"unknown target; expected one of {choices}", (*where, side))
                _check_keys(_entry(table, (*where, side), source), child, (*where, side), source)
        else:
            for index, item in enumerate(value):
                _check_keys(_entry(item, (*where, str(index)), source), child, (*where, str(index)), source)


def _entry(value: Any, key: tuple[str, ...], source: Source) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise source.error("expected a table", key)
    return value


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _extra(info: Any) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def gate_from_overrides(overrides: Mapping[str, Any]) -> GateOptions:
    """``[gate]`` from flags alone, for a command that judges without a config file (``merge``)."""
    source = Source()
    values: dict[str, Any] = {}
    for dotted, value in overrides.items():
        section, _, name = dotted.partition(".")
        source.origins[(section, name)] = f"command line ({dotted})"
        if section != "gate" or name not in GateOptions.model_fields:
            raise source.error("only [gate] keys apply without --config", (section, name))
        values[name] = value
    try:
        return GateOptions.model_validate(values, context={"base_dir": Path.cwd()})
    except ValidationError as error:
        raise _prefixed(source.invalid(error), "gate") from None
