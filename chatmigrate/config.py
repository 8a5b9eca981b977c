"""Run configuration: one TOML file (or ``[tool.chatmigrate]``), overridable by environment and flags.

Secrets are never values in the file or on the command line, only references
(``password_env``, ``token_env``, ``secret_env`` and their ``*_file`` twins), so
a config can be committed and shown in CI logs. Every error names the file,
line and key (or the environment variable / flag) so it can be fixed in one go.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chatmigrate.compare import CompareOptions
from chatmigrate.contracts import TIER_DOCUMENTS, openapi_contract, response_checker
from chatmigrate.errors import ConfigError
from chatmigrate.noise import IgnoreRule
from chatmigrate.verdict import GateLimits
from chatmigrate.vocab import Severity

if TYPE_CHECKING:
    from chatmigrate.embedded import EmbeddedServer

CONFIG_FILE = "chatmigrate.toml"
ENV_PREFIX = "CHATMIGRATE_"
ENV_CONFIG = "CHATMIGRATE_CONFIG"
SIDES = ("old", "new", "proxy")
AUDIT_TIERS = ("new", "proxy", "old", "ws")
AUTH_KINDS = ("session", "bearer", "token-endpoint", "mint")
CHAT_PATH = "/admin/chat/"
DEFAULT_NEW_PATH_MAP = {CHAT_PATH: "/api/v1/admin/chat/"}
DEFAULT_PROXY_ROUTES = {
    "recent_messages": "/api/chat-messages",
    "purchases_list": "/api/chat-purchases",
    "chat_list": "/api/chat-users",
}
_SECRET_KEYS = {
    "password": "password_env",
    "token": "token_env",
    "access": "token_env",
    "refresh": "token_env",
    "secret": "secret_env",
    "jwt_secret": "secret_env",
    "client_secret": "secret_env",
}


EMBEDDED_LATENCY_FLOOR_MS = 250.0
"""Old and new share one process and one machine with the runner when embedded: only a gross regression counts."""


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """How one target authenticates; which fields matter depends on ``kind``."""

    kind: str
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    token_env: str | None = None
    token_file: Path | None = None
    secret_env: str | None = None
    secret_file: Path | None = None
    base_url: str | None = None
    login_path: str = "/admin/login/"
    token_path: str = "/api/v1/auth/token/"
    refresh_path: str = "/api/v1/auth/token/refresh/"
    refresh_margin: float = 30.0
    user_id: int | None = None
    email: str | None = None
    role: str = "admin"
    ttl: float = 900.0
    password: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class TargetConfig:
    side: str
    base_url: str
    auth: AuthConfig
    path_map: dict[str, str] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None
    embedded: bool = False


@dataclass(frozen=True, slots=True)
class RunOptions:
    concurrency: int = 8
    rate_limit: float | None = None
    retries: int = 2
    backoff: float = 0.2
    timeout: float = 10.0
    repeats: int = 2
    body_cap: int = 2 * 1024 * 1024
    corpus: Path | None = None
    output_dir: Path = Path("results")


@dataclass(frozen=True, slots=True)
class GateOptions:
    limits: GateLimits = field(default_factory=GateLimits)
    baseline: Path | None = None


@dataclass(frozen=True, slots=True)
class WsOptions:
    url: str
    auth: str = "url"
    user_id: int | None = None
    chatroom_id: int | None = None
    player_id: int | None = None
    send_path: str = "/api/v1/chat/send/"
    timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class PrincipalConfig:
    """A further login the audit uses (non-staff, spare); its password by reference only."""

    username: str
    password_env: str | None = None
    password_file: Path | None = None


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """``[audit]``, named like ``AuditOptions`` and ``AuditTarget`` fields; None leaves the audit's own default
    (``timeout`` and ``concurrency`` default to ``[run]``'s)."""

    tiers: frozenset[str] | None = None
    seed: int | None = None
    budget: int | None = None
    contract: bool | None = None
    contract_examples: int | None = None
    timeout: float | None = None
    concurrency: int | None = None
    ws_url_mode_severity: Severity | None = None
    delay_margin_ms: float | None = None
    forbidden_principal: PrincipalConfig | None = None
    spare_principal: PrincipalConfig | None = None
    inactive_user_id: int | None = None
    issuer: str | None = None
    revocation: bool | None = None
    leeway: int | None = None
    ws_auth_timeout: float | None = None
    site_login_path: str | None = None
    logout_path: str | None = None
    password_change_path: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    targets: dict[str, TargetConfig]
    run: RunOptions = field(default_factory=RunOptions)
    compare: CompareOptions = field(default_factory=CompareOptions)
    ignore: list[IgnoreRule] = field(default_factory=list)
    gate: GateOptions = field(default_factory=GateOptions)
    ws: WsOptions | None = None
    audit: AuditConfig = field(default_factory=AuditConfig)
    contracts: dict[str, Path] = field(default_factory=dict)
    """The user's own OpenAPI documents by tier (legacy, jwt, proxy); the built-in ones for the rest."""
    source: str | None = None

    @property
    def embedded_only(self) -> bool:
        """Writes are always allowed against the embedded server: its database is throwaway."""
        return all(target.embedded for target in self.targets.values())

    @classmethod
    def embedded(cls, server: EmbeddedServer, *, proxy: bool = True) -> Config:
        """Old = legacy session login, new and proxy = token endpoint, all as the seeded ``admin``."""
        base = server.base_url
        password = server.config.password
        session = AuthConfig(kind="session", username="admin", password=password)
        token = AuthConfig(kind="token-endpoint", username="admin", password=password)
        targets = {
            "old": TargetConfig(side="old", base_url=base, auth=session, embedded=True),
            "new": TargetConfig(
                side="new", base_url=base, auth=token, path_map=dict(DEFAULT_NEW_PATH_MAP), embedded=True
            ),
        }
        if proxy:
            targets["proxy"] = TargetConfig(
                side="proxy", base_url=base, auth=token, routes=dict(DEFAULT_PROXY_ROUTES), embedded=True
            )
        ws = WsOptions(url=server.ws_url, auth=server.config.ws_auth)
        compare = CompareOptions(latency_floor_ms=EMBEDDED_LATENCY_FLOOR_MS)
        return cls(targets=targets, ws=ws, compare=compare, source="embedded reference server")


# ---------------------------------------------------------------- value parsers

Parser = Callable[[Any], Any]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> float:
    """Seconds from ``900``, ``"15m"``, ``"2h"``, ``"500ms"``: TTLs and timeouts read naturally."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 30s, 15m or 2h, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"expected a duration like 30s, 15m or 2h, got {value!r}")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if not (0 < seconds < math.inf):
        raise ValueError(f"expected a positive finite duration, got {value!r}")
    return seconds


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _url(scheme: tuple[str, ...]) -> Parser:
    def parse(value: Any) -> str:
        text = _text(value).rstrip("/")
        if "@" in text.split("://", 1)[-1].split("/", 1)[0]:
            # Checked first and never echoed: the URL is printed in run.json, reports and error lines.
            raise ValueError("credentials in a URL are refused: put credentials in the auth table, by reference")
        parts = urlsplit(text)
        if parts.scheme not in scheme or not parts.netloc:
            raise ValueError(f"expected an absolute {'/'.join(scheme)} URL, got {value!r}")
        return text

    return parse


def _url_path(value: Any) -> str:
    text = _text(value)
    if not text.startswith("/"):
        raise ValueError(f"expected a path starting with '/', got {value!r}")
    return text


def _int(minimum: int) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"expected an integer, got {value!r}")
        try:
            number = int(value) if isinstance(value, int | str) else int(str(value), 10)
        except ValueError:
            raise ValueError(f"expected an integer, got {value!r}") from None
        if number < minimum:
            raise ValueError(f"expected an integer >= {minimum}, got {value!r}")
        return number

    return parse


def _positive_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a positive number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a positive number, got {value!r}") from None
    if not (0 < number < math.inf):
        raise ValueError(f"expected a positive finite number, got {value!r}")
    return number


def _non_negative_float(value: Any) -> float:
    if value in (0, "0"):
        return 0.0
    return _positive_float(value)


def _non_negative_duration(value: Any) -> float:
    if value in (0, "0"):
        return 0.0
    return parse_duration(value)


def _whole_seconds(value: Any) -> int:
    """A JWT leeway: claims are whole seconds, so a fraction would be a silent rounding."""
    seconds = _non_negative_duration(value)
    if seconds != int(seconds):
        raise ValueError(f"expected a whole number of seconds, got {value!r}")
    return int(seconds)


def _bool(value: Any) -> bool:
    """TOML booleans, and their spellings in environment variables and ``--set``."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _tiers(value: Any) -> frozenset[str]:
    """A list, or comma-separated text for the environment; ``all`` is every tier."""
    if isinstance(value, str) and not value.lstrip().startswith("["):
        value = [part.strip() for part in value.split(",") if part.strip()]
    names = _decode_json(value, list)
    unknown = [name for name in names if name not in (*AUDIT_TIERS, "all")]
    if unknown or not names:
        raise ValueError(f"expected a list of {', '.join(AUDIT_TIERS)} or all, got {value!r}")
    return frozenset(AUDIT_TIERS) if "all" in names else frozenset(names)


def _rate(value: Any) -> float | None:
    """``0`` means unlimited, so a CI matrix can switch the limit off from the environment."""
    if value in (0, "0", "", "none", "off"):
        return None
    return _positive_float(value)


def _choice(options: tuple[str, ...]) -> Parser:
    def parse(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    return parse


def _file_path(value: Any) -> Path:
    return Path(_text(value)).expanduser()


def _env_name(value: Any) -> str:
    text = _text(value)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise ValueError(f"expected the NAME of an environment variable, got {value!r}")
    return text


def _decode_json(value: Any, expected: type) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"expected a JSON {expected.__name__}, got {value!r}") from None
    if not isinstance(value, expected):
        raise ValueError(f"expected a {'table' if expected is dict else 'list'}, got {value!r}")
    return value


def _path_map(value: Any) -> dict[str, str]:
    table = _decode_json(value, dict)
    return {_url_path(key): _url_path(item) for key, item in table.items()}


def _routes(value: Any) -> dict[str, str]:
    table = _decode_json(value, dict)
    return {_text(key): _url_path(item) for key, item in table.items()}


def _table(value: Any) -> dict[str, Any]:
    return dict(_decode_json(value, dict))


_AUTH_SPEC: dict[str, Parser] = {
    "kind": _choice(AUTH_KINDS),
    "username": _text,
    "password_env": _env_name,
    "password_file": _file_path,
    "token_env": _env_name,
    "token_file": _file_path,
    "secret_env": _env_name,
    "secret_file": _file_path,
    "base_url": _url(("http", "https")),
    "login_path": _url_path,
    "token_path": _url_path,
    "refresh_path": _url_path,
    "refresh_margin": parse_duration,
    "user_id": _int(1),
    "email": _text,
    "role": _text,
    "ttl": parse_duration,
}
_TARGET_SPEC: dict[str, Parser] = {
    "base_url": _url(("http", "https")),
    "path_map": _path_map,
    "routes": _routes,
    "timeout": parse_duration,
}
_RUN_SPEC: dict[str, Parser] = {
    "concurrency": _int(1),
    "rate_limit": _rate,
    "retries": _int(0),
    "backoff": parse_duration,
    "timeout": parse_duration,
    "repeats": _int(1),
    "body_cap": _int(1024),
    "corpus": _file_path,
    "output_dir": _file_path,
}
_GATE_SPEC: dict[str, Parser] = {"fail_on": Severity.parse, "max_findings": _int(0), "baseline": _file_path}
_WS_SPEC: dict[str, Parser] = {
    "url": _url(("ws", "wss")),
    "auth": _choice(("url", "jwt")),
    "user_id": _int(0),
    "chatroom_id": _int(0),
    "player_id": _int(0),
    "send_path": _url_path,
    "timeout": parse_duration,
}
_COMPARE_SPEC: dict[str, Parser] = {
    "latency_limit": _positive_float,
    "latency_floor_ms": _non_negative_float,
    "latency_min_samples": _int(1),
    "evidence_chars": _int(100),
    "value_chars": _int(20),
    "max_paths_per_endpoint": _int(1),
}
_IGNORE_SPEC: dict[str, Parser] = {"path": _text, "endpoint": _text, "reason": _text}
_AUDIT_OPTIONS_SPEC: dict[str, Parser] = {
    "tiers": _tiers,
    "seed": _int(0),
    "budget": _int(0),
    "contract": _bool,
    "contract_examples": _int(1),
    "timeout": parse_duration,
    "concurrency": _int(1),
    "ws_url_mode_severity": Severity.parse,
    "delay_margin_ms": _non_negative_float,
}
_AUDIT_TARGET_SPEC: dict[str, Parser] = {
    "inactive_user_id": _int(0),
    "issuer": _text,
    "revocation": _bool,
    "leeway": _whole_seconds,
    "ws_auth_timeout": parse_duration,
    "site_login_path": _url_path,
    "logout_path": _url_path,
    "password_change_path": _url_path,
}
_AUDIT_PRINCIPALS = ("forbidden_principal", "spare_principal")
_PRINCIPAL_SPEC: dict[str, Parser] = {"username": _text, "password_env": _env_name, "password_file": _file_path}
_CONTRACTS_SPEC: dict[str, Parser] = {tier: _file_path for tier in TIER_DOCUMENTS}
_SECTIONS = ("targets", "run", "compare", "ignore", "gate", "ws", "audit", "contracts")
_AUTH_NEEDS: dict[str, list[tuple[str, ...]]] = {
    "session": [("username",), ("password_env", "password_file", "password")],
    "token-endpoint": [("username",), ("password_env", "password_file", "password")],
    "bearer": [("token_env", "token_file")],
    "mint": [("secret_env", "secret_file", "secret"), ("username",), ("user_id",)],
}


# ---------------------------------------------------------------- provenance and line lookup


@dataclass(slots=True)
class _Source:
    """Where each value came from, so an error can point at the file line, env var or flag."""

    file: str | None = None
    text: str = ""
    table_prefix: tuple[str, ...] = ()
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)

    def error(self, message: str, key: tuple[str, ...]) -> ConfigError:
        dotted = ".".join(key)
        for length in range(len(key), 0, -1):
            origin = self.origins.get(key[:length])
            if origin:
                return ConfigError(message, file=origin, key=dotted)
        return ConfigError(message, file=self.file, line=self.line_of(key), key=dotted)

    def line_of(self, key: tuple[str, ...]) -> int | None:
        """The line of ``key``, else of its nearest enclosing table: good enough to point a human at."""
        if not self.text:
            return None
        lines = _key_lines(self.text)
        full = self.table_prefix + key
        while full:
            if full in lines:
                return lines[full]
            full = full[:-1]
        return None


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """A simple scan of TOML: ``[table]`` and ``[[array]]`` headers, then ``name =`` under them."""
    found: dict[tuple[str, ...], int] = {}
    arrays: dict[tuple[str, ...], int] = {}
    header: tuple[str, ...] = ()

    def mark(key: tuple[str, ...], number: int) -> None:
        for length in range(1, len(key) + 1):
            found.setdefault(key[:length], number)

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        array = re.fullmatch(r"\[\[\s*([^\]]+?)\s*\]\]\s*(#.*)?", line)
        table = re.fullmatch(r"\[\s*([^\]]+?)\s*\]\s*(#.*)?", line)
        if array or table:
            name = _dotted((array or table).group(1))  # type: ignore[union-attr]
            if array:
                index = arrays.get(name, -1) + 1
                arrays[name] = index
                name = (*name, str(index))
            header = name
            mark(header, number)
            continue
        assignment = re.match(r"([A-Za-z0-9_.\"' -]+?)\s*=", line)
        if assignment:
            mark(header + _dotted(assignment.group(1)), number)
    return found


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


# ---------------------------------------------------------------- loading


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
    source = _Source(file=str(path), text=text, table_prefix=prefix)
    return build_config(document, source=source, env=env, overrides=overrides, base_dir=path.parent)


def config_from_mapping(
    document: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """A config built from a dict (no file): the environment and flags still apply."""
    return build_config(dict(document), source=_Source(), env=env, overrides=overrides, base_dir=Path.cwd())


def build_config(
    document: dict[str, Any],
    *,
    source: _Source,
    env: Mapping[str, str] | None,
    overrides: Mapping[str, Any] | None,
    base_dir: Path,
) -> Config:
    raw: dict[str, Any] = json.loads(json.dumps(document, default=str))
    _overlay(raw, source, env, overrides)
    return _Builder(source, base_dir).config(raw)


def embedded_config(
    server: EmbeddedServer, *, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Config:
    """``Config.embedded`` with run, compare, gate and ws settings from the environment and flags."""
    source = _Source()
    raw: dict[str, Any] = {}
    _overlay(raw, source, env, overrides)
    if "targets" in raw:
        raise source.error(
            "the embedded server's targets are fixed: write a config file to point elsewhere", ("targets",)
        )
    audit = raw.get("audit")
    fixed = sorted(set(audit) & {*_AUDIT_TARGET_SPEC, *_AUDIT_PRINCIPALS}) if isinstance(audit, dict) else []
    if fixed:
        raise source.error(
            "the embedded server's principals and policies are fixed: this key is for a config file's targets",
            ("audit", fixed[0]),
        )
    return _Builder(source, Path.cwd()).config(raw, base=Config.embedded(server))


def auth_from_options(options: Mapping[str, Any], origin: str = "command line") -> AuthConfig:
    """An ``[auth]`` table given as flags (``corpus generate``), validated like the file's."""
    values = {name: value for name, value in options.items() if value is not None}
    source = _Source()
    for name in values:
        source.origins[("auth", name)] = origin
    source.origins[("auth",)] = origin
    return _Builder(source, Path.cwd())._auth(values, ("auth",))


def env_defines_targets(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment alone describes targets (a CI job without a config file)."""
    env = os.environ if env is None else env
    return any(name.startswith(f"{ENV_PREFIX}TARGETS__") for name in env)


def _overlay(
    raw: dict[str, Any], source: _Source, env: Mapping[str, str] | None, overrides: Mapping[str, Any] | None
) -> None:
    """Environment over file, flags over environment."""
    env = os.environ if env is None else env
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and "__" in name:
            key = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
            _assign(raw, key, env[name], source, f"environment variable {name}")
    for dotted, value in (overrides or {}).items():
        _assign(raw, tuple(dotted.split(".")), value, source, f"command line ({dotted})")


def _assign(raw: dict[str, Any], key: tuple[str, ...], value: Any, source: _Source, origin: str) -> None:
    source.origins[key] = origin
    if key[-1] in _SECRET_KEYS:
        raise source.error(_secret_message(key[-1]), key)
    if key[0] not in _SECTIONS or len(key) < 2 or key[0] == "ignore":
        raise source.error("not a config key that can be overridden (see docs/configuration.md)", key)
    node = raw
    for part in key[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise source.error("cannot override inside a value that is not a table", key)
        node = child
    node[key[-1]] = value


def _secret_message(name: str) -> str:
    reference = _SECRET_KEYS[name]
    return (
        f"secrets are never written in the config or on the command line: use {reference} "
        f"(the name of an environment variable) or {reference.removesuffix('_env')}_file"
    )


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


class _Builder:
    def __init__(self, source: _Source, base_dir: Path) -> None:
        self.source = source
        self.base_dir = base_dir

    def config(self, raw: dict[str, Any], base: Config | None = None) -> Config:
        """Parse ``raw``; with ``base``, its targets and WebSocket settings are the starting point."""
        self._reject_secrets(raw, ())
        for name in raw:
            if name not in _SECTIONS:
                raise self.source.error(f"unknown section; expected one of {', '.join(_SECTIONS)}", (name,))
        contracts = self._contracts(self._section(raw, "contracts"))
        compare = self._values(self._section(raw, "compare"), _COMPARE_SPEC, ("compare",))
        if contracts:
            compare["schema_check"] = response_checker(contracts)
        return Config(
            targets=base.targets if base is not None else self._targets(self._section(raw, "targets")),
            run=self._run(self._section(raw, "run")),
            compare=replace(base.compare, **compare) if base is not None else CompareOptions(**compare),
            ignore=self._ignore(raw.get("ignore", [])),
            gate=self._gate(self._section(raw, "gate")),
            ws=self._ws(self._section(raw, "ws"), base.ws if base is not None else None),
            audit=self._audit(self._section(raw, "audit")),
            contracts=contracts,
            source=self.source.file or (base.source if base is not None else None),
        )

    def _targets(self, targets_raw: dict[str, Any]) -> dict[str, TargetConfig]:
        for side in targets_raw:
            if side not in SIDES:
                raise self.source.error(f"unknown target; expected one of {', '.join(SIDES)}", ("targets", side))
        for side in ("old", "new"):
            if side not in targets_raw:
                raise self.source.error(f"target {side!r} is required", ("targets", side))
        return {
            side: self._target(side, self._section(targets_raw, side, ("targets",)))
            for side in SIDES
            if side in targets_raw
        }

    def _run(self, raw: dict[str, Any]) -> RunOptions:
        run = RunOptions(**self._values(raw, _RUN_SPEC, ("run",)))
        return replace(run, corpus=self._relative(run.corpus)) if run.corpus is not None else run

    def _gate(self, raw: dict[str, Any]) -> GateOptions:
        values = self._values(raw, _GATE_SPEC, ("gate",))
        baseline = values.pop("baseline", None)
        return GateOptions(
            limits=GateLimits(**values), baseline=self._relative(baseline) if baseline is not None else None
        )

    def _ws(self, raw: dict[str, Any], base: WsOptions | None) -> WsOptions | None:
        values = self._values(raw, _WS_SPEC, ("ws",))
        if ("chatroom_id" in values) != ("player_id" in values):
            missing = "player_id" if "chatroom_id" in values else "chatroom_id"
            raise self.source.error("give both chatroom_id and player_id, or neither", ("ws", missing))
        if base is not None:
            return replace(base, **values)
        if not values:
            return None
        if "url" not in values:
            raise self.source.error("the [ws] table needs a url", ("ws", "url"))
        return WsOptions(**values)

    def _audit(self, raw: dict[str, Any]) -> AuditConfig:
        key = ("audit",)
        spec = _AUDIT_OPTIONS_SPEC | _AUDIT_TARGET_SPEC | dict.fromkeys(_AUDIT_PRINCIPALS, _table)
        values = self._values(raw, spec, key)
        for name in _AUDIT_PRINCIPALS:
            if name in values:
                values[name] = self._principal(values[name], (*key, name))
        return AuditConfig(**values)

    def _principal(self, raw: dict[str, Any], key: tuple[str, ...]) -> PrincipalConfig:
        values = self._values(raw, _PRINCIPAL_SPEC, key)
        if "username" not in values:
            raise self.source.error("username is required", (*key, "username"))
        if "password_env" not in values and "password_file" not in values:
            raise self.source.error("needs password_env or password_file", (*key, "password_env"))
        if "password_file" in values:
            values["password_file"] = self._relative(values["password_file"])
        return PrincipalConfig(**values)

    def _contracts(self, raw: dict[str, Any]) -> dict[str, Path]:
        """Each document is read now, so a broken one stops the run before any request is sent."""
        documents = {
            tier: self._relative(path) for tier, path in self._values(raw, _CONTRACTS_SPEC, ("contracts",)).items()
        }
        for tier, path in documents.items():
            try:
                openapi_contract(path)
            except ConfigError as error:
                raise self.source.error(str(error), ("contracts", tier)) from None
        return documents

    def _relative(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path

    def _reject_secrets(self, node: Any, key: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                if name in _SECRET_KEYS:
                    raise self.source.error(_secret_message(name), (*key, name))
                self._reject_secrets(value, (*key, name))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                self._reject_secrets(item, (*key, str(index)))

    def _section(self, raw: dict[str, Any], name: str, parent: tuple[str, ...] = ()) -> dict[str, Any]:
        value = raw.get(name, {})
        try:
            return _table(value)
        except ValueError as error:
            raise self.source.error(str(error), (*parent, name)) from None

    def _values(self, raw: dict[str, Any], spec: dict[str, Parser], key: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in raw.items():
            parser = spec.get(name)
            if parser is None:
                raise self.source.error(f"unknown key; expected one of {', '.join(spec)}", (*key, name))
            try:
                out[name] = parser(value)
            except ValueError as error:
                raise self.source.error(str(error), (*key, name)) from None
        return out

    def _target(self, side: str, raw: dict[str, Any]) -> TargetConfig:
        key = ("targets", side)
        auth_raw = self._section(raw, "auth", key)
        values = self._values({k: v for k, v in raw.items() if k != "auth"}, _TARGET_SPEC, key)
        if "base_url" not in values:
            raise self.source.error("base_url is required", (*key, "base_url"))
        if not auth_raw:
            raise self.source.error(
                "an [auth] table is required (kind = session | bearer | token-endpoint | mint)",
                (*key, "auth"),
            )
        auth = self._auth(auth_raw, (*key, "auth"))
        values.setdefault("path_map", dict(DEFAULT_NEW_PATH_MAP) if side == "new" else {})
        values.setdefault("routes", dict(DEFAULT_PROXY_ROUTES) if side == "proxy" else {})
        return TargetConfig(side=side, auth=auth, **values)

    def _auth(self, raw: dict[str, Any], key: tuple[str, ...]) -> AuthConfig:
        if "kind" not in raw:
            raise self.source.error(f"kind is required ({' | '.join(AUTH_KINDS)})", (*key, "kind"))
        values = self._values(raw, _AUTH_SPEC, key)
        for group in _AUTH_NEEDS[values["kind"]]:
            if not any(name in values for name in group):
                wanted = " or ".join(name for name in group if name not in ("password", "secret"))
                raise self.source.error(f"auth kind {values['kind']!r} needs {wanted}", (*key, group[0]))
        for name in ("password_file", "token_file", "secret_file"):
            if name in values:
                values[name] = self._relative(values[name])
        return AuthConfig(**values)

    def _ignore(self, raw: Any) -> list[IgnoreRule]:
        try:
            items = _decode_json(raw, list)
        except ValueError as error:
            raise self.source.error(str(error), ("ignore",)) from None
        rules = []
        for index, item in enumerate(items):
            key = ("ignore", str(index))
            if not isinstance(item, dict):
                raise self.source.error("each [[ignore]] entry must be a table", key)
            values = self._values(item, _IGNORE_SPEC, key)
            for required in ("path", "reason"):
                if required not in values:
                    raise self.source.error(f"an ignore rule needs a {required}", (*key, required))
            try:
                rules.append(IgnoreRule(**values))
            except ConfigError as error:
                message = str(error).split(": ", 1)[-1]
                raise self.source.error(message, (*key, error.key or "path")) from None
        return rules
