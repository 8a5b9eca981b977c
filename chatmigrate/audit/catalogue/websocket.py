"""WebSocket: the chat socket's handshake, Origin policy and first-message auth."""

from __future__ import annotations

import time
from urllib.parse import quote

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import Built, Cases, Group
from chatmigrate.audit.catalogue.common import EVIL_ORIGIN, NO_FORBIDDEN, altered
from chatmigrate.audit.catalogue.sockets import auth_message, jwt_mode, valid_first, ws_probe, ws_ready, ws_timeout
from chatmigrate.audit.context import AuditContext, user_id_of
from chatmigrate.audit.probe import Expect, NotApplicable, Probe
from chatmigrate.vocab import Severity, Tier, WsAuth

cases = Cases(Group.WEBSOCKET)


@cases.case(
    id="ws-no-user-id",
    tiers=(Tier.WS,),
    description="the chat socket without a user_id",
    sends="url mode: no user_id; jwt mode: no user_id and no auth message",
    expects=Expect.WS_REFUSED,
    tags=(std.WSTG_WEBSOCKETS, std.API_BROKEN_AUTH, std.CWE_MISSING_AUTHENTICATION),
    ref="catalogue #55",
)
async def _ws_no_user(ctx: AuditContext, tier: Tier) -> Built:
    missing = ws_ready(ctx)
    if missing:
        return missing
    wait = ws_timeout(ctx) if ctx.ws_auth is WsAuth.JWT else 1.5
    return [ws_probe("no user_id", ctx.ws_url(query=""), wait=wait)]


@cases.case(
    id="ws-impersonate-url",
    tiers=(Tier.WS,),
    description="naming another user in the URL",
    sends="url mode: user_id of the admin with no credential; jwt mode: tokens that do not match the URL's user_id",
    expects="url mode: reported as impersonation (known-legacy, see docs/audit.md); jwt mode: refused",
    tags=(std.WSTG_WEBSOCKETS, std.WSTG_IDOR, std.API_BROKEN_AUTH, std.CWE_USER_CONTROLLED_KEY, std.CWE_SPOOFING),
    ref="catalogue #56",
)
async def _ws_impersonate(ctx: AuditContext, tier: Tier) -> Built:
    missing = ws_ready(ctx)
    if missing:
        return missing
    if ctx.ws_auth is WsAuth.URL:
        return [ws_probe("admin user_id, no credential", ctx.ws_url(), Expect.WS_URL_TRUSTED)]
    assert ctx.token is not None
    probes: list[Probe] = [ws_probe("admin user_id, no credential", ctx.ws_url(), wait=ws_timeout(ctx))]
    if ctx.forbidden_token is not None:
        probes.append(
            ws_probe(
                "non-staff token, admin user_id",
                ctx.ws_url(),
                first=auth_message(ctx.forbidden_token),
                token=ctx.forbidden_token,
            )
        )
    other = await _other_staff_id(ctx)
    if other is not None:
        probes.append(
            ws_probe(
                "admin token, another admin's user_id",
                ctx.ws_url(f"user_id={other}"),
                first=auth_message(ctx.token),
                token=ctx.token,
                breach=Severity.HIGH,
            )
        )
    return probes


async def _other_staff_id(ctx: AuditContext) -> int | None:
    spare = ctx.target.spare_principal
    if spare is None or ctx.target.token_url is None:
        return None
    token = await ctx.once("spare-token", lambda: ctx.obtain_token(spare, "SPARE_TOKEN"))
    value = user_id_of(token)
    return value if value != ctx.user_id else None


@cases.case(
    id="ws-non-staff-principal",
    tiers=(Tier.WS,),
    description="a valid user who is not staff opening the chat socket as themselves",
    sends="the non-staff principal's own credential: url mode, its user_id; jwt mode, its user_id and its own "
    "genuine token as the auth message",
    expects=Expect.WS_REFUSED,
    tags=(std.RFC6455_CLIENT_AUTH, std.WSTG_WEBSOCKETS, std.WSTG_AUTHZ_BYPASS, std.API_BFLA, std.CWE_AUTHORIZATION),
)
async def _ws_non_staff(ctx: AuditContext, tier: Tier) -> Built:
    """The socket's counterpart of claim-non-staff-role: a genuine login is not a right to the staff chat."""
    missing = ws_ready(ctx)
    if missing:
        return missing
    if ctx.target.forbidden_principal is None:
        return NO_FORBIDDEN
    if ctx.forbidden_token is None or ctx.forbidden_user_id is None:
        return NotApplicable("the non-staff principal's token and user id are unknown (needs the token endpoint)")
    url = ctx.ws_url(f"user_id={ctx.forbidden_user_id}")
    if ctx.ws_auth is WsAuth.URL:
        return [ws_probe("non-staff user_id", url)]
    return [
        ws_probe(
            "non-staff token, own user_id", url, first=auth_message(ctx.forbidden_token), token=ctx.forbidden_token
        )
    ]


@cases.case(
    id="ws-origin-foreign",
    tiers=(Tier.WS,),
    description="valid credentials from a foreign browser Origin",
    sends="Origin: https://evil.example, and the site's origin as a prefix of a foreign host",
    expects=Expect.WS_REFUSED,
    tags=(std.RFC6455_ORIGIN, std.WSTG_WEBSOCKETS, std.CWE_WEBSOCKET_ORIGIN, std.CWE_ORIGIN_VALIDATION),
    ref="catalogue #57",
)
async def _ws_origin_foreign(ctx: AuditContext, tier: Tier) -> Built:
    missing = ws_ready(ctx)
    if missing:
        return missing
    lookalike = f"{ctx.origin}.evil.example"
    return [
        ws_probe(origin, ctx.ws_url(), origin=origin, first=valid_first(ctx), token=ctx.token, breach=Severity.HIGH)
        for origin in (EVIL_ORIGIN, lookalike)
    ]


@cases.case(
    id="ws-origin-null-or-absent",
    tiers=(Tier.WS,),
    description="Origin: null, no Origin, and the site's own origin",
    sends="valid credentials with Origin null / without Origin / with the site's origin",
    expects="documented: null refused; absent (non-browser client) and own origin connect",
    tags=(std.RFC6455_ORIGIN, std.WSTG_WEBSOCKETS, std.CWE_WEBSOCKET_ORIGIN, std.CWE_ORIGIN_VALIDATION),
    ref="catalogue #58",
)
async def _ws_origin_null(ctx: AuditContext, tier: Tier) -> Built:
    missing = ws_ready(ctx)
    if missing:
        return missing
    first = valid_first(ctx)
    return [
        ws_probe("Origin null", ctx.ws_url(), origin="null", first=first, token=ctx.token, breach=Severity.HIGH),
        ws_probe("no Origin", ctx.ws_url(), Expect.WS_ACCEPTED, first=first, token=ctx.token),
        ws_probe("own origin", ctx.ws_url(), Expect.WS_ACCEPTED, origin=ctx.origin, first=first, token=ctx.token),
    ]


@cases.case(
    id="ws-jwt-invalid-token",
    tiers=(Tier.WS,),
    description="an invalid, expired or alg-none token in the first message",
    sends="{type: auth, token: <bad signature | expired | alg none>}",
    expects=Expect.WS_REFUSED,
    tags=(std.WSTG_WEBSOCKETS, std.WSTG_JWT, std.API_BROKEN_AUTH, std.CWE_SIGNATURE, std.CWE_SESSION_EXPIRATION),
    ref="catalogue #59",
)
async def _ws_invalid_token(ctx: AuditContext, tier: Tier) -> Built:
    missing = jwt_mode(ctx)
    if missing:
        return missing
    forge = ctx.require_forge()
    forged = [
        ("bad signature", altered(ctx)),
        ("alg none", forge.make("alg none, empty signature", header={"alg": "none", "typ": "JWT"})),
    ]
    if forge.secret is not None:
        now = int(time.time())
        forged.append(("expired", forge.real(claims=forge.with_claims(exp=now - 3600, iat=now - 7200))))
    return [
        ws_probe(label, ctx.ws_url(), first=auth_message(item.token), token=item.token, note=item.note)
        for label, item in forged
    ]


@cases.case(
    id="ws-jwt-malformed-first-message",
    tiers=(Tier.WS,),
    description="a malformed first message, or none in time",
    sends="not JSON / {} / {type: auth} / {type: auth, token: null} / a chat message / silence",
    expects=Expect.WS_REFUSED,
    tags=(std.WSTG_WEBSOCKETS, std.API_BROKEN_AUTH, std.CWE_MISSING_AUTHENTICATION, std.CWE_INPUT_VALIDATION),
    ref="catalogue #60",
)
async def _ws_malformed(ctx: AuditContext, tier: Tier) -> Built:
    missing = jwt_mode(ctx)
    if missing:
        return missing
    messages = (
        ("not JSON", "hello"),
        ("empty object", "{}"),
        ("auth without token", '{"type": "auth"}'),
        ("token null", '{"type": "auth", "token": null}'),
        ("chat message first", '{"type": "message", "message": "hi"}'),
    )
    probes = [ws_probe(label, ctx.ws_url(), first=text) for label, text in messages]
    probes.append(ws_probe("no message in time", ctx.ws_url(), wait=ws_timeout(ctx)))
    return probes


@cases.case(
    id="ws-user-id-malformed",
    tiers=(Tier.WS,),
    description="user_id repeated, negative or SQL text",
    sends="user_id=<other>&user_id=<admin> (both orders), -1, 1 OR 1=1",
    expects=Expect.WS_REFUSED,
    tags=(std.WSTG_WEBSOCKETS, std.WSTG_SQL_INJECTION, std.CWE_INPUT_VALIDATION, std.CWE_SQL_INJECTION),
    ref="catalogue #61",
)
async def _ws_user_id(ctx: AuditContext, tier: Tier) -> Built:
    missing = ws_ready(ctx)
    if missing:
        return missing
    first = valid_first(ctx)
    own = ctx.user_id
    repeated = [
        ("repeated, admin last", f"user_id=987654321&user_id={own}"),
        ("repeated, admin first", f"user_id={own}&user_id=987654321"),
    ]
    hostile = [("-1", "user_id=-1"), ("SQL", f"user_id={quote('1 OR 1=1')}")]
    return [
        ws_probe(label, ctx.ws_url(query), first=first, token=ctx.token, breach=Severity.MEDIUM)
        for label, query in repeated
    ] + [ws_probe(label, ctx.ws_url(query), first=first, token=ctx.token) for label, query in hostile]


@cases.case(
    id="ws-chatroom-path-malformed",
    tiers=(Tier.WS,),
    description="a chatroom path that is not P<number>Chat",
    sends="P../Chat, Pabc Chat, P0Chat, P-1Chat, a 20-digit id",
    expects="handshake refused or 44xx close, never 5xx",
    tags=(std.WSTG_WEBSOCKETS, std.WSTG_ERROR_HANDLING, std.CWE_PATH_TRAVERSAL, std.CWE_INPUT_VALIDATION),
    ref="catalogue #62",
)
async def _ws_room(ctx: AuditContext, tier: Tier) -> Built:
    missing = ws_ready(ctx)
    if missing:
        return missing
    first = valid_first(ctx)
    rooms = ("P..%2FChat", "Pabc%20Chat", "P0Chat", "P-1Chat", f"P{'9' * 20}Chat")
    return [
        ws_probe(room, ctx.ws_url(room=room), first=first, token=ctx.token, breach=Severity.MEDIUM) for room in rooms
    ]
