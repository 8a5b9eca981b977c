"""The value types of config keys: each parses the TOML value, an environment variable's text or a ``--set``
value the same way, range-checks it and says what it expected in one line."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, GetCoreSchemaHandler, ValidationInfo
from pydantic_core import CoreSchema, core_schema

from chatmigrate.vocab import AUDIT_TIERS, Severity, Tier

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
HOUR = 3600.0
DAY = 86400.0
YEAR = 365 * DAY
MAX_ID = 2**63 - 1
"""The largest id a database column holds: anything above is a typo, not a user."""


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


def _duration(maximum: float, *, zero: bool = False) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if zero and value in (0, "0"):
            return 0.0
        seconds = parse_duration(value)
        if seconds > maximum:
            raise ValueError(f"expected a duration of at most {_shown(maximum)}, got {value!r}")
        return seconds

    return parse


def _shown(seconds: float) -> str:
    for unit, size in (("d", DAY), ("h", HOUR), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _int(minimum: int, maximum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"expected an integer, got {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"expected an integer, got {value!r}") from None
        if number < minimum:
            raise ValueError(f"expected an integer >= {minimum}, got {value!r}")
        if number > maximum:
            raise ValueError(f"expected an integer <= {maximum}, got {value!r}")
        return number

    return parse


def _number(maximum: float = math.inf, *, zero: bool = False) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if zero and value in (0, "0"):
            return 0.0
        if isinstance(value, bool):
            raise ValueError(f"expected a positive number, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a positive number, got {value!r}") from None
        if not (0 < number < math.inf):
            raise ValueError(f"expected a positive finite number, got {value!r}")
        if number > maximum:
            raise ValueError(f"expected a number <= {maximum:g}, got {value!r}")
        return number

    return parse


def _rate(value: Any) -> float | None:
    """``0`` means unlimited, so a CI matrix can switch the limit off from the environment."""
    if value in (0, "0", "", "none", "off"):
        return None
    return _number(1_000_000)(value)


def _whole_seconds(value: Any) -> int:
    """A JWT leeway: claims are whole seconds, so a fraction would be a silent rounding."""
    seconds = _duration(DAY, zero=True)(value)
    if seconds != int(seconds):
        raise ValueError(f"expected a whole number of seconds, got {value!r}")
    return int(seconds)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _url(*schemes: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _text(value).rstrip("/")
        if "@" in text.split("://", 1)[-1].split("/", 1)[0]:
            # Checked first and never echoed: the URL is printed in run.json, reports and error lines.
            raise ValueError("credentials in a URL are refused: put credentials in the auth table, by reference")
        parts = urlsplit(text)
        if parts.scheme not in schemes or not parts.netloc:
            raise ValueError(f"expected an absolute {'/'.join(schemes)} URL, got {value!r}")
        return text

    return parse


def url_path(value: Any) -> str:
    text = _text(value)
    if not text.startswith("/"):
        raise ValueError(f"expected a path starting with '/', got {value!r}")
    return text


def _url_paths(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) and not value.lstrip().startswith("["):
        value = [part.strip() for part in value.split(",") if part.strip()]
    items = value if isinstance(value, tuple) else decode_json(value, list)
    return tuple(url_path(item) for item in items)


def _listen(value: Any) -> tuple[str, int]:
    """``host:port`` (``[::1]:8480`` for IPv6), or the pair itself."""
    if isinstance(value, tuple):
        return value
    host, sep, port = _text(value).rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535 or not host:
        raise ValueError(f"expected host:port like 127.0.0.1:8480, got {value!r}")
    return host.strip("[]"), int(port)


def _fraction(value: Any) -> float:
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"expected a number from 0 to 1, got {value!r}")
    return number


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


def _env_name(value: Any) -> str:
    text = _text(value)
    if not _ENV_NAME.fullmatch(text):
        raise ValueError(f"expected the NAME of an environment variable, got {value!r}")
    return text


def _file_path(value: Any) -> Path:
    return value if isinstance(value, Path) else Path(_text(value)).expanduser()


def _relative(path: Path, info: ValidationInfo) -> Path:
    """Paths in a config file are relative to its folder, so the file works from any working directory."""
    base = (info.context or {}).get("base_dir")
    return path if path.is_absolute() or base is None else base / path


def decode_json(value: Any, expected: type) -> Any:
    """Tables and lists arrive as JSON text from the environment and ``--set``."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"expected a JSON {expected.__name__}, got {value!r}") from None
    if not isinstance(value, expected):
        raise ValueError(f"expected a {'table' if expected is dict else 'list'}, got {value!r}")
    return value


def _path_map(value: Any) -> dict[str, str]:
    return {url_path(key): url_path(item) for key, item in decode_json(value, dict).items()}


def _routes(value: Any) -> dict[str, str]:
    return {_text(key): url_path(item) for key, item in decode_json(value, dict).items()}


def _tiers(value: Any) -> frozenset[Tier]:
    """A list, or comma-separated text for the environment; ``all`` is every tier."""
    if isinstance(value, str) and not value.lstrip().startswith("["):
        value = [part.strip() for part in value.split(",") if part.strip()]
    names = value if isinstance(value, frozenset | set) else decode_json(value, list)
    choices = [tier.value for tier in AUDIT_TIERS]
    if not names or any(name not in (*choices, "all") for name in names):
        raise ValueError(f"expected a list of {', '.join(choices)} or all, got {value!r}")
    return frozenset(AUDIT_TIERS) if "all" in names else frozenset(Tier(name) for name in names)


JSON_TYPE_NAMES = ("integer", "string", "number", "boolean")


def _json_types(value: Any) -> frozenset[str]:
    """A list, or comma-separated text for the environment."""
    if isinstance(value, str) and not value.lstrip().startswith("["):
        value = [part.strip() for part in value.split(",") if part.strip()]
    names = value if isinstance(value, frozenset | set) else decode_json(value, list)
    if not names or any(name not in JSON_TYPE_NAMES for name in names):
        raise ValueError(f"expected a list of {', '.join(JSON_TYPE_NAMES)}, got {value!r}")
    return frozenset(str(name) for name in names)


def _severity(value: Any) -> Severity:
    return value if isinstance(value, Severity) else Severity.parse(value)


def _choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    return parse


@dataclass(frozen=True, slots=True)
class Check:
    """Field metadata: the parser every layer (file, environment, ``--set``) goes through, and what it accepts,
    in words, for the generated key table."""

    accepts: str
    parse: Callable[[Any], Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self.parse, handler(source))


def between(minimum: int, maximum: int) -> Check:
    return Check(f"integer {minimum}..{maximum}", _int(minimum, maximum))


def duration(maximum: float, *, zero: bool = False) -> Check:
    return Check(f"duration {'0' if zero else '> 0'} .. {_shown(maximum)}", _duration(maximum, zero=zero))


def number(maximum: float = math.inf, *, zero: bool = False) -> Check:
    top = "" if maximum == math.inf else f" .. {maximum:.0f}"
    return Check(f"number {'>= 0' if zero else '> 0'}{top}", _number(maximum, zero=zero))


def one_of(*options: str) -> Check:
    return Check(" | ".join(options), _choice(*options))


TEXT = Check("text", _text)
HTTP_URL = Check("http(s) URL", _url("http", "https"))
WS_URL = Check("ws(s) URL", _url("ws", "wss"))
URL_PATH = Check("path", url_path)
FLAG = Check("true | false", _bool)
ENV_NAME = Check("variable name", _env_name)
FILE = Check("file path", _file_path)
FOLDER = Check("folder path", _file_path)
PATH_MAP = Check("table path -> path", _path_map)
ROUTES = Check("table name -> path", _routes)
TIERS = Check("list of " + ", ".join(AUDIT_TIERS) + " or all", _tiers)
SEVERITY = Check(" | ".join(Severity), _severity)
URL_PATHS = Check("list of paths", _url_paths)
LISTEN = Check("host:port", _listen)
FRACTION = Check("number 0 .. 1", _fraction)
JSON_TYPES = Check("list of " + ", ".join(JSON_TYPE_NAMES), _json_types)
RATE = Check("number > 0, 0 = unlimited", _rate)
LEEWAY = Check("whole seconds 0 .. 1d", _whole_seconds)
RELATIVE = AfterValidator(_relative)
"""A file named in the config is relative to the config file's folder, so it works from any working directory."""
