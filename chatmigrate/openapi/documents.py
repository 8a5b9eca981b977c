"""Reading the JSON and YAML documents contracts are made of, and following references between files.

Each file is read and checked once (cached), and references are followed into neighbouring files only:
validating a body never touches the network.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from referencing import Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from chatmigrate.errors import ConfigError


@functools.cache
def read_document(path: Path) -> dict[str, Any]:
    """A JSON or YAML file as a JSON object; anything else is one ``ConfigError`` line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
        document = _from_yaml(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except FileNotFoundError as error:
        raise ConfigError("contract file not found", file=str(path)) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read contract: {error}", file=str(path)) from error
    except json.JSONDecodeError as error:
        raise ConfigError(f"not valid JSON: {error.msg}", file=str(path), line=error.lineno) from error
    except yaml.YAMLError as error:
        raise ConfigError(f"not valid YAML: {_one_line(str(error))}", file=str(path)) from error
    except RecursionError as error:
        raise ConfigError("nested too deeply to read", file=str(path)) from error
    except (TypeError, ValueError) as error:
        raise ConfigError(f"not a JSON document: {error}", file=str(path)) from error
    if not isinstance(document, dict):
        raise ConfigError("a contract must be a JSON object", file=str(path))
    return document


def _from_yaml(text: str) -> Any:
    """The JSON a YAML document denotes: unquoted ``200:`` keys become ``"200"``, dates become text."""
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def retrieve_file_contents(uri: str) -> Any:
    """Follow references into neighbouring files only: validating a body never touches the network."""
    parts = urlsplit(uri)
    if parts.scheme != "file":
        raise ValueError(f"{uri}: only local files are followed")
    return read_document(Path(unquote(parts.path)))


def retrieve_file(uri: str) -> Resource[Any]:
    try:
        contents = retrieve_file_contents(uri)
    except (ValueError, ConfigError) as error:
        raise NoSuchResource(uri) from error
    return Resource.from_contents(contents, default_specification=DRAFT202012)


def _one_line(text: str) -> str:
    return " ".join(text.split())
