"""The contracts: OpenAPI documents per tier and JSON Schemas for every file chatmigrate reads or writes.

They live in one folder (``contracts/`` in a checkout, ``chatmigrate/contracts/`` in a
wheel) that the reference server also serves, so schemathesis, the schema check and
users all read the same text. ``validate_response`` runs on every exchange: documents
are checked once when loaded (a broken one is a ``ConfigError`` before any request is
sent), and operation lookups and validators are built once and cached. How a document is read, checked
and indexed, and how a violation is explained, live in ``chatmigrate.openapi``.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from chatmigrate.errors import ConfigError
from chatmigrate.openapi.contract import OpenApiContract
from chatmigrate.openapi.documents import read_document, retrieve_file
from chatmigrate.openapi.explain import FORMATS, TOO_DEEP, describe

TIER_DOCUMENTS = {"legacy": "openapi-legacy.json", "jwt": "openapi-jwt.json", "proxy": "openapi-proxy.json"}
SCHEMAS_FOLDER = "schemas"

__all__ = [
    "SCHEMAS_FOLDER",
    "TIER_DOCUMENTS",
    "TOO_DEEP",
    "OpenApiContract",
    "ResponseCheck",
    "contracts_dir",
    "describe",
    "load_contract",
    "openapi_contract",
    "response_checker",
    "schema_validator",
    "schema_violations",
    "tier_contract",
    "validate_response",
]


def contracts_dir() -> Path:
    """Installed wheels carry the folder inside the package; a source checkout has it at the top."""
    packaged = Path(__file__).resolve().with_name("contracts")
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "contracts"


def load_contract(name: str) -> dict[str, Any]:
    """A contract file by its name under the contracts folder (``openapi-jwt``, ``schemas/message.json``)."""
    return copy.deepcopy(read_document(_contract_path(name)))


def _contract_path(name: str) -> Path:
    relative = name if name.endswith(".json") else f"{name}.json"
    root = contracts_dir()
    for candidate in (root / relative, root / SCHEMAS_FOLDER / relative):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no contract named {name!r} in {root}")


@functools.cache
def _schema_registry() -> Registry[Any]:
    folder = contracts_dir() / SCHEMAS_FOLDER
    resources = []
    for path in sorted(folder.glob("*.json")):
        schema = read_document(path)
        resources.append((schema.get("$id", path.resolve().as_uri()), DRAFT202012.create_resource(schema)))
    return Registry(retrieve=retrieve_file).with_resources(resources)  # type: ignore[call-arg]


@functools.cache
def schema_validator(name: str) -> Draft202012Validator:
    """Validator for a schema of the contracts folder, by file name with an optional pointer
    (``results``, ``corpus.json#/$defs/entry``); references between the schemas resolve offline."""
    file_name, _, pointer = name.partition("#")
    schema = read_document(_contract_path(f"{SCHEMAS_FOLDER}/{file_name}"))
    root = {"$ref": f"{schema['$id']}#{pointer}"} if pointer else schema
    return Draft202012Validator(root, registry=_schema_registry(), format_checker=FORMATS)


def schema_violations(name: str, document: Any) -> list[str]:
    """Readable violations of one of our own file schemas, deepest first: the deepest is closest to its cause."""
    errors = sorted(schema_validator(name).iter_errors(document), key=lambda error: -len(error.absolute_path))
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(top level)'}: {error.message}" for error in errors
    ]


@functools.cache
def tier_contract(tier: str) -> OpenApiContract:
    try:
        name = TIER_DOCUMENTS[tier]
    except KeyError:
        raise ConfigError(f"unknown tier {tier!r} (one of {', '.join(TIER_DOCUMENTS)})") from None
    return OpenApiContract.from_file(contracts_dir() / name)


@functools.cache
def openapi_contract(path: Path) -> OpenApiContract:
    """A user's own OpenAPI 3.x document (JSON or YAML); references to neighbouring files are followed.

    The whole document is checked now: paths, operations and responses are objects, every response
    schema is valid JSON Schema and every ``$ref`` reachable from one resolves."""
    return OpenApiContract.from_file(path)


def validate_response(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
    """Violations of ``body`` against the response schema its tier's built-in document declares
    (query string ignored). Raises nothing but ``ConfigError`` (an unknown tier), whatever the body."""
    return tier_contract(tier).violations(method, path, status, body)


ResponseCheck = Callable[[str, str, str, int, Any], list[str]]


def response_checker(documents: Mapping[str, Path]) -> ResponseCheck:
    """``validate_response`` with the user's own documents for some tiers (``{"jwt": Path("openapi.yaml")}``);
    they are loaded now so that a broken file stops the run before any request is sent."""
    unknown = sorted(set(documents) - set(TIER_DOCUMENTS))
    if unknown:
        raise ConfigError(f"unknown tier {unknown[0]!r} (one of {', '.join(TIER_DOCUMENTS)})")
    own = {tier: openapi_contract(Path(path)) for tier, path in documents.items()}

    def check(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
        source = own.get(tier) or tier_contract(tier)
        return source.violations(method, path, status, body)

    return check
