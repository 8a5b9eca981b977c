"""Judging a body against a response schema, and explaining a failing one in python-jsonschema's words.

jsonschema-rs judges every body; the explanation is one redacted line per distinct problem, with the branch
of a ``oneOf``/``anyOf`` the body meant, so a reviewer reads the cause and not a wall of alternatives.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry

from chatmigrate.redact import redact

_INDEX = re.compile(r"\[\d+\]")
_SHORT_REPR = 60
FORMATS = Draft202012Validator.FORMAT_CHECKER
_BRANCHING = (jsonschema_rs.ValidationErrorKind.OneOfNotValid, jsonschema_rs.ValidationErrorKind.AnyOf)
TOO_DEEP = "$: nested too deeply to check against the contract"
_UNKNOWN_TAG = -1


class SchemaSource(Protocol):
    """Where a response schema lives: its registries for both validators, and its keywords by location."""

    registry: Registry[Any]
    fast_registry: jsonschema_rs.Registry | None

    def keyword(self, location: str) -> tuple[dict[str, Any], Any]: ...


class NoFastExplanation(Exception):
    """jsonschema-rs reported a problem whose wording only python-jsonschema knows."""


class BodyCheck:
    """jsonschema-rs judges every body and explains the failing ones in python-jsonschema's words.

    python-jsonschema explains only what the Rust validator cannot read (lone surrogates, NaN,
    non-JSON values) or word (``not``, ``contains``, several valid ``oneOf`` branches...): it is
    5 to 25 times slower on a failing body. When the schema is a ``oneOf`` with a discriminator,
    a failing body is explained against the one branch its tag names."""

    def __init__(
        self,
        location: str,
        contract: SchemaSource,
        tag: str = "",
        branches: Mapping[str, str] | None = None,
    ) -> None:
        root = {"$ref": location}
        self._full = Draft202012Validator(root, registry=contract.registry, format_checker=FORMATS)
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
        self._branches = {value: BodyCheck(branch, contract) for value, branch in (branches or {}).items()}

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
            except (ValueError, OverflowError, RecursionError, NoFastExplanation):
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
        if kind.name == "format" and FORMATS.conforms(instance, value):
            raise NoFastExplanation
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
        raise NoFastExplanation
    return location


def _message_for(kind: Any, instance: Any, value: Any, schema: dict[str, Any]) -> str:
    """python-jsonschema's wording of each keyword's failure, so both explainers say the same line."""
    shown = short_repr(instance)
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
    raise NoFastExplanation


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
        raise NoFastExplanation from None
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


def describe(errors: Iterable[ValidationError]) -> list[str]:
    """One redacted line per distinct problem; the same problem on many array items is one line with a count.

    Problems are told apart by path and message without the offending value, so ``'x' is not of type
    'integer'`` on every item collapses while two different missing properties stay two lines."""
    return _lines(_leaves(errors))


def _lines(leaves: Iterable[ValidationError]) -> list[str]:
    groups: dict[tuple[str, str, tuple[Any, ...]], list[ValidationError]] = {}
    for error in leaves:
        problem = error.message.removeprefix(short_repr(error.instance))
        key = (_INDEX.sub("[*]", error.json_path), problem, tuple(error.relative_schema_path))
        groups.setdefault(key, []).append(error)
    lines = []
    for (general_path, _, _), members in groups.items():
        first = members[0]
        line = f"{first.json_path}: {message(first)}"
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
        f"{short_repr(tag)} is not one of {expected}",
        validator="discriminator",
        path=[*path, name],
        instance=tag,
        schema_path=["discriminator"],
    )


def message(error: ValidationError) -> str:
    """jsonschema's message, with a huge instance repr replaced by a short summary."""
    text = str(error.message)
    shown = short_repr(error.instance)
    if len(shown) > _SHORT_REPR and text.startswith(shown):
        text = _summary(error.instance) + text[len(shown) :]
    return text


def short_repr(value: Any) -> str:
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
