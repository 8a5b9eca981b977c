"""The contracts: OpenAPI documents per tier and JSON Schemas for every file chatmigrate reads or writes.

They live in one folder (``contracts/`` in a checkout, ``chatmigrate/contracts/`` in a
wheel) that the reference server also serves, so schemathesis, the schema check and
users all read the same text. ``validate_response`` runs on every exchange: documents,
operation lookups and validators are built once and cached.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import jsonschema_rs
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from chatmigrate.errors import ConfigError
from chatmigrate.redact import redact

TIER_DOCUMENTS = {"legacy": "openapi-legacy.json", "jwt": "openapi-jwt.json", "proxy": "openapi-proxy.json"}
SCHEMAS_FOLDER = "schemas"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json\b")
_INDEX = re.compile(r"\[\d+\]")
_SHORT_REPR = 60


def contracts_dir() -> Path:
    """Installed wheels carry the folder inside the package; a source checkout has it at the top."""
    packaged = Path(__file__).resolve().with_name("contracts")
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "contracts"


def load_contract(name: str) -> dict[str, Any]:
    """A contract file by its name under the contracts folder (``openapi-jwt``, ``schemas/message.json``)."""
    return copy.deepcopy(_document(_contract_path(name)))


def _contract_path(name: str) -> Path:
    relative = name if name.endswith(".json") else f"{name}.json"
    root = contracts_dir()
    for candidate in (root / relative, root / SCHEMAS_FOLDER / relative):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no contract named {name!r} in {root}")


@functools.cache
def _document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except FileNotFoundError as error:
        raise ConfigError("contract file not found", file=str(path)) from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read contract: {error}", file=str(path)) from error
    except json.JSONDecodeError as error:
        raise ConfigError(f"not valid JSON: {error.msg}", file=str(path), line=error.lineno) from error
    except yaml.YAMLError as error:
        raise ConfigError(f"not valid YAML: {error}", file=str(path)) from error
    if not isinstance(document, dict):
        raise ConfigError("a contract must be a JSON object", file=str(path))
    return document


def _retrieve_file_contents(uri: str) -> Any:
    """Follow references into neighbouring files only: validating a body never touches the network."""
    parts = urlsplit(uri)
    if parts.scheme != "file":
        raise ValueError(f"{uri}: only local files are followed")
    return _document(Path(unquote(parts.path)))


def _retrieve_file(uri: str) -> Resource[Any]:
    try:
        contents = _retrieve_file_contents(uri)
    except (ValueError, ConfigError) as error:
        raise NoSuchResource(uri) from error
    return Resource.from_contents(contents, default_specification=DRAFT202012)


@functools.cache
def _schema_registry() -> Registry[Any]:
    folder = contracts_dir() / SCHEMAS_FOLDER
    resources = []
    for path in sorted(folder.glob("*.json")):
        schema = _document(path)
        resources.append((schema.get("$id", path.resolve().as_uri()), DRAFT202012.create_resource(schema)))
    return Registry(retrieve=_retrieve_file).with_resources(resources)  # type: ignore[call-arg]


@functools.cache
def schema_validator(name: str) -> Draft202012Validator:
    """Validator for a schema of the contracts folder, by file name with an optional pointer
    (``results``, ``corpus.json#/$defs/entry``); references between the schemas resolve offline."""
    file_name, _, pointer = name.partition("#")
    schema = _document(_contract_path(f"{SCHEMAS_FOLDER}/{file_name}"))
    root = {"$ref": f"{schema['$id']}#{pointer}"} if pointer else schema
    return Draft202012Validator(root, registry=_schema_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@dataclass(frozen=True, slots=True)
class _Operation:
    method: str
    template: str
    location: str


class _ResponseCheck:
    """The Rust validator answers the common, conformant case in microseconds; jsonschema explains failures.

    When the schema is a ``oneOf`` with a discriminator, a failing body is explained against the one
    branch its tag names, which is several times cheaper than evaluating every branch."""

    def __init__(
        self,
        location: str,
        registry: Registry[Any],
        fast_registry: jsonschema_rs.Registry | None,
        tag: str = "",
        branches: Mapping[str, str] | None = None,
    ) -> None:
        root = {"$ref": location}
        self._full = Draft202012Validator(root, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
        self._fast: jsonschema_rs.Validator | None = None
        if fast_registry is not None:
            with contextlib.suppress(ValueError, jsonschema_rs.ReferencingError):
                self._fast = jsonschema_rs.Draft202012Validator(
                    root, registry=fast_registry, retriever=_retrieve_file_contents, validate_formats=True
                )
        self._tag = tag
        self._branches = {value: _ResponseCheck(branch, registry, None) for value, branch in (branches or {}).items()}

    def violations(self, body: Any) -> list[str]:
        if self._fast is not None:
            with contextlib.suppress(ValueError, OverflowError):
                if self._fast.is_valid(body):
                    return []
        tag = body.get(self._tag) if isinstance(body, dict) else None
        branch = self._branches.get(tag) if isinstance(tag, str) else None
        found = branch.violations(body) if branch is not None else []
        return found or describe(self._full.iter_errors(body))


class OpenApiContract:
    """One OpenAPI 3.x document, indexed for response checks by method, concrete path and status."""

    def __init__(self, document: dict[str, Any], uri: str) -> None:
        self.uri = uri
        self._registry: Registry[Any] = Registry(retrieve=_retrieve_file).with_resource(  # type: ignore[call-arg]
            uri, DRAFT202012.create_resource(document)
        )
        self._fast_registry: jsonschema_rs.Registry | None = None
        with contextlib.suppress(ValueError, jsonschema_rs.ReferencingError):
            self._fast_registry = jsonschema_rs.Registry(
                [(uri, document)], draft=jsonschema_rs.Draft202012, retriever=_retrieve_file_contents
            )
        self._resolver = self._registry.resolver(base_uri=uri)
        self._exact: dict[tuple[str, str], _Operation] = {}
        self._templated: list[tuple[str, re.Pattern[str], _Operation]] = []
        self._checks: dict[tuple[_Operation, int], _ResponseCheck | None] = {}
        for template, item in (document.get("paths") or {}).items():
            for method in item if isinstance(item, dict) else ():
                if method.lower() not in _HTTP_METHODS:
                    continue
                operation = _Operation(method.upper(), template, f"{uri}#/paths/{_escape(template)}/{method}")
                if "{" in template:
                    pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
                    self._templated.append((method.upper(), pattern, operation))
                else:
                    self._exact[(method.upper(), template)] = operation

    @classmethod
    def from_file(cls, path: Path) -> OpenApiContract:
        resolved = path.resolve()
        document = _document(resolved)
        if not str(document.get("openapi", "")).startswith("3."):
            raise ConfigError("not an OpenAPI 3.x document (no 'openapi: 3.x' key)", file=str(path))
        return cls(document, resolved.as_uri())

    def operation(self, method: str, path: str) -> _Operation | None:
        method = method.upper()
        found = self._exact.get((method, path))
        if found is None:
            found = next((op for verb, pattern, op in self._templated if verb == method and pattern.match(path)), None)
        return found

    def violations(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Readable schema violations of a JSON body; empty when it conforms or nothing is declared."""
        operation = self.operation(method, _path_only(path))
        if operation is None:
            return []
        key = (operation, status)
        if key not in self._checks:
            location = self._schema_location(operation, status)
            self._checks[key] = self._response_check(location) if location else None
        check = self._checks[key]
        return [] if check is None else check.violations(body)

    def _response_check(self, location: str) -> _ResponseCheck:
        """The check for the schema at ``location``, with one sub-check per branch of a discriminated oneOf."""
        schema_at = self._follow(location) or location
        schema = self._resolver.lookup(schema_at).contents
        discriminator = schema.get("discriminator") if isinstance(schema, dict) and "oneOf" in schema else None
        mapping = discriminator.get("mapping") if isinstance(discriminator, dict) else None
        name = discriminator.get("propertyName") if isinstance(discriminator, dict) else None
        if isinstance(mapping, dict) and isinstance(name, str):
            branches = {str(value): urljoin(schema_at, str(ref)) for value, ref in mapping.items()}
            return _ResponseCheck(location, self._registry, self._fast_registry, name, branches)
        return _ResponseCheck(location, self._registry, self._fast_registry)

    def _schema_location(self, operation: _Operation, status: int) -> str | None:
        """Where the JSON schema of this response is declared, if anywhere (exact status, then 4XX, then default)."""
        responses = self._follow(f"{operation.location}/responses")
        if responses is None:
            return None
        codes = (str(status), f"{str(status)[0]}XX", "default")
        response = next((found for code in codes if (found := self._follow(f"{responses}/{code}"))), None)
        content = self._follow(f"{response}/content") if response else None
        if content is None:
            return None
        media = next((name for name in self._resolver.lookup(content).contents if _JSON_MEDIA.match(name)), None)
        schema = f"{content}/{_escape(media)}/schema" if media else None
        return schema if schema and self._follow(schema) else None

    def _follow(self, location: str) -> str | None:
        """Absolute location of the object at ``location`` after OpenAPI ``$ref`` indirections; None if absent.

        An absent key means "nothing declared"; a reference that leads nowhere is a broken contract."""
        seen: set[str] = set()
        while True:
            try:
                contents = self._resolver.lookup(location).contents
            except Unresolvable as error:
                if not seen:
                    return None
                raise ConfigError(f"unresolvable reference {location} in {self.uri}") from error
            ref = contents.get("$ref") if isinstance(contents, dict) else None
            if not isinstance(ref, str):
                return location
            if location in seen:
                raise ConfigError(f"circular reference at {location} in {self.uri}")
            seen.add(location)
            location = urljoin(location, ref)


def describe(errors: Iterable[ValidationError]) -> list[str]:
    """One redacted line per distinct problem; the same problem on many array items is one line with a count.

    Problems are told apart by path and message without the offending value, so ``'x' is not of type
    'integer'`` on every item collapses while two different missing properties stay two lines."""
    groups: dict[tuple[str, str, tuple[Any, ...]], list[ValidationError]] = {}
    for error in _leaves(errors):
        problem = error.message.removeprefix(repr(error.instance))
        key = (_INDEX.sub("[*]", error.json_path), problem, tuple(error.relative_schema_path))
        groups.setdefault(key, []).append(error)
    lines = []
    for (general_path, _, _), members in groups.items():
        first = members[0]
        line = f"{first.json_path}: {_message(first)}"
        if len(members) > 1:
            line += f" (and {len(members) - 1} more like it at {general_path})"
        lines.append(redact(line))
    return lines


def _leaves(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    """Descend into oneOf/anyOf so that a body that picked a branch is judged by that branch."""
    for error in errors:
        replacement = _branch_errors(error) if error.validator in ("oneOf", "anyOf") and error.context else None
        if replacement:
            yield from _leaves(replacement)
        else:
            yield error


def _branch_errors(error: ValidationError) -> list[ValidationError] | None:
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    discriminator = error.schema.get("discriminator") if isinstance(error.schema, dict) else None
    if isinstance(discriminator, dict) and isinstance(error.instance, dict):
        name = discriminator.get("propertyName", "")
        mapping = discriminator.get("mapping") or {}
        tag = error.instance.get(name)
        target = mapping.get(tag) if isinstance(tag, str) else None
        if target is None:
            expected = ", ".join(repr(key) for key in mapping)
            return [
                ValidationError(
                    f"{tag!r} is not one of {expected}",
                    validator="discriminator",
                    path=[*error.absolute_path, name],
                    instance=tag,
                    schema_path=["discriminator"],
                )
            ]
        options = error.validator_value if isinstance(error.validator_value, list) else []
        chosen = [
            index
            for index, option in enumerate(options)
            if isinstance(option, dict) and str(option.get("$ref", "")).endswith(target)
        ]
        return branches.get(chosen[0]) if chosen else None
    # Without a discriminator, the branch that got furthest into the body is the one the body meant.
    return max(branches.values(), key=lambda subs: (min(len(s.absolute_path) for s in subs), -len(subs)), default=None)


def _message(error: ValidationError) -> str:
    """jsonschema's message, with a huge instance repr replaced by a short summary."""
    text = error.message
    shown = repr(error.instance)
    if len(shown) > _SHORT_REPR and text.startswith(shown):
        text = _summary(error.instance) + text[len(shown) :]
    return text


def _summary(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:5]) + (", …" if len(value) > 5 else "")
        return f"object {{{keys}}}"
    if isinstance(value, list):
        return f"array of {len(value)} items"
    return repr(value)[:_SHORT_REPR] + "…"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _path_only(path: str) -> str:
    return urlsplit(path).path or "/"


@functools.cache
def tier_contract(tier: str) -> OpenApiContract:
    try:
        name = TIER_DOCUMENTS[tier]
    except KeyError:
        raise ConfigError(f"unknown tier {tier!r} (one of {', '.join(TIER_DOCUMENTS)})") from None
    return OpenApiContract.from_file(contracts_dir() / name)


@functools.cache
def openapi_contract(path: Path) -> OpenApiContract:
    """A user's own OpenAPI 3.x document (JSON or YAML); references to neighbouring files are followed."""
    return OpenApiContract.from_file(path)


def validate_response(tier: str, method: str, path: str, status: int, body: Any) -> list[str]:
    """Violations of ``body`` against the response schema its tier's built-in document declares
    (query string ignored)."""
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
