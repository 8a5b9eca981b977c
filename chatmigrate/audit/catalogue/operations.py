"""Every operation: each authenticated request type refused without and with bad auth."""

from __future__ import annotations

import json

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import altered
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Expect, HttpProbe, Probe
from chatmigrate.vocab import Tier

cases = Cases(Group.OPERATIONS)


@cases.case(
    id="op-every-operation-unauthenticated",
    tiers=JWT_TIERS,
    description="every authenticated operation with no auth and with invalid auth",
    sends="each request type (and POST send when writes are allowed) without and with a bad-signature token",
    expects=Expect.REFUSED,
    tags=(
        std.RFC6750_ERRORS,
        std.WSTG_AUTH_BYPASS,
        std.WSTG_AUTHZ_BYPASS,
        std.API_BROKEN_AUTH,
        std.API_BFLA,
        std.CWE_MISSING_AUTHENTICATION,
        std.CWE_MISSING_AUTHORIZATION,
    ),
    ref="catalogue #43",
)
async def _every_operation(ctx: AuditContext, tier: Tier) -> Built:
    bad = altered(ctx) if ctx.forge is not None else None
    probes: list[Probe] = []
    for request_type in ("recent_messages", "purchases_list", "chat_list"):
        url = ctx.chat_url(tier, request_type)
        probes.append(ctx.request(tier, f"{request_type} no auth", url=url))
        if bad is not None:
            probes.append(ctx.bearer(tier, f"{request_type} bad signature", bad.token, note=bad.note, url=url))
    if tier is Tier.NEW and ctx.target.allow_writes:
        body = json.dumps({"chatroom_id": ctx.chatroom_id, "message": "chatmigrate audit: must not be stored"})
        send_url = f"{ctx.target.new_url}{ctx.target.new_send_path}"
        credentials: list[tuple[str, tuple[tuple[str, str], ...], str | None]] = [("no auth", (), None)]
        if bad is not None:
            credentials.append(("bad signature", (("Authorization", f"Bearer {bad.token}"),), bad.token))
        for label, headers, token in credentials:
            probes.append(
                HttpProbe(
                    label=f"send {label}",
                    method="POST",
                    url=send_url,
                    expect=Expect.REFUSED,
                    headers=(("Content-Type", "application/json"), *headers),
                    body=body.encode(),
                    token=token,
                )
            )
    return probes
