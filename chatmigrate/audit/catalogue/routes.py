"""Object and route level: another user's rooms, path and verb variants of every operation, CORS.

These probes send requests a safe API refuses (or answers without data) however the path or the
verb is spelled; the inspectors judge what the pass rule's fixed statuses cannot (a 307 to the
canonical path, a 404 for a case-folded path and a bare OPTIONS answer are all safe).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import EVIL_ORIGIN, NO_FORBIDDEN, NO_SESSION, NO_TOKEN, preflight
from chatmigrate.audit.catalogue.inspection import never_data
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Concern, Expect, HttpObservation, HttpProbe, Inspector, NotApplicable
from chatmigrate.vocab import FindingKind, Severity, Tier

cases = Cases(Group.OPERATIONS)
REQUEST_TYPES = ("recent_messages", "purchases_list", "chat_list")
FOREIGN_ROOMS = 2


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _room_ids(body: Any) -> list[int]:
    chats = body.get("chats") if isinstance(body, dict) else None
    if not isinstance(chats, list):
        return []
    return [chat["chatroom_id"] for chat in chats if isinstance(chat, dict) and type(chat.get("chatroom_id")) is int]


def _probe(
    label: str,
    url: str,
    inspect: Inspector,
    *,
    method: str = "GET",
    headers: tuple[tuple[str, str], ...] = (),
    token: str | None = None,
) -> HttpProbe:
    """A probe judged by its inspector alone: the safe answers here are more than one fixed status."""
    return HttpProbe(
        label=label, method=method, url=url, expect=Expect.INSPECTED, headers=headers, token=token, inspect=inspect
    )


def _room_url(ctx: AuditContext, tier: Tier, request_type: str, room: int) -> str:
    url = ctx.chat_url(tier, request_type)
    return url.replace(f"chatroom_id={ctx.chatroom_id}", f"chatroom_id={room}")


def _object_refused(markers: tuple[str, ...]) -> Inspector:
    """Another principal's room: 403 and 404 are both safe (hiding that it exists is fine), data is not."""

    def inspect(seen: HttpObservation) -> list[Concern]:
        status = seen.status or 0
        if 200 <= status < 300:
            return [(Severity.CRITICAL, FindingKind.DATA_RETURNED, f"another user's room served, status {status}")]
        return never_data(markers)(seen)

    return inspect


@cases.case(
    id="op-bola-foreign-room",
    tiers=JWT_TIERS,
    description="a non-staff token reading rooms that are not its own (BOLA)",
    sends="the non-staff principal's own valid token; recent_messages and purchases_list of rooms its chat_list "
    "does not list",
    expects="403 or 404, never the room's data; not applicable where the API refuses non-staff users outright",
    tags=(std.WSTG_IDOR, std.API_BOLA, std.CWE_USER_CONTROLLED_KEY, std.CWE_AUTHORIZATION),
)
async def _bola(ctx: AuditContext, tier: Tier) -> Built:
    if ctx.forbidden_token is None:
        return NO_FORBIDDEN
    if ctx.token is None:
        return NO_TOKEN
    status, own_list = await preflight(ctx, ctx.chat_url(tier, "chat_list"), bearer(ctx.forbidden_token))
    if status != 200:
        return NotApplicable(
            f"the API refuses the non-staff principal outright (chat_list answered {status}): it has no rooms of "
            "its own to step outside of"
        )
    _status, every = await preflight(ctx, ctx.chat_url(tier, "chat_list"), bearer(ctx.token))
    own = set(_room_ids(own_list))
    foreign = [room for room in _room_ids(every) if room not in own][:FOREIGN_ROOMS]
    if not foreign:
        return NotApplicable("the non-staff principal's chat_list lists every room the staff principal sees")
    return [
        _probe(
            f"non-staff, {request_type} of room {room}",
            _room_url(ctx, tier, request_type, room),
            _object_refused(ctx.markers),
            headers=(("Authorization", f"Bearer {ctx.forbidden_token}"),),
            token=ctx.forbidden_token,
        )
        for room in foreign
        for request_type in REQUEST_TYPES[:2]
    ]


def _operation_paths(ctx: AuditContext, tier: Tier) -> list[str]:
    if tier is Tier.PROXY:
        return [ctx.chat_url(tier, request_type) for request_type in REQUEST_TYPES]
    return [ctx.chat_url(tier)]


def _path_variants(url: str) -> list[tuple[str, str]]:
    parts = urlsplit(url)
    path = parts.path
    last = path.rstrip("/").rsplit("/", 1)[-1]
    encoded = path.replace(last, f"%{ord(last[0]):02X}{last[1:]}", 1)
    variants = [
        ("trailing slash toggled", path.rstrip("/") if path.endswith("/") else f"{path}/"),
        ("upper case", path.upper()),
        ("double slash", f"/{path}"),
        ("inner double slash", path.replace("/", "//", 2).replace("//", "/", 1)),
        ("percent-encoded", encoded),
    ]
    return [(label, urlunsplit(parts._replace(path=variant))) for label, variant in variants]


@cases.case(
    id="op-route-path-variants",
    tiers=JWT_TIERS,
    description="path variants of every operation, without a token",
    sends="each operation's path with the trailing slash toggled, upper-cased, with '//', percent-encoded; "
    "no Authorization",
    expects="anything but data: a 401, a 404 or a redirect to the canonical path",
    tags=(std.WSTG_AUTHZ_BYPASS, std.API_MISCONFIGURATION, std.CWE_PATH_EQUIVALENCE, std.CWE_ALTERNATE_PATH),
)
async def _path_variants_case(ctx: AuditContext, tier: Tier) -> Built:
    inspect = never_data(ctx.markers)
    return [
        _probe(f"{urlsplit(url).path} {label}", variant, inspect)
        for url in _operation_paths(ctx, tier)
        for label, variant in _path_variants(url)
    ]


OVERRIDE_HEADERS = ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override")


@cases.case(
    id="op-route-verb-variants",
    tiers=JWT_TIERS,
    description="verb variants of every operation, without a token",
    sends="HEAD, OPTIONS, and POST with X-HTTP-Method-Override / X-HTTP-Method / X-Method-Override: GET; "
    "no Authorization",
    expects="never data; HEAD never a 2xx (a refusal on GET must be one on HEAD)",
    tags=(std.WSTG_HTTP_METHODS, std.API_MISCONFIGURATION, std.CWE_HTTP_METHODS, std.CWE_ALTERNATE_PATH),
)
async def _verb_variants(ctx: AuditContext, tier: Tier) -> Built:
    probes = []
    for url in _operation_paths(ctx, tier):
        path = urlsplit(url).path
        probes.append(_probe(f"HEAD {path}", url, never_data(ctx.markers, success=Severity.MEDIUM), method="HEAD"))
        probes.append(_probe(f"OPTIONS {path}", url, never_data(ctx.markers), method="OPTIONS"))
        probes.extend(
            _probe(
                f"POST {path} {header}: GET", url, never_data(ctx.markers), method="POST", headers=((header, "GET"),)
            )
            for header in OVERRIDE_HEADERS
        )
    return probes


def _cors(origin: str) -> Inspector:
    def inspect(seen: HttpObservation) -> list[Concern]:
        allowed = seen.header("access-control-allow-origin")
        credentials = (seen.header("access-control-allow-credentials") or "").strip().lower() == "true"
        if allowed == origin and credentials:
            return [
                (
                    Severity.HIGH,
                    FindingKind.CORS_CREDENTIALS,
                    f"the foreign Origin {origin} is reflected with Access-Control-Allow-Credentials: true: "
                    "any site may read answers made with the user's credentials",
                )
            ]
        return []

    return inspect


@cases.case(
    id="op-cors-credentialed-origin",
    tiers=(Tier.OLD, *JWT_TIERS),
    description="a foreign Origin on an authenticated request",
    sends="Origin: https://evil.example with the genuine credential (session cookie on old, bearer token on new)",
    expects="the Origin not reflected together with Access-Control-Allow-Credentials: true",
    tags=(std.WSTG_CORS, std.API_MISCONFIGURATION, std.CWE_PERMISSIVE_CORS, std.CWE_ORIGIN_VALIDATION),
)
async def _cors_case(ctx: AuditContext, tier: Tier) -> Built:
    origin = (("Origin", EVIL_ORIGIN),)
    if tier is Tier.OLD:
        if ctx.session is None:
            return NO_SESSION
        cookie = (("Cookie", f"sessionid={ctx.session.sessionid}"),)
        return [_probe("session + foreign Origin", ctx.chat_url(tier), _cors(EVIL_ORIGIN), headers=(*cookie, *origin))]
    if ctx.token is None:
        return NO_TOKEN
    headers = (("Authorization", f"Bearer {ctx.token}"), *origin)
    return [_probe("bearer + foreign Origin", ctx.chat_url(tier), _cors(EVIL_ORIGIN), headers=headers, token=ctx.token)]
