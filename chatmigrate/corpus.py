"""Replay corpora: the requests a parity run sends, read from YAML or JSONL, or generated from a live server.

Paths are canonical (legacy) ones; each target maps them. Every error names the
file, the line and the key, because a corpus is usually edited by hand.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl

import httpx
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from chatmigrate import auth as auth_mod
from chatmigrate.auth import SAFE_METHODS
from chatmigrate.chatlist import ITEM_ID_FIELDS, ROOM_ID_FIELDS, FoundList, ShapeError, describe, find_list
from chatmigrate.config import CHAT_PATH
from chatmigrate.contracts import schema_validator
from chatmigrate.errors import ConfigError, TransportError, UsageError
from chatmigrate.records import CorpusEntry

CORPUS_VERSION = 1
DEFAULT_CORPUS = "default-corpus.yaml"
REQUEST_TYPES = ("recent_messages", "purchases_list")
DEFAULT_LIST_QUERY = {"request_type": "chat_list"}
SCHEMA = "corpus"
PAGING_OFFSET = 10
PAGING_MIN_ITEMS = 4


def default_corpus_path() -> Path:
    """The corpus shipped for the embedded server (generated from its default seed)."""
    return Path(str(resources.files("chatmigrate").joinpath("data", DEFAULT_CORPUS)))


def load_corpus(path: Path | str | None = None) -> list[CorpusEntry]:
    """Entries of a ``.yaml``/``.yml``/``.json`` file or a ``.jsonl`` file; the shipped corpus when None."""
    path = Path(path) if path is not None else default_corpus_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read corpus: {error.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("corpus is not UTF-8 text", file=str(path)) from None
    if path.suffix == ".jsonl":
        return _from_jsonl(text, str(path))
    return _from_yaml(text, str(path))


# ---------------------------------------------------------------- YAML with line numbers


@dataclass(slots=True)
class _Located:
    """A parsed document plus its YAML node tree, so any key path maps back to a line."""

    file: str
    root: yaml.Node | None

    def line(self, path: Sequence[str | int]) -> int | None:
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if k.value == part), None)
                if match is None:
                    break
                line = match[0].start_mark.line + 1
                node = match[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def error(self, message: str, path: Sequence[str | int]) -> ConfigError:
        return ConfigError(message, file=self.file, line=self.line(path), key=_key_name(path))


def _key_name(path: Sequence[str | int]) -> str | None:
    if not path:
        return None
    return "".join(f"[{part}]" if isinstance(part, int) else (f".{part}" if i else part) for i, part in enumerate(path))


def _from_yaml(text: str, file: str) -> list[CorpusEntry]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"invalid YAML: {error.problem or error.context}", file=file, line=line) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"invalid YAML: {error}", file=file) from None
    finally:
        loader.dispose()
    located = _Located(file, root)
    if data is None:
        raise located.error("empty corpus: expected 'version: 1' and a list of 'entries'", [])
    problem = _schema_problem(_file_validator(), data)
    if problem is not None:
        raise located.error(*problem)
    items: list[dict[str, Any]] = data["entries"]
    entries = [_entry(item, _entry_fail(located, index)) for index, item in enumerate(items)]
    _check_unique(entries, lambda message, i: located.error(message, ["entries", i, "id"]))
    return entries


def _entry_fail(located: _Located, index: int) -> _Fail:
    def fail(message: str, key: Sequence[str | int]) -> ConfigError:
        return located.error(message, ["entries", index, *key])

    return fail


def _from_jsonl(text: str, file: str) -> list[CorpusEntry]:
    entries: list[CorpusEntry] = []
    lines: list[int] = []
    validator = _entry_validator()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise ConfigError(f"invalid JSON: {error.msg}", file=file, line=number) from None

        def fail(message: str, key: Sequence[str | int], number: int = number) -> ConfigError:
            return ConfigError(message, file=file, line=number, key=_key_name(key))

        problem = _schema_problem(validator, item)
        if problem is not None:
            raise fail(*problem)
        entries.append(_entry(item, fail))
        lines.append(number)
    _check_unique(entries, lambda message, i: ConfigError(message, file=file, line=lines[i], key="id"))
    return entries


# ---------------------------------------------------------------- entry validation


class _Fail(Protocol):
    """Builds the located error for one entry from a message and the key path inside the entry."""

    def __call__(self, message: str, key: Sequence[str | int]) -> ConfigError: ...


def _schema_problem(validator: Draft202012Validator, document: Any) -> tuple[str, list[str | int]] | None:
    """The most relevant violation of ``contracts/schemas/corpus.json`` and the key path it sits at."""
    error = best_match(validator.iter_errors(document))
    if error is None:
        return None
    path: list[str | int] = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [key for key in error.instance if key not in known]
        if extra:
            return f"unknown key; allowed: {', '.join(known)}", [*path, extra[0]]
    message = error.message if len(error.message) <= 200 else error.message[:200] + "…"
    return message, path


def _file_validator() -> Draft202012Validator:
    return schema_validator(SCHEMA)


def _entry_validator() -> Draft202012Validator:
    validator = schema_validator(SCHEMA)
    return validator.evolve(schema={**validator.schema, "$ref": "#/$defs/entry"})


def _entry(item: dict[str, Any], fail: _Fail) -> CorpusEntry:
    """A schema-valid entry as a record; only rules the schema cannot say are checked here."""
    method = str(item.get("method", "GET"))
    path = str(item.get("path", CHAT_PATH))
    if "?" in path:
        raise fail("path must not carry a query string: put parameters under 'query'", ["path"])
    return CorpusEntry(
        id=item["id"],
        method=method,
        path=path,
        query={str(name): str(value) for name, value in (item.get("query") or {}).items()},
        body=item.get("body"),
        tags=list(item.get("tags") or []),
        unsafe=item.get("unsafe", method not in SAFE_METHODS),
        principal=item.get("principal"),
    )


def _check_unique(entries: Sequence[CorpusEntry], fail: Any) -> None:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.id in seen:
            raise fail(f"duplicate id {entry.id!r}: ids must be unique", index)
        seen.add(entry.id)


# ---------------------------------------------------------------- writing and sharding


def entry_document(entry: CorpusEntry) -> dict[str, Any]:
    """The compact form: defaults left out so hand-edited corpora stay short."""
    document: dict[str, Any] = {"id": entry.id, "method": entry.method, "path": entry.path}
    if entry.query:
        document["query"] = {name: _plain(value) for name, value in entry.query.items()}
    if entry.body is not None:
        document["body"] = entry.body
    if entry.tags:
        document["tags"] = list(entry.tags)
    if entry.unsafe != (entry.method not in SAFE_METHODS):
        document["unsafe"] = entry.unsafe
    return document


def _plain(value: str) -> str | int:
    """Decimal text back to an integer where that round-trips exactly: ``chatroom_id: 7`` reads better."""
    return int(value) if value.lstrip("-").isdigit() and str(int(value)) == value else value


def dump_corpus(entries: Iterable[CorpusEntry], path: Path, *, comment: str | None = None) -> None:
    """YAML (with ``comment`` as a header line) unless the file name ends in ``.jsonl``."""
    documents = [entry_document(entry) for entry in entries]
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(document, ensure_ascii=False) + "\n" for document in documents)
    else:
        header = f"# {comment}\n" if comment else ""
        text = header + yaml.safe_dump(
            {"version": CORPUS_VERSION, "entries": documents},
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=None,
            width=110,
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write the corpus: {error.strerror or error}", file=str(path)) from None


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4): the CI-matrix notation, 1-based."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard expects K/N like 2/4, got {text!r}") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard expects 1 <= K <= N, got {text!r}")
    return k, n


def shard(entries: Iterable[CorpusEntry], k: int, n: int) -> list[CorpusEntry]:
    """Shard K of N by a stable hash of the id: the same entry lands in the same shard on every machine."""
    if not 1 <= k <= n:
        raise UsageError(f"shard {k}/{n}: expected 1 <= K <= N")
    return [entry for entry in entries if _bucket(entry.id, n) == k - 1]


def _bucket(entry_id: str, n: int) -> int:
    return int.from_bytes(hashlib.sha256(entry_id.encode()).digest()[:8], "big") % n


# ---------------------------------------------------------------- generation from a live server


@dataclass(frozen=True, slots=True)
class ChatListRequest:
    """How to ask a server for its chats, and where the answer keeps them; unset parts are found by shape."""

    query: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LIST_QUERY))
    key: str | None = None
    id_field: str | None = None


def parse_list_query(text: str) -> dict[str, str]:
    """``request_type=chat_list&page=1`` as a dict; an empty text asks with no parameters. ValueError if malformed."""
    return dict(parse_qsl(text.lstrip("?"), keep_blank_values=True, strict_parsing=bool(text.strip("?"))))


def generate_corpus(
    base_url: str,
    auth: auth_mod.AuthAdapter,
    *,
    path: str = CHAT_PATH,
    timeout: float = 10.0,
    chat_list: ChatListRequest | None = None,
) -> list[CorpusEntry]:
    """Every chatroom x request_type, paging, an unknown chatroom and bad parameters, from a live server."""
    listing = chat_list or ChatListRequest()
    return asyncio.run(_generate(base_url.rstrip("/"), auth, path, timeout, listing))


async def _generate(
    base_url: str, auth: auth_mod.AuthAdapter, path: str, timeout: float, listing: ChatListRequest
) -> list[CorpusEntry]:
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        try:
            await auth.prepare(client)
            fetch = _Fetcher(client, auth, base_url + path)
            chats = await fetch.chat_list(listing)
            rooms = sorted({int(value) for value in chats.ids() if str(value).isdigit()})
            if not rooms:
                raise UsageError(
                    f"{base_url + path} lists no chatroom with a whole-number '{chats.id_field}' "
                    f"in '{chats.key}': nothing to build a corpus from"
                )
            paging = {kind: await _paging_anchor(fetch, rooms, kind) for kind in REQUEST_TYPES}
        except httpx.TransportError as error:
            raise TransportError(f"cannot reach {base_url}: {type(error).__name__}: {error}") from None
    return build_entries(rooms, paging, path=CHAT_PATH, list_query=listing.query)


class _Fetcher:
    """GETs on the chat path that must answer 200 JSON; any other answer stops generation with what it was."""

    def __init__(self, client: httpx.AsyncClient, auth: auth_mod.AuthAdapter, url: str) -> None:
        self.client, self.auth, self.url = client, auth, url

    def asked(self, query: dict[str, str]) -> str:
        return f"GET {self.url}" + (f" ({', '.join(f'{k}={v}' for k, v in query.items())})" if query else "")

    async def __call__(self, query: dict[str, str]) -> Any:
        response = await auth_mod.send(
            self.client, self.auth, lambda: self.client.build_request("GET", self.url, params=query)
        )
        try:
            body = response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            where = f" to {response.headers['location']}" if "location" in response.headers else ""
            raise UsageError(
                f"{self.asked(query)} gave {response.status_code} {kind}{where}, not JSON; wrong path or auth?"
            ) from None
        if response.status_code != 200:
            raise UsageError(f"{self.asked(query)} gave {response.status_code} {describe(body)}; wrong path or auth?")
        return body

    async def chat_list(self, listing: ChatListRequest) -> FoundList:
        body = await self(listing.query)
        try:
            id_fields = (listing.id_field,) if listing.id_field else ROOM_ID_FIELDS
            return find_list(body, id_fields=id_fields, key=listing.key)
        except ShapeError as error:
            hint = "" if listing.key and listing.id_field else "; name it with --list-key and --id-field"
            raise UsageError(f"{self.asked(listing.query)} gave 200 {error}{hint}") from None


async def _paging_anchor(fetch: _Fetcher, rooms: list[int], kind: str) -> tuple[int, int] | None:
    """The first room with a few items and an id counted from its oldest end: later messages never move it.
    A room whose answer holds no list of objects with ids (an empty room) cannot anchor paging."""
    for room in rooms:
        body = await fetch({"request_type": kind, "chatroom_id": str(room), "limit": "200"})
        try:
            items = find_list(body, id_fields=ITEM_ID_FIELDS)
        except ShapeError:
            continue
        ids = sorted(int(value) for value in items.ids() if str(value).isdigit())
        if len(ids) >= PAGING_MIN_ITEMS:
            return room, ids[min(PAGING_OFFSET, len(ids) // 2)]
    return None


def build_entries(
    rooms: Sequence[int],
    paging: dict[str, tuple[int, int] | None],
    *,
    path: str = CHAT_PATH,
    list_query: dict[str, str] | None = None,
) -> list[CorpusEntry]:
    """The corpus layout, kept apart from the network so its shape is plain to read."""

    def entry(entry_id: str, tags: list[str], **query: str | int) -> CorpusEntry:
        return CorpusEntry(id=entry_id, path=path, query={k: str(v) for k, v in query.items()}, tags=tags)

    entries = [entry("chat-list", ["chat_list"], **(DEFAULT_LIST_QUERY if list_query is None else list_query))]
    for room in rooms:
        entries += [entry(f"room-{room}-{kind}", [kind], request_type=kind, chatroom_id=room) for kind in REQUEST_TYPES]
    for kind in REQUEST_TYPES:
        anchor = paging.get(kind)
        if anchor is None:
            continue
        room, before = anchor
        tags = [kind, "paging"]
        entries += [
            entry(f"room-{room}-{kind}-limit-5", tags, request_type=kind, chatroom_id=room, limit=5),
            entry(f"room-{room}-{kind}-before-{before}", tags, request_type=kind, chatroom_id=room, before=before),
            entry(
                f"room-{room}-{kind}-limit-3-before-{before}",
                tags,
                request_type=kind,
                chatroom_id=room,
                limit=3,
                before=before,
            ),
        ]
    unknown = max(rooms) + 1000
    first = rooms[0]
    entries += [
        entry(f"unknown-chatroom-{kind}", [kind, "not-found"], request_type=kind, chatroom_id=unknown)
        for kind in REQUEST_TYPES
    ]
    bad = ["bad-parameters"]
    entries += [
        entry("bad-missing-chatroom-id", bad, request_type="recent_messages"),
        entry("bad-chatroom-id-not-integer", bad, request_type="recent_messages", chatroom_id="abc"),
        entry("bad-unknown-request-type", bad, request_type="everything", chatroom_id=first),
        entry("bad-limit-zero", bad, request_type="recent_messages", chatroom_id=first, limit=0),
        entry("bad-limit-negative", bad, request_type="recent_messages", chatroom_id=first, limit=-5),
        entry("bad-before-not-integer", bad, request_type="recent_messages", chatroom_id=first, before="latest"),
    ]
    return entries
