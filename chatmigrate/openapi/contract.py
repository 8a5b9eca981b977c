"""One OpenAPI 3.x document: loaded, checked whole (every response schema valid, every ``$ref`` resolving),
and indexed by method, concrete path and status for response checks.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from chatmigrate.errors import ConfigError
from chatmigrate.jsondiff import json_type
from chatmigrate.openapi.documents import read_document, retrieve_file, retrieve_file_contents
from chatmigrate.openapi.explain import FORMATS, BodyCheck, NoFastExplanation, message, short_repr

if TYPE_CHECKING:
    from referencing._core import Resolver

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]+\+)?json\b")
_META = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=FORMATS)
_SUBSCHEMA = ("additionalProperties", "items", "contains", "if", "then", "else", "not", "propertyNames")
_SUBSCHEMA_EXTRA = ("unevaluatedItems", "unevaluatedProperties", "contentSchema")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    template: str
    location: str


class OpenApiContract:
    """One OpenAPI 3.x document, checked when loaded and indexed for response checks by method,
    concrete path and status."""

    def __init__(self, document: dict[str, Any], uri: str) -> None:
        self.uri = uri
        self.registry: Registry[Any] = (
            Registry(retrieve=retrieve_file)  # type: ignore[call-arg]
            .with_resource(uri, DRAFT202012.create_resource(document))
            .crawl()
        )
        self._resolver = self.registry.resolver(base_uri=uri)
        self._neighbours: dict[str, Any] = {}
        self._exact: dict[tuple[str, str], Operation] = {}
        self._templated: list[tuple[str, re.Pattern[str], Operation]] = []
        self._schemas: dict[Operation, dict[str, str | None]] = {}
        self._discriminators: dict[str, tuple[str, dict[str, str]]] = {}
        self._checks: dict[str, BodyCheck] = {}
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
        document = read_document(resolved)
        if not str(document.get("openapi", "")).startswith("3."):
            raise ConfigError("not an OpenAPI 3.x document (no 'openapi: 3.x' key)", file=str(path))
        return cls(document, resolved.as_uri())

    def operation(self, method: str, path: str) -> Operation | None:
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
            check = self._checks[location] = BodyCheck(location, self, tag, branches)
        return check.violations(body)

    def keyword(self, location: str) -> tuple[dict[str, Any], Any]:
        """The schema a jsonschema-rs keyword location sits in, and the keyword's value there."""
        found = self._keywords.get(location)
        if found is None:
            parent, _, name = location.rpartition("/")
            try:
                schema = self._resolver.lookup(parent).contents
            except Unresolvable:
                raise NoFastExplanation from None
            if not isinstance(schema, dict) or name not in schema:
                raise NoFastExplanation
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
                found = Operation(method.upper(), template, self._mapping_at(_child(item_at, method)))
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
                self._neighbours[neighbour] = retrieve_file_contents(neighbour)
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
            raise _broken(where, f"not a valid JSON Schema (2020-12): {message(error)}")


def _check_patterns(schema: dict[str, Any], at: str) -> None:
    patterns = [(schema.get("pattern"), _child(at, "pattern"))]
    properties = schema.get("patternProperties")
    if isinstance(properties, dict):
        patterns += [(key, _child(at, "patternProperties", key)) for key in properties]
    for pattern, where in patterns:
        if isinstance(pattern, str) and not FORMATS.conforms(pattern, "regex"):
            raise _broken(where, f"not a valid JSON Schema (2020-12): {short_repr(pattern)} is not a 'regex'")


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
    """The JSON type with its article, for "must be an object, not an array"."""
    name = json_type(value)
    return name if value is None else f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _path_only(path: str) -> str:
    return urlsplit(path).path or "/"
