"""What to leave out of a parity diff: learned noise and declared ignore rules.

Noise is learned, never hard-coded: every entry is sent twice to each side, and
whatever differs between two identical calls of the same side (a generation
time, a request id) cannot be compared across sides either. Learned paths are
normalised (``[3]`` and ``[id=17]`` become ``[*]``) so the entries of one
endpoint teach each other. Items that come and go in an id-matched list (a chat
message that arrived between the two calls) are the exception: on a server with
live traffic that happens anywhere, so it is learned for that entry alone and hides
only items coming and going in that list, never what is inside them. Declared rules
come on top, each with the reason a reviewer will read, and a ledger says how much
each one hid, so stale rules show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from chatmigrate.errors import ConfigError
from chatmigrate.jsondiff import Difference, DiffKind, ItemId, Segment, diff, format_path
from chatmigrate.records import NoisePath, RuleLedger

NOISE_EXAMPLES = 3
EXAMPLE_CHARS = 80
MAX_NOISE_PATHS_PER_ENDPOINT = 500

# A normalised path: object keys as themselves, every array position (index or id) as None.
_Key = tuple[str | None, ...]

_SHAPE_KINDS = frozenset({DiffKind.TYPE_CHANGED, DiffKind.KEY_ADDED, DiffKind.KEY_REMOVED})
_PRESENCE_KINDS = frozenset({DiffKind.KEY_ADDED, DiffKind.KEY_REMOVED})


def _normalise(segments: tuple[Segment, ...]) -> _Key:
    return tuple(part if isinstance(part, str) else None for part in segments)


def _item_list(difference: Difference) -> _Key | None:
    """The list an item was added to or removed from; None when the difference is not an item coming or going."""
    segments = difference.segments
    if difference.kind in _PRESENCE_KINDS and segments and not isinstance(segments[-1], str):
        return _normalise(segments[:-1])
    return None


def _key_path(key: _Key) -> str:
    return format_path((part if part is not None else 0 for part in key), wildcard=True)


@dataclass(slots=True)
class _Learned:
    kinds: set[DiffKind] = field(default_factory=set)
    """What this path hides on the whole endpoint; empty for a list whose items came and went (hidden per entry)."""
    examples: dict[str, list[str]] = field(default_factory=dict)


class NoiseModel:
    """Per-endpoint paths that vary between identical calls, learned before any cross-side comparison.

    A value that changed between two calls hides value changes there; a node whose
    type or presence changed hides everything at and below it; a length or order
    change hides only that. An item that came or went in an id-matched list hides,
    for its entry only, items coming and going in that list and its length.
    """

    def __init__(self) -> None:
        self._learned: dict[str, dict[_Key, _Learned]] = {}
        self._membership: dict[tuple[str, str], set[_Key]] = {}
        """(endpoint, entry) -> lists whose items came and went between that entry's two calls."""

    def learn(self, endpoint: str, side: str, first: Any, second: Any, *, entry: str) -> None:
        differences = diff(first, second)
        if not differences:
            return
        lists = {key for key in map(_item_list, differences) if key is not None}
        if lists:
            self._membership.setdefault((endpoint, entry), set()).update(lists)
        paths = self._learned.setdefault(endpoint, {})
        for difference in differences:
            key = _normalise(difference.segments)
            learned = paths.get(key)
            if learned is None:
                if len(paths) >= MAX_NOISE_PATHS_PER_ENDPOINT:
                    continue
                learned = paths[key] = _Learned()
            example = f"{_example(difference.old)} then {_example(difference.new)}"
            if _item_list(difference) is not None or (difference.kind is DiffKind.LENGTH_CHANGED and key in lists):
                example = f"in {entry}: {example}"
            else:
                learned.kinds.add(difference.kind)
            examples = learned.examples.setdefault(side, [])
            if len(examples) < NOISE_EXAMPLES:
                examples.append(example)

    def is_noise(self, endpoint: str, difference: Difference, *, entry: str) -> bool:
        key = _normalise(difference.segments)
        lists = self._membership.get((endpoint, entry))
        if lists and (key if difference.kind is DiffKind.LENGTH_CHANGED else _item_list(difference)) in lists:
            return True
        paths = self._learned.get(endpoint)
        if not paths:
            return False
        learned = paths.get(key)
        if learned is not None and (difference.kind in learned.kinds or learned.kinds & _SHAPE_KINDS):
            return True
        for end in range(len(key) - 1, -1, -1):
            ancestor = paths.get(key[:end])
            if ancestor is not None and ancestor.kinds & _SHAPE_KINDS:
                return True
        return False

    def paths(self) -> list[NoisePath]:
        return [
            NoisePath(endpoint=endpoint, path=_key_path(key), side=side, examples=list(examples))
            for endpoint, paths in sorted(self._learned.items())
            for key, learned in sorted(paths.items(), key=lambda item: _key_path(item[0]))
            for side, examples in sorted(learned.examples.items())
        ]


def _example(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


class RuleSpec(Protocol):
    """Anything shaped like an ignore rule (a config entry, say) can be turned into one."""

    @property
    def path(self) -> str: ...

    @property
    def reason(self) -> str: ...

    @property
    def endpoint(self) -> str | None: ...


# Compiled path tokens.
_DEEP = ("deep",)  # any number of segments, including none
_ANY = ("any",)  # exactly one segment of any kind

_PATH_TOKEN = re.compile(
    r"""\.\.                                      # recursive descent
      | \.(?P<name>[^.\[\]]+)                     # .name, .*, .na*me
      | \[\*\]                                    # [*]
      | \[(?P<index>\d+)\]                        # [3]
      | \[id=(?P<id>"(?:[^"\\]|\\.)*"|[^\]]+)\]   # [id=17], [id="17"]
      | \[(?P<quoted>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\]  # ['a key'], ["a key"]
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class DeclaredRule:
    """A declared path in bodies, with the reason a reviewer will read: JSON pointer (``/messages/*/timestamp``)
    or JSON path glob (``$.messages[*].timestamp``, ``$..generated_at``), optionally only on endpoints matching a
    glob (``GET /admin/chat/ [*]``). It covers the whole subtree below it."""

    label: ClassVar[str] = "rule"
    path: str
    reason: str
    endpoint: str | None = None
    _tokens: tuple[tuple[Any, ...], ...] = field(init=False, repr=False, compare=False)
    _endpoint: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise ConfigError(f"{self.label} {self.path!r} needs a non-empty reason", key="reason")
        if not isinstance(self.path, str) or not self.path.strip():
            raise ConfigError(f"{self.label} needs a non-empty path", key="path")
        if self.endpoint is not None and not self.endpoint.strip():
            raise ConfigError(f"{self.label} {self.path!r} has an empty endpoint", key="endpoint")
        object.__setattr__(self, "_tokens", _compile_path(self.path.strip(), self.label))
        object.__setattr__(self, "_endpoint", _glob(self.endpoint.strip()) if self.endpoint else None)

    def applies_to(self, endpoint: str) -> bool:
        return self._endpoint is None or self._endpoint.fullmatch(endpoint) is not None

    def matches(self, segments: tuple[Segment, ...]) -> bool:
        return _match(self._tokens, 0, segments, 0)


@dataclass(frozen=True, slots=True)
class IgnoreRule(DeclaredRule):
    """A declared path to leave out of body parity altogether."""

    label: ClassVar[str] = "ignore rule"


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, once non-ASCII is left as itself (TOML has no surrogate
    pairs) and DEL, which JSON leaves raw and TOML refuses, is escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def ignore_block(path: str, endpoint: str | None = None) -> str:
    """The ``[[ignore]]`` block that declares a path, ready to paste into chatmigrate.toml once its reason is given."""
    lines = ["[[ignore]]", f"path = {toml_string(path)}"]
    if endpoint:
        lines.append(f"endpoint = {toml_string(endpoint)}")
    lines.append('reason = ""')
    return "\n".join(lines) + "\n"


def _glob(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` only: endpoint keys contain literal brackets (``[recent_messages]``)."""
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."))


def _name_token(name: str) -> tuple[Any, ...]:
    if name == "*":
        return _ANY
    if "*" in name or "?" in name:
        return ("glob", _glob(name))
    return ("key", name)


def _compile_path(path: str, label: str) -> tuple[tuple[Any, ...], ...]:
    if path.startswith("/"):
        return tuple(_pointer_token(part) for part in path[1:].split("/"))
    if path.startswith("$"):
        return _jsonpath_tokens(path, label)
    raise ConfigError(f"{label} path {path!r} is neither a JSON pointer (/a/b) nor a JSON path ($.a.b)", key="path")


def _pointer_token(part: str) -> tuple[Any, ...]:
    if part == "**":
        return _DEEP
    name = part.replace("~1", "/").replace("~0", "~")
    if name.isdigit():
        return ("number", int(name), name)
    return _name_token(name)


def _jsonpath_tokens(path: str, label: str) -> tuple[tuple[Any, ...], ...]:
    tokens: list[tuple[Any, ...]] = []
    position = 1
    while position < len(path):
        match = _PATH_TOKEN.match(path, position)
        if match is None:
            raise ConfigError(f"{label} path {path!r}: cannot read {path[position:]!r}", key="path")
        position = match.end()
        if match.group(0) == "..":
            tokens.append(_DEEP)
            if path.startswith("[", position):
                continue
            name = re.match(r"[^.\[\]]+", path[position:])
            if name is None:
                raise ConfigError(f"{label} path {path!r}: '..' needs a name after it", key="path")
            tokens.append(_name_token(name.group(0)))
            position += name.end()
        elif match.group("name") is not None:
            tokens.append(_name_token(match.group("name")))
        elif match.group("index") is not None:
            tokens.append(("index", int(match.group("index"))))
        elif match.group("id") is not None:
            tokens.append(("id", _id_value(match.group("id"))))
        elif match.group("quoted") is not None:
            tokens.append(("key", _unquote(match.group("quoted"))))
        else:
            tokens.append(_ANY)
    return tuple(tokens)


def _id_value(text: str) -> int | str:
    text = text.strip()
    if text.startswith('"'):
        return str(json.loads(text))
    return int(text) if text.lstrip("-").isdigit() else text


def _unquote(text: str) -> str:
    if text.startswith('"'):
        return str(json.loads(text))
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _token_matches(token: tuple[Any, ...], segment: Segment) -> bool:
    kind = token[0]
    if kind == "any":
        return True
    if kind == "key":
        return segment == token[1] and isinstance(segment, str)
    if kind == "glob":
        return isinstance(segment, str) and token[1].fullmatch(segment) is not None
    if kind == "index":
        return type(segment) is int and segment == token[1]
    if kind == "id":
        return isinstance(segment, ItemId) and segment.value == token[1]
    # "number": a pointer segment of digits is an array index or an object key.
    return bool((type(segment) is int and segment == token[1]) or segment == token[2])


def _match(tokens: tuple[tuple[Any, ...], ...], ti: int, segments: tuple[Segment, ...], si: int) -> bool:
    """Prefix match: a rule that matches a node matches everything below it."""
    while ti < len(tokens):
        token = tokens[ti]
        if token is _DEEP:
            return any(_match(tokens, ti + 1, segments, start) for start in range(si, len(segments) + 1))
        if si == len(segments) or not _token_matches(token, segments[si]):
            return False
        ti += 1
        si += 1
    return True


class RuleBook:
    """Declared rules and how many differences each one matched (its ledger); specs become ignore rules."""

    def __init__(self, rules: Iterable[RuleSpec] = ()) -> None:
        self.rules: list[DeclaredRule] = [
            rule if isinstance(rule, DeclaredRule) else IgnoreRule(rule.path, rule.reason, rule.endpoint)
            for rule in rules
        ]
        self._counts = [0] * len(self.rules)
        self._by_endpoint: dict[str, list[int]] = {}

    def suppresses(self, endpoint: str, difference: Difference) -> bool:
        """Every matching rule is credited, so overlapping rules each show they are still needed."""
        indexes = self._by_endpoint.get(endpoint)
        if indexes is None:
            indexes = [i for i, rule in enumerate(self.rules) if rule.applies_to(endpoint)]
            self._by_endpoint[endpoint] = indexes
        hit = False
        for index in indexes:
            if self.rules[index].matches(difference.segments):
                self._counts[index] += 1
                hit = True
        return hit

    def ledger(self) -> list[RuleLedger]:
        return [
            RuleLedger(path=rule.path, reason=rule.reason, endpoint=rule.endpoint, suppressed=count)
            for rule, count in zip(self.rules, self._counts, strict=True)
        ]

    def unused(self) -> list[DeclaredRule]:
        return [rule for rule, count in zip(self.rules, self._counts, strict=True) if count == 0]
