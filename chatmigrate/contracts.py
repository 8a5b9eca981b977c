"""The contracts: OpenAPI documents per tier and JSON Schemas for every file chatmigrate reads or writes.

They live in one folder (``contracts/`` in a checkout, ``chatmigrate/contracts/`` in a
wheel) that the reference server also serves, so schemathesis, the schema check and
users all read the same text. ``validate_response`` runs on every exchange: documents
are checked once when loaded (a broken one is a ``ConfigError`` before any request is
sent), and operation lookups and validators are built once and cached.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

import jsonschema_rs
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from chatmigrate.errors import ConfigError
from chatmigrate.redact import redact

if TYPE_CHECKING:
    from referencing._core import Resolver

TIER_DOCUMENTS = {"legacy": "openapi-legacy.json", "jwt": "openapi-jwt.json", "proxy": "openapi-proxy.json"}
SCHEMAS_FOLDER = "schemas"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json\b")
_INDEX = re.compile(r"\[\d+\]")
_SHORT_REPR = 60
_FORMATS = Draft202012Validator.FORMAT_CHECKER
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=_FORMATS)
_SUBSCHEMA = ("additionalProperties", "items", "contains", "if", "then", "else", "not", "propertyNames")
_SUBSCHEMA_EXTRA = ("unevaluatedItems", "unevaluatedProperties", "contentSchema")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")
_BRANCHING = (jsonschema_rs.ValidationErrorKind.OneOfNotValid, jsonschema_rs.ValidationErrorKind.AnyOf)
TOO_DEEP = "$: nested too deeply to check against the contract"
_UNKNOWN_TAG = -1


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
    return Draft202012Validator(root, registry=_schema_registry(), format_checker=_FORMATS)


def schema_violations(name: str, document: Any) -> list[str]:
    """Readable violations of one of our own file schemas, deepest first: the deepest is closest to its cause."""
    errors = sorted(schema_validator(name).iter_errors(document), key=lambda error: -len(error.absolute_path))
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(top level)'}: {error.message}" for error in errors
    ]


@dataclass(frozen=True, slots=True)
class _Operation:
    method: str
    template: str
    location: str


class _NoFastExplanation(Exception):
    """jsonschema-rs reported a problem whose wording only python-jsonschema knows."""


class _ResponseCheck:
    """jsonschema-rs judges every body and explains the failing ones in python-jsonschema's words.

    python-jsonschema explains only what the Rust validator cannot read (lone surrogates, NaN,
    non-JSON values) or word (``not``, ``contains``, several valid ``oneOf`` branches...): it is
    5 to 25 times slower on a failing body. When the schema is a ``oneOf`` with a discriminator,
    a failing body is explained against the one branch its tag names."""

    def __init__(
        self,
        location: str,
        contract: OpenApiContract,
        tag: str = "",
        branches: Mapping[str, str] | None = None,
    ) -> None:
        root = {"$ref": location}
        self._full = Draft202012Validator(root, registry=contract.registry, format_checker=_FORMATS)
        self._fast: jsonschema_rs.Validator | None = None
        self._keyword = contract.keyword
        if contract.fast_registry is not None:
            try:
                self._fast = jsonschema_rs.Draft202012Validator(
                    root, registry=contract.fast_registry, validate_formats=True
                )
            except (ValueError, jsonschema_rs.ReferencingError):
                self._fast = None
        self._tag = tag
        self._branches = {value: _ResponseCheck(branch, contract) for value, branch in (branches or {}).items()}

    def violations(self, body: Any) -> list[str]:
        try:
            if self._fast is not None and self._fast.is_valid(body):
                return []
        except (ValueError, OverflowError, RecursionError):
            pass  # a body jsonschema-rs cannot read: python-jsonschema judges it
        tag = body.get(self._tag) if self._tag and isinstance(body, dict) else None
        branch = self._branches.get(tag) if isinstance(tag, str) else None
        return (branch.violations(body) if branch is not None else []) or self._explain(body)

    def _explain(self, body: Any) -> list[str]:
        if self._fast is not None and not _has_non_finite(body):
            try:
                return _lines(self._fast_leaves(self._fast.iter_errors(body), body))
            except (ValueError, OverflowError, RecursionError, _NoFastExplanation):
                pass
        try:
            return describe(self._full.iter_errors(body))
        except RecursionError:
            return [TOO_DEEP]
        except (ValueError, TypeError, ArithmeticError) as error:
            return [f"$: holds a value the schema check cannot handle ({type(error).__name__})"]

    def _fast_leaves(self, errors: Iterable[jsonschema_rs.ValidationError], body: Any) -> Iterator[ValidationError]:
        """``_leaves`` for jsonschema-rs errors: the branch is chosen before any error is converted."""
        for error in errors:
            kind = error.kind
            if isinstance(kind, _BRANCHING) and any(kind.context):
                schema, options = self._keyword(_keyword_location(error))
                path = tuple(error.instance_path)
                instance = _value_at(body, path)
                branches = {index: subs for index, subs in enumerate(kind.context) if subs}
                depths = {index: [len(sub.instance_path) for sub in subs] for index, subs in branches.items()}
                chosen = _chosen_branch(schema, options, instance, depths)
                if chosen == _UNKNOWN_TAG:
                    yield _unknown_tag(schema, instance, path)
                    continue
                if chosen is not None and chosen in branches:
                    yield from self._fast_leaves(branches[chosen], body)
                    continue
            yield self._explained(error, body)

    def _explained(self, error: jsonschema_rs.ValidationError, body: Any) -> ValidationError:
        """The python-jsonschema error for a jsonschema-rs one: same message and path.

        Its schema path is the whole evaluation path, which groups repeated problems as well as
        python-jsonschema's path relative to the branch does."""
        kind = error.kind
        schema, value = self._keyword(_keyword_location(error))
        path = tuple(error.instance_path)
        instance = _value_at(body, path)
        if kind.name == "format" and _FORMATS.conforms(instance, value):
            raise _NoFastExplanation
        return ValidationError(
            _message_for(kind, instance, value, schema),
            validator=kind.name,
            path=path,
            schema_path=tuple(error.evaluation_path),
            instance=instance,
            validator_value=value,
            schema=schema,
        )


def _keyword_location(error: jsonschema_rs.ValidationError) -> str:
    location = error.absolute_keyword_location
    if location is None or location.rpartition("/")[2] != error.kind.name:
        raise _NoFastExplanation
    return location


def _message_for(kind: Any, instance: Any, value: Any, schema: dict[str, Any]) -> str:
    """python-jsonschema's wording of each keyword's failure, so both explainers say the same line."""
    shown = _repr(instance)
    match kind.name:
        case "type":
            expected = [value] if isinstance(value, str) else value
            return f"{shown} is not of type {', '.join(repr(each) for each in expected)}"
        case "required":
            return f"{kind.property!r} is a required property"
        case "additionalProperties":
            return _extras_message(sorted(kind.unexpected, key=str), schema)
        case "oneOf" | "anyOf" if isinstance(kind, _BRANCHING):
            return f"{shown} is not valid under any of the given schemas"
        case "enum":
            return f"{shown} is not one of {value!r}"
        case "const":
            return f"{value!r} was expected"
        case "minimum":
            return f"{shown} is less than the minimum of {value!r}"
        case "maximum":
            return f"{shown} is greater than the maximum of {value!r}"
        case "exclusiveMinimum":
            return f"{shown} is less than or equal to the minimum of {value!r}"
        case "exclusiveMaximum":
            return f"{shown} is greater than or equal to the maximum of {value!r}"
        case "multipleOf":
            return f"{shown} is not a multiple of {value}"
        case "uniqueItems":
            return f"{shown} has non-unique elements"
        case "pattern":
            return f"{shown} does not match {value!r}"
        case "format":
            return f"{shown} is not a {value!r}"
        case "minLength" | "minItems":
            return f"{shown} {'should be non-empty' if value == 1 else 'is too short'}"
        case "maxLength" | "maxItems":
            return f"{shown} {'is expected to be empty' if value == 0 else 'is too long'}"
        case "minProperties":
            return f"{shown} {'should be non-empty' if value == 1 else 'does not have enough properties'}"
        case "maxProperties":
            return f"{shown} {'is expected to be empty' if value == 0 else 'has too many properties'}"
    raise _NoFastExplanation


def _extras_message(extras: list[Any], schema: dict[str, Any]) -> str:
    if "patternProperties" in schema:
        verb = "does" if len(extras) == 1 else "do"
        joined = ", ".join(repr(each) for each in sorted(extras))
        patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
        return f"{joined} {verb} not match any of the regexes: {patterns}"
    verb = "was" if len(extras) == 1 else "were"
    return f"Additional properties are not allowed ({', '.join(repr(each) for each in extras)} {verb} unexpected)"


def _value_at(body: Any, path: tuple[Any, ...]) -> Any:
    """The body's own value at a jsonschema-rs instance path (its copy turns NaN into null)."""
    try:
        for step in path:
            body = body[step]
    except (LookupError, TypeError):
        raise _NoFastExplanation from None
    return body


def _has_non_finite(body: Any) -> bool:
    """NaN and the infinities, which jsonschema-rs reads as null; walked without recursion."""
    pending = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
    return False


class OpenApiContract:
    """One OpenAPI 3.x document, checked when loaded and indexed for response checks by method,
    concrete path and status."""

    def __init__(self, document: dict[str, Any], uri: str) -> None:
        self.uri = uri
        self.registry: Registry[Any] = (
            Registry(retrieve=_retrieve_file)  # type: ignore[call-arg]
            .with_resource(uri, DRAFT202012.create_resource(document))
            .crawl()
        )
        self._resolver = self.registry.resolver(base_uri=uri)
        self._neighbours: dict[str, Any] = {}
        self._exact: dict[tuple[str, str], _Operation] = {}
        self._templated: list[tuple[str, re.Pattern[str], _Operation]] = []
        self._schemas: dict[_Operation, dict[str, str | None]] = {}
        self._discriminators: dict[str, tuple[str, dict[str, str]]] = {}
        self._checks: dict[str, _ResponseCheck] = {}
        self._keywords: dict[str, tuple[dict[str, Any], Any]] = {}
        self._walked: set[int] = set()
        self._index(document)
        self.fast_registry: jsonschema_rs.Registry | None = None
        try:
            self.fast_registry = jsonschema_rs.Registry(
                [(uri, document), *self._neighbours.items()], draft=jsonschema_rs.Draft202012
            )
        except (ValueError, jsonschema_rs.ReferencingError):
            self.fast_registry = None

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
        declared = self._schemas[operation]
        code = next((code for code in (str(status), f"{str(status)[0]}XX", "default") if code in declared), None)
        location = declared[code] if code is not None else None
        if location is None:
            return []
        check = self._checks.get(location)
        if check is None:
            tag, branches = self._discriminators.get(location, ("", {}))
            check = self._checks[location] = _ResponseCheck(location, self, tag, branches)
        return check.violations(body)

    def keyword(self, location: str) -> tuple[dict[str, Any], Any]:
        """The schema a jsonschema-rs keyword location sits in, and the keyword's value there."""
        found = self._keywords.get(location)
        if found is None:
            parent, _, name = location.rpartition("/")
            try:
                schema = self._resolver.lookup(parent).contents
            except Unresolvable:
                raise _NoFastExplanation from None
            if not isinstance(schema, dict) or name not in schema:
                raise _NoFastExplanation
            found = self._keywords[location] = (schema, schema[name])
        return found

    # Loading: every path, operation and response schema is checked before any body is -----------------

    def _index(self, document: dict[str, Any]) -> None:
        paths = document.get("paths", {})
        root = f"{self.uri}#"
        if not isinstance(paths, dict):
            raise _broken(_child(root, "paths"), f"must be an object of paths, not {_kind(paths)}")
        for template in paths:
            item_at = self._mapping_at(_child(root, "paths", template))
            for method in self._lookup(item_at):
                if method.lower() not in _HTTP_METHODS:
                    continue
                found = _Operation(method.upper(), template, self._mapping_at(_child(item_at, method)))
                self._schemas[found] = self._response_schemas(found.location)
                if "{" in template:
                    pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
                    self._templated.append((found.method, pattern, found))
                else:
                    self._exact[(found.method, template)] = found

    def _response_schemas(self, operation_at: str) -> dict[str, str | None]:
        """Status (``200``, ``4XX``, ``default``) to the location of its JSON schema (None: not JSON)."""
        if "responses" not in self._lookup(operation_at):
            return {}
        responses_at = self._mapping_at(_child(operation_at, "responses"))
        schemas: dict[str, str | None] = {}
        for code in self._lookup(responses_at):
            response_at = self._mapping_at(_child(responses_at, code))
            schemas[code] = self._json_schema(response_at)
        return schemas

    def _json_schema(self, response_at: str) -> str | None:
        if "content" not in self._lookup(response_at):
            return None
        content_at = self._mapping_at(_child(response_at, "content"))
        json_media = None
        for media in self._lookup(content_at):
            media_at = self._mapping_at(_child(content_at, media))
            if json_media is None and _JSON_MEDIA.match(media):
                json_media = media_at
        if json_media is None or "schema" not in self._lookup(json_media):
            return None
        schema_at = _child(json_media, "schema")
        self._check_schemas(schema_at)
        self._note_discriminator(schema_at)
        return schema_at

    def _note_discriminator(self, schema_at: str) -> None:
        """The branches (tag to location) of a response schema that is a ``oneOf`` with a discriminator mapping.

        A mapping value is a reference or, as OpenAPI allows, the name of a schema under components."""
        at = self._resolved_at(schema_at)
        schema = self._lookup(at)
        discriminator = schema.get("discriminator") if isinstance(schema, dict) and "oneOf" in schema else None
        mapping = discriminator.get("mapping") if isinstance(discriminator, dict) else None
        name = discriminator.get("propertyName") if isinstance(discriminator, dict) else None
        if not isinstance(mapping, dict) or not isinstance(name, str):
            return
        branches = {}
        for tag, target in mapping.items():
            ref = str(target) if "/" in str(target) or "#" in str(target) else f"#/components/schemas/{target}"
            written_at = _child(at, "discriminator", "mapping", tag)
            branch_at = self._resolved_at(_target(at, ref), written_at, str(target))
            self._check_schemas(branch_at)
            branches[str(tag)] = branch_at
        self._discriminators[schema_at] = (name, branches)

    def _check_schemas(self, location: str) -> None:
        """Every schema reachable from ``location`` is valid JSON Schema and every ``$ref`` in it resolves.

        Walked without recursion; each schema object of the document is visited once, so reference
        cycles end and the schemas many responses share are checked once."""
        start = self._resolver.lookup(location)
        if id(start.contents) in self._walked:
            return
        self._check_meta(start.contents, location)
        pending: list[tuple[Any, str, Resolver[Any]]] = [(start.contents, location, start.resolver)]
        while pending:
            schema, at, resolver = pending.pop()
            if not isinstance(schema, dict) or id(schema) in self._walked:
                continue
            self._walked.add(id(schema))
            _check_patterns(schema, at)
            resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
            ref = schema.get("$ref")
            if isinstance(ref, str):
                target, target_resolver = self._follow_ref(ref, _child(at, "$ref"), resolver)
                if isinstance(target, dict) and id(target) not in self._walked:
                    target_at = _target(at, ref)
                    self._check_meta(target, target_at)
                    pending.append((target, target_at, target_resolver))
            pending.extend((sub, sub_at, resolver) for sub, sub_at in _subschemas(schema, at))

    def _follow_ref(self, ref: str, at: str, resolver: Resolver[Any]) -> tuple[Any, Resolver[Any]]:
        try:
            resolved = resolver.lookup(ref)
        except Unresolvable as error:
            raise _leads_nowhere(at, ref, error) from None
        self._note_neighbour(urljoin(at, ref))
        return resolved.contents, resolved.resolver

    def _note_neighbour(self, location: str) -> None:
        """jsonschema-rs does not fetch files while validating: every file a reference leads to is handed to it.

        A file it cannot be handed (a reference resolved through an ``$id``) leaves that check to jsonschema."""
        neighbour = urldefrag(location).url
        if neighbour != self.uri and neighbour not in self._neighbours:
            try:
                self._neighbours[neighbour] = _retrieve_file_contents(neighbour)
            except (ValueError, ConfigError):
                return

    def _mapping_at(self, location: str) -> str:
        """``location`` after OpenAPI ``$ref`` indirections; what it leads to must be an object."""
        location = self._resolved_at(location)
        contents = self._lookup(location)
        if not isinstance(contents, dict):
            raise _broken(location, f"must be an object, not {_kind(contents)}")
        return location

    def _resolved_at(self, location: str, written_at: str = "", ref: str = "") -> str:
        """``location`` after its ``$ref`` indirections (``location`` itself was written as ``ref`` at
        ``written_at``, if given)."""
        seen: set[str] = set()
        while True:
            try:
                contents = self._lookup(location)
            except Unresolvable as error:
                raise _leads_nowhere(written_at or location, ref, error) from None
            self._note_neighbour(location)
            following = contents.get("$ref") if isinstance(contents, dict) else None
            if not isinstance(following, str):
                return location
            if location in seen:
                raise _broken(location, "circular $ref")
            seen.add(location)
            written_at, ref = _child(location, "$ref"), following
            location = _target(location, ref)

    def _lookup(self, location: str) -> Any:
        return self._resolver.lookup(location).contents

    @staticmethod
    def _check_meta(schema: Any, location: str) -> None:
        """Against the 2020-12 metaschema: jsonschema-rs answers, jsonschema words a refusal.

        jsonschema-rs does not check that patterns are regular expressions; ``_check_patterns``
        compiles them with Python's ``re``, which the python-jsonschema fallback uses."""
        try:
            if jsonschema_rs.meta.is_valid(schema):
                return
        except ValueError:
            pass  # text jsonschema-rs cannot read (a lone surrogate): jsonschema judges it
        try:
            error = best_match(_META.iter_errors(schema))
        except RecursionError:
            raise _broken(location, "nested too deeply to check") from None
        if error is not None:
            where = functools.reduce(_child, error.absolute_path, location)
            raise _broken(where, f"not a valid JSON Schema (2020-12): {_message(error)}")


def _check_patterns(schema: dict[str, Any], at: str) -> None:
    patterns = [(schema.get("pattern"), _child(at, "pattern"))]
    properties = schema.get("patternProperties")
    if isinstance(properties, dict):
        patterns += [(key, _child(at, "patternProperties", key)) for key in properties]
    for pattern, where in patterns:
        if isinstance(pattern, str) and not _FORMATS.conforms(pattern, "regex"):
            raise _broken(where, f"not a valid JSON Schema (2020-12): {_repr(pattern)} is not a 'regex'")


def _subschemas(schema: dict[str, Any], at: str) -> Iterator[tuple[Any, str]]:
    for keyword in (*_SUBSCHEMA, *_SUBSCHEMA_EXTRA):
        if keyword in schema:
            yield schema[keyword], _child(at, keyword)
    for keyword in _SUBSCHEMA_LISTS:
        if isinstance(schema.get(keyword), list):
            yield from ((sub, _child(at, keyword, index)) for index, sub in enumerate(schema[keyword]))
    for keyword in _SUBSCHEMA_MAPS:
        if isinstance(schema.get(keyword), dict):
            yield from ((sub, _child(at, keyword, name)) for name, sub in schema[keyword].items())


def _child(location: str, *tokens: Any) -> str:
    """A location one JSON-pointer step (or more) further; tokens are escaped and percent-encoded, which both
    validators read back (jsonschema-rs refuses a raw ``{`` of a path template)."""
    return location + "".join("/" + quote(_escape(str(token)), safe="") for token in tokens)


def _target(location: str, ref: str) -> str:
    """Where ``ref``, written at ``location``, leads: always with a fragment, so that pointers can be appended."""
    joined = urljoin(location, ref)
    return joined if "#" in joined else f"{joined}#"


def _broken(location: str, problem: str) -> ConfigError:
    """One line naming the document and the JSON pointer of the bad spot."""
    document, _, pointer = location.partition("#")
    parts = urlsplit(document)
    file = unquote(parts.path) if parts.scheme == "file" else document
    return ConfigError(f"#{unquote(pointer)}: {problem}", file=file)


def _leads_nowhere(at: str, ref: str, error: Unresolvable) -> ConfigError:
    """A broken reference, with the reason a neighbouring file could not be read when there is one."""
    reason = next((cause for cause in _causes(error) if isinstance(cause, ConfigError)), None)
    return _broken(at, f"{ref!r} leads nowhere" + (f" ({reason})" if reason else ""))


def _causes(error: BaseException) -> Iterator[BaseException]:
    cause = error.__cause__ or error.__context__
    while cause is not None:
        yield cause
        cause = cause.__cause__ or cause.__context__


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else f"a {type(value).__name__}"


def describe(errors: Iterable[ValidationError]) -> list[str]:
    """One redacted line per distinct problem; the same problem on many array items is one line with a count.

    Problems are told apart by path and message without the offending value, so ``'x' is not of type
    'integer'`` on every item collapses while two different missing properties stay two lines."""
    return _lines(_leaves(errors))


def _lines(leaves: Iterable[ValidationError]) -> list[str]:
    groups: dict[tuple[str, str, tuple[Any, ...]], list[ValidationError]] = {}
    for error in leaves:
        problem = error.message.removeprefix(_repr(error.instance))
        key = (_INDEX.sub("[*]", error.json_path), problem, tuple(error.relative_schema_path))
        groups.setdefault(key, []).append(error)
    lines = []
    for (general_path, _, _), members in groups.items():
        first = members[0]
        line = f"{first.json_path}: {_message(first)}"
        if len(members) > 1:
            line += f" (and {len(members) - 1} more like it at {general_path})"
        lines.append(redact(_printable(line)))
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
    depths = {index: [len(sub.absolute_path) for sub in subs] for index, subs in branches.items()}
    chosen = _chosen_branch(error.schema, error.validator_value, error.instance, depths)
    if chosen == _UNKNOWN_TAG:
        return [_unknown_tag(error.schema, error.instance, tuple(error.absolute_path))]
    return branches.get(chosen) if chosen is not None else None


def _chosen_branch(schema: Any, options: Any, instance: Any, depths: Mapping[int, list[int]]) -> int | None:
    """The branch of a failed ``oneOf``/``anyOf`` the body meant: the one its discriminator's tag names
    (``_UNKNOWN_TAG`` when the tag names none), else the one whose errors lie deepest in the body.

    ``depths`` holds, per failing branch, how deep in the body each of its errors lies."""
    discriminator = schema.get("discriminator") if isinstance(schema, dict) else None
    if isinstance(discriminator, dict) and isinstance(instance, dict):
        mapping = discriminator.get("mapping") or {}
        tag = instance.get(discriminator.get("propertyName", ""))
        target = mapping.get(tag) if isinstance(tag, str) and isinstance(mapping, dict) else None
        if target is None:
            return _UNKNOWN_TAG
        chosen = [
            index
            for index, option in enumerate(options if isinstance(options, list) else ())
            if isinstance(option, dict) and str(option.get("$ref", "")).endswith(str(target))
        ]
        return chosen[0] if chosen else None
    return max(depths, key=lambda index: (min(depths[index]), -len(depths[index])), default=None)


def _unknown_tag(schema: dict[str, Any], instance: dict[str, Any], path: tuple[Any, ...]) -> ValidationError:
    discriminator = schema["discriminator"]
    name = discriminator.get("propertyName", "")
    tag = instance.get(name)
    expected = ", ".join(repr(key) for key in discriminator.get("mapping") or {})
    return ValidationError(
        f"{_repr(tag)} is not one of {expected}",
        validator="discriminator",
        path=[*path, name],
        instance=tag,
        schema_path=["discriminator"],
    )


def _message(error: ValidationError) -> str:
    """jsonschema's message, with a huge instance repr replaced by a short summary."""
    text = str(error.message)
    shown = _repr(error.instance)
    if len(shown) > _SHORT_REPR and text.startswith(shown):
        text = _summary(error.instance) + text[len(shown) :]
    return text


def _repr(value: Any) -> str:
    """``repr``, or the summary of a value too deep or too long (over 4300 digits) for one."""
    try:
        return repr(value)
    except (RecursionError, ValueError):
        return _summary(value)


def _summary(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(_printable(str(key)) for key in list(value)[:5]) + (", …" if len(value) > 5 else "")
        return f"object {{{keys}}}"
    if isinstance(value, list):
        return f"array of {len(value)} items"
    try:
        return repr(value)[:_SHORT_REPR] + "…"
    except (RecursionError, ValueError):
        return f"{type(value).__name__} too large to show"


def _printable(text: str) -> str:
    """Control characters and lone surrogates of a body escaped: a line stays one line of valid UTF-8."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


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
