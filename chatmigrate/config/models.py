"""The config keys, each declared once: type and range (a ``Check``), default, meaning (the description),
and the command-line option that sets it. The environment variable is derived from the key's path.

These models are plain data at the bottom of the import graph: compare, noise, verdict and contracts read
them, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import model_validator
from pydantic.json_schema import SkipJsonSchema

from chatmigrate.config import values as v
from chatmigrate.config.audit import AuditConfig
from chatmigrate.config.principals import ANONYMOUS, Principal, check_principals
from chatmigrate.config.section import Section, internal, invalid, key
from chatmigrate.config.source import Source
from chatmigrate.errors import ConfigError
from chatmigrate.vocab import SAME_MEANING, SIDES, Severity, Tier, WsAuth

if TYPE_CHECKING:
    from chatmigrate.embedded import EmbeddedServer

AuthKind = Literal["session", "bearer", "token-endpoint", "mint"]
AUTH_KINDS: tuple[AuthKind, ...] = ("session", "bearer", "token-endpoint", "mint")
CHAT_PATH = "/admin/chat/"
MIB = 1024 * 1024
DEFAULT_NEW_PATH_MAP = {CHAT_PATH: "/api/v1/admin/chat/"}
DEFAULT_PROXY_ROUTES = {
    "recent_messages": "/api/chat-messages",
    "purchases_list": "/api/chat-purchases",
    "chat_list": "/api/chat-users",
}
CONTRACT_TIERS = {"legacy": Tier.OLD, "jwt": Tier.NEW, "proxy": Tier.PROXY}
SchemaCheck = Callable[[str, str, str, int, Any], list[str]]
"""(tier, method, path, status, body) -> readable violations; empty when conformant."""


class AuthConfig(Section):
    """`[targets.<side>.auth]`: how one target authenticates; which keys matter depends on `kind`."""

    kind: Annotated[AuthKind, v.one_of(*AUTH_KINDS)] = key(doc="`session`, `bearer`, `token-endpoint` or `mint`")
    username: Annotated[str, v.TEXT] | None = key(
        None, "session, token-endpoint, mint: who to log in as (mint: the `username` claim)"
    )
    password_env: Annotated[str, v.ENV_NAME] | None = key(
        None, "session, token-endpoint: the password, by reference (a variable's name)"
    )
    password_file: Annotated[Path, v.FILE, v.RELATIVE] | None = key(
        None, "session, token-endpoint: the password, by reference (a file)"
    )
    token_env: Annotated[str, v.ENV_NAME] | None = key(None, "bearer: a ready-made access token, by reference")
    token_file: Annotated[Path, v.FILE, v.RELATIVE] | None = key(None, "bearer: a ready-made access token, in a file")
    secret_env: Annotated[str, v.ENV_NAME] | None = key(None, "mint: the HS256 signing secret, by reference")
    secret_file: Annotated[Path, v.FILE, v.RELATIVE] | None = key(None, "mint: the HS256 signing secret, in a file")
    base_url: Annotated[str, v.HTTP_URL] | None = key(
        None,
        "session, token-endpoint: where the login or token endpoints live when not on the target itself "
        "(a proxy whose tokens come from the backend) [default: the target's]",
    )
    login_path: Annotated[str, v.URL_PATH] = key("/admin/login/", "session: Django's login page")
    token_path: Annotated[str, v.URL_PATH] = key(
        "/api/v1/auth/token/", "token-endpoint: `{username, password}` -> `{access, refresh}`"
    )
    refresh_path: Annotated[str, v.URL_PATH] = key(
        "/api/v1/auth/token/refresh/", "token-endpoint: `{refresh}` -> `{access}`"
    )
    refresh_margin: Annotated[float, v.duration(v.HOUR)] = key(
        30.0, "token-endpoint, mint: renew this long before `exp`"
    )
    user_id: Annotated[int, v.between(1, v.MAX_ID)] | None = key(None, "mint: `user_id` claim")
    email: Annotated[str, v.TEXT] | None = key(None, "mint: `email` claim")
    role: Annotated[str, v.TEXT] = key("admin", "mint: `role` claim")
    ttl: Annotated[float, v.duration(v.YEAR)] = key(900.0, "mint: lifetime of minted tokens")
    password: SkipJsonSchema[str | None] = internal(doc="the embedded server's own password, never read from a file")
    secret: SkipJsonSchema[str | None] = internal(doc="the embedded server's own signing key, never read from a file")

    @model_validator(mode="after")
    def _references(self) -> AuthConfig:
        needs: dict[str, list[tuple[str, ...]]] = {
            "session": [("username",), ("password_env", "password_file", "password")],
            "token-endpoint": [("username",), ("password_env", "password_file", "password")],
            "bearer": [("token_env", "token_file")],
            "mint": [("secret_env", "secret_file", "secret"), ("username",), ("user_id",)],
        }
        for group in needs[self.kind]:
            if all(getattr(self, name) is None for name in group):
                wanted = " or ".join(name for name in group if name not in ("password", "secret"))
                raise invalid(f"auth kind {self.kind!r} needs {wanted}", group[0])
        return self


class TargetConfig(Section):
    """`[targets.old]`, `[targets.new]`, `[targets.proxy]`: `old` (the legacy session-cookie API) and `new`
    (the JWT API) are required, `proxy` (the Next.js routes) is optional. The corpus holds canonical (legacy)
    paths; each target maps them to its own."""

    side: SkipJsonSchema[Tier] = internal(Tier.OLD, "the table's name")
    base_url: Annotated[str, v.HTTP_URL] = key(
        doc="`http(s)://host[:port][/prefix]`; credentials in the URL are refused (it is printed in reports)"
    )
    auth: AuthConfig = key(doc="the `[auth]` table below")
    path_map: Annotated[dict[str, str], v.PATH_MAP] = key(
        doc="canonical path prefix -> this target's prefix, longest match wins (new: "
        '`{"/admin/chat/" = "/api/v1/admin/chat/"}`)',
        factory=dict,
    )
    routes: Annotated[dict[str, str], v.ROUTES] = key(
        doc="for `/admin/chat/` GETs, `request_type` -> path, and the parameter is dropped; entries without a "
        "route are not sent here (proxy: `recent_messages`, `purchases_list`, `chat_list` to `/api/chat-*`)",
        factory=dict,
    )
    timeout: Annotated[float, v.duration(v.HOUR)] | None = key(None, "per-request timeout here [default: run.timeout]")
    embedded: SkipJsonSchema[bool] = internal(False, "the embedded reference server, whose database is throwaway")


class RunOptions(Section):
    """`[run]`: how the replay runs."""

    concurrency: Annotated[int, v.between(1, 1000)] = key(8, "requests in flight per target", cli="--concurrency")
    rate_limit: Annotated[float | None, v.RATE] = key(
        None, "requests per second across all targets; `0` means unlimited", cli="--rate-limit"
    )
    retries: Annotated[int, v.between(0, 100)] = key(
        2, "retries of transport failures only (refused, reset, timed out); never on an HTTP status", cli="--retries"
    )
    backoff: Annotated[float, v.duration(v.HOUR)] = key(0.2, "first retry delay, doubled each time")
    timeout: Annotated[float, v.duration(v.HOUR)] = key(
        10.0, "whole-request timeout (connect, send, read the body)", cli="--timeout"
    )
    repeats: Annotated[int, v.between(1, 100)] = key(
        2, "calls per entry and target; two learn noise, `1` disables noise learning", cli="--repeats"
    )
    max_body_bytes: Annotated[int, v.between(1024, 2**31)] = key(
        16 * MIB,
        "bytes of one response body, on the wire and after decompression; a larger body is recorded as `too-large` "
        "without being read (a finding), and at login it is exit 3",
    )
    corpus: Annotated[Path, v.FILE, v.RELATIVE] | None = key(
        None, "YAML or JSONL corpus [default: the shipped corpus]", cli="--corpus"
    )
    output_dir: Annotated[Path, v.FOLDER] = key(
        Path("results"), "results folder (`exchanges.jsonl`, `run.json`), relative to where you run", cli="--results"
    )


class NormaliseRule(Section):
    """`[[compare.normalise]]`: a same-meaning difference accepted at a path; the report offers the block."""

    kind: Annotated[str, v.one_of(*(kind.value for kind in SAME_MEANING))] = key(doc="which same-meaning kind")
    path: Annotated[str, v.TEXT] = key(doc="JSON pointer or JSON path, as in `[[ignore]]`")
    reason: Annotated[str, v.TEXT] = key(doc="why a client accepts both spellings; what a reviewer reads")
    endpoint: Annotated[str, v.TEXT] | None = key(None, "glob on the endpoint key")


class CompareOptions(Section):
    """`[compare]`: thresholds of the parity checks (see parity-checks.md)."""

    latency_limit: Annotated[float, v.number(1000)] = key(1.0, "regression when new p95 > old p95 x (1 + limit) ...")
    latency_floor_ms: Annotated[float, v.number(3_600_000, zero=True)] = key(
        50.0, "... and the difference exceeds this many ms ..."
    )
    latency_min_samples: Annotated[int, v.between(1, 1_000_000)] = key(5, "... with this many samples per side")
    evidence_chars: Annotated[int, v.between(100, 10_000_000)] = key(20_000, "characters of an HTML page kept")
    value_chars: Annotated[int, v.between(20, 1_000_000)] = key(500, "characters of an old/new value kept")
    max_paths_per_endpoint: Annotated[int, v.between(1, 1_000_000)] = key(
        100, "distinct findings per check, endpoint and side before the rest are counted together"
    )
    contracts: SkipJsonSchema[dict[str, Annotated[Path, v.FILE, v.RELATIVE]]] = internal(
        {}, "the user's own OpenAPI documents by tier, from `[contracts]`"
    )
    schema_check: SkipJsonSchema[SchemaCheck | None] = internal(doc="a caller's own check, not the contracts")
    seed_contract: SkipJsonSchema[bool] = internal(False, "tiers without their own document use the seed contract")
    normalise: list[NormaliseRule] = key(
        factory=list, doc="same-meaning differences accepted at a path (see parity-checks.md)"
    )


class IgnoreRule(Section):
    """`[[ignore]]`: a declared difference left out of the body comparison; the report shows its reason next
    to how many differences it suppressed. File only."""

    path: Annotated[str, v.TEXT] = key(
        doc="JSON pointer (`/messages/*/timestamp`) or JSON path (`$.messages[*].timestamp`, `$..generated_at`)"
    )
    reason: Annotated[str, v.TEXT] = key(doc="why this difference is acceptable")
    endpoint: Annotated[str, v.TEXT] | None = key(None, "glob on the endpoint key, e.g. `GET /admin/chat/ [*]`")


class GateLimits(Section):
    """What fails a run."""

    fail_on: Annotated[Severity, v.SEVERITY] = key(Severity.MEDIUM, "lowest severity that fails", cli="--fail-on")
    max_findings: Annotated[int, v.between(0, 1_000_000)] = key(0, "failing findings tolerated", cli="--max-findings")


class GateOptions(GateLimits):
    """`[gate]`: what fails a run."""

    baseline: Annotated[Path, v.FILE, v.RELATIVE] | None = key(
        None, "accepted findings (`chatmigrate baseline accept`); they do not fail the run", cli="--baseline"
    )

    @property
    def limits(self) -> GateLimits:
        return self


class WsOptions(Section):
    """`[ws]` (optional): WebSocket parity sends real chat messages, so it runs only against the embedded
    server or with `--allow-writes`."""

    url: Annotated[str, v.WS_URL] = key(doc="`ws(s)://host[:port]`; the socket is `/ws/cschat/P{playerId}Chat/`")
    auth: Annotated[WsAuth, v.one_of(*WsAuth)] = key(
        WsAuth.URL, "`url` (the `user_id` parameter is trusted) or `jwt` (a token as the first message)"
    )
    user_id: Annotated[int, v.between(0, v.MAX_ID)] | None = key(None, "staff user id [default: the new token's]")
    chatroom_id: Annotated[int, v.between(0, v.MAX_ID)] | None = key(None, "the room to write in; with player_id")
    player_id: Annotated[int, v.between(0, v.MAX_ID)] | None = key(None, "its player [default: the first chat]")
    send_path: Annotated[str, v.URL_PATH] = key("/api/v1/chat/send/", "the REST send endpoint on the new target")
    timeout: Annotated[float, v.duration(v.HOUR)] = key(5.0, "wait for an ack, a broadcast or `connected`")

    @model_validator(mode="after")
    def _room(self) -> WsOptions:
        if (self.chatroom_id is None) != (self.player_id is None):
            missing = "player_id" if self.player_id is None else "chatroom_id"
            raise invalid("give both chatroom_id and player_id, or neither", missing)
        return self


class ShadowConfig(Section):
    """`[shadow]` (optional): limits and filters of the shadow proxy, and new's credential per legacy user."""

    listen: Annotated[tuple[str, int], v.LISTEN] = key(
        ("127.0.0.1", 8480), "`host:port` the shadow listens on (loopback by default)", cli="--listen"
    )
    queue_size: Annotated[int, v.between(1, 1_000_000)] = key(
        1_000, "mirror jobs waiting at most; past it a mirror is dropped and counted, the request never waits"
    )
    max_queued_bytes: Annotated[int, v.between(1024, 2**34)] = key(
        64 * MIB, "bytes held by waiting mirror jobs at most: the mirror's hard memory bound"
    )
    max_body_bytes: Annotated[int, v.between(1024, 2**30)] = key(
        16 * MIB, "an answer is teed for comparison up to this size; a larger one is passed through, recorded as such"
    )
    workers: Annotated[int, v.between(1, 256)] = key(4, "mirror jobs in flight at once")
    sample_rate: Annotated[float, v.FRACTION] = key(
        1.0, "share of eligible requests mirrored, 0 to 1", cli="--sample-rate"
    )
    allow_paths: Annotated[tuple[str, ...], v.URL_PATHS] = key((), "path prefixes to mirror; empty: every path")
    deny_paths: Annotated[tuple[str, ...], v.URL_PATHS] = key((), "path prefixes never mirrored")
    mirror_writes: Annotated[bool, v.FLAG] = key(
        False, "mirror unsafe requests (POST, PUT, PATCH, DELETE) to new too; they never reach old twice"
    )
    timeout: Annotated[float, v.duration(v.HOUR)] = key(10.0, "per request to old (primary and mirror) and to new")
    drain_seconds: Annotated[float, v.duration(v.HOUR, zero=True)] = key(
        10.0, "on shutdown, how long queued mirrors may still finish before the final report"
    )
    report_every: Annotated[float, v.duration(v.DAY)] = key(
        30.0, "seconds between rewrites of run.json and the reports (also written on shutdown)"
    )
    relative_threshold: Annotated[float, v.number(100, zero=True)] = key(
        10.0, "an endpoint fails when at least this percentage of its compared requests differ ..."
    )
    absolute_threshold: Annotated[int, v.between(0, 1_000_000)] = key(5, "... and at least this many of them do")
    session_cookie: Annotated[str, v.TEXT] = key(
        "sessionid", "the legacy session cookie (Django's SESSION_COOKIE_NAME)"
    )
    login_path: Annotated[str, v.URL_PATH] = key("/admin/login/", "where a login is learned from")
    logout_path: Annotated[str, v.URL_PATH] = key("/admin/logout/", "where a logout makes the shadow forget a session")
    principals: dict[str, AuthConfig] = key(
        factory=dict,
        doc="`[shadow.principals.<username>]`: new's credential for that legacy user (any `auth` kind); a user "
        "without one is not mirrored",
    )


class Contracts(Section):
    """`[contracts]` (optional): what each tier's answers are checked against. A tier with neither its own
    document nor `seed` gets no schema check, only the checks any correct server passes. Each document is read
    before any request is sent."""

    seed: Annotated[bool, v.FLAG] = key(
        False, "hold tiers without their own document to the built-in seed contract (the reference server's)"
    )
    legacy: Annotated[Path, v.FILE, v.RELATIVE] | None = key(None, "checks the old target's responses")
    jwt: Annotated[Path, v.FILE, v.RELATIVE] | None = key(None, "checks the new target's responses")
    proxy: Annotated[Path, v.FILE, v.RELATIVE] | None = key(None, "checks the proxy target's responses")

    @property
    def documents(self) -> dict[str, Path]:
        return {tier: path for tier in CONTRACT_TIERS if (path := getattr(self, tier)) is not None}


class Config(Section):
    """The whole run configuration."""

    targets: dict[Tier, TargetConfig] = key(doc="`[targets.<side>]`")
    run: RunOptions = key(factory=RunOptions)
    compare: CompareOptions = key(factory=CompareOptions)
    ignore: list[IgnoreRule] = key(factory=list)
    gate: GateOptions = key(factory=GateOptions)
    ws: WsOptions | None = key(None)
    audit: AuditConfig = key(factory=AuditConfig)
    shadow: ShadowConfig = key(factory=ShadowConfig)
    contracts: Contracts = key(factory=Contracts)
    principals: dict[str, Principal] = key(factory=dict)
    source: SkipJsonSchema[str | None] = internal(doc="the file read, or what stood in for one")
    located: SkipJsonSchema[Source | None] = internal(doc="where each value came from, for errors found after loading")

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, raw: Any) -> Any:
        """Each target knows its side and gets its side's defaults; compare sees the contract documents."""
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        targets = raw.get("targets", {})
        if isinstance(targets, dict):
            for side in (Tier.OLD, Tier.NEW):
                if side not in targets:
                    raise invalid(f"target {side.value!r} is required", f"targets.{side.value}")
            ordered = sorted(targets, key=lambda side: SIDES.index(side) if side in SIDES else len(SIDES))
            raw["targets"] = {side: _target_defaults(side, targets[side]) for side in ordered}
        contracts, compare = raw.get("contracts"), raw.get("compare", {})
        if isinstance(contracts, dict) and isinstance(compare, dict):
            documents = {tier: path for tier, path in contracts.items() if tier != "seed"}
            seed = v.FLAG.parse(contracts["seed"]) if "seed" in contracts else False
            raw["compare"] = {**compare, "contracts": documents, "seed_contract": seed}
        return raw

    @model_validator(mode="after")
    def _principals(self) -> Config:
        check_principals(self.principals, [target.auth for target in self.targets.values()])
        return self

    @property
    def embedded_only(self) -> bool:
        """Writes are always allowed against the embedded server: its database is throwaway."""
        return all(target.embedded for target in self.targets.values())

    def error_at(self, key: tuple[str, ...], message: str) -> ConfigError:
        """An error about a loaded value that names its file and line, variable or flag, as loading would."""
        return (self.located or Source()).error(message, key)

    @classmethod
    def embedded(cls, server: EmbeddedServer, *, proxy: bool = True) -> Config:
        """The embedded reference server's tiers, logged in as the seeded ``admin``."""
        return cls(
            targets=embedded_targets(server.base_url, server.config.password, proxy=proxy),
            principals=embedded_principals(server.config.password),
            audit=AuditConfig.model_validate(EMBEDDED_POLICIES),
            ws=WsOptions(url=server.ws_url, auth=WsAuth(server.config.ws_auth)),
            compare=CompareOptions(latency_floor_ms=EMBEDDED_LATENCY_FLOOR_MS, seed_contract=True),
            contracts=Contracts(seed=True),
            source="embedded reference server",
        )


def _target_defaults(side: Any, table: Any) -> Any:
    if not isinstance(table, dict):
        return table
    defaults: dict[str, Any] = {"side": side}
    if side == Tier.NEW:
        defaults["path_map"] = dict(DEFAULT_NEW_PATH_MAP)
    if side == Tier.PROXY:
        defaults["routes"] = dict(DEFAULT_PROXY_ROUTES)
    return {**defaults, **table}


EMBEDDED_LATENCY_FLOOR_MS = 250.0
"""Old and new share one process and one machine with the runner when embedded: only a gross regression counts."""


EMBEDDED_POLICIES: dict[str, object] = {
    "login_throttle": True,
    "token_no_store": True,
    "blacklist_after_rotation": True,
    "ws_session_revocation": True,
}
"""What the reference server does beyond stock Django, declared, so that a flaw switching it off fails the audit."""


def embedded_principals(password: str) -> dict[str, Principal]:
    """The reference server's other seeded users, and nobody: each kind of principal a cutover is signed for."""
    users = {"support": "support", "viewer": "viewer", "deactivated": "former"}
    return {
        **{name: Principal(username=user, password=password) for name, user in users.items()},
        ANONYMOUS: Principal(anonymous=True),
    }


def embedded_targets(base_url: str, password: str, *, proxy: bool = True) -> dict[Tier, TargetConfig]:
    """Old = legacy session login, new and proxy = token endpoint, all as the seeded ``admin``."""
    session = AuthConfig(kind="session", username="admin", password=password)
    token = AuthConfig(kind="token-endpoint", username="admin", password=password)
    targets = {
        Tier.OLD: TargetConfig(side=Tier.OLD, base_url=base_url, auth=session, embedded=True),
        Tier.NEW: TargetConfig(
            side=Tier.NEW, base_url=base_url, auth=token, path_map=dict(DEFAULT_NEW_PATH_MAP), embedded=True
        ),
    }
    if proxy:
        targets[Tier.PROXY] = TargetConfig(
            side=Tier.PROXY, base_url=base_url, auth=token, routes=dict(DEFAULT_PROXY_ROUTES), embedded=True
        )
    return targets
