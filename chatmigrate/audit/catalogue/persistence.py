"""Persistence: the genuine credentials still work once every other case has run."""

from __future__ import annotations

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import Built, Cases, Group
from chatmigrate.audit.catalogue.common import NO_SESSION, NO_TOKEN
from chatmigrate.audit.catalogue.sockets import valid_first, ws_probe, ws_ready
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Expect, HttpProbe
from chatmigrate.vocab import Tier

cases = Cases(Group.PERSISTENCE)


@cases.case(
    id="persist-valid-credentials",
    tiers=(Tier.NEW, Tier.PROXY, Tier.OLD, Tier.WS),
    description="the genuine token, session and socket still work after every other case",
    sends="the valid credential of each tier, once all other cases have run",
    expects="200 JSON with data (legacy: the session's JSON; ws: connected)",
    tags=(std.RFC6750_HEADER, std.RFC7519_VALIDATION, std.WSTG_SESSION_SCHEMA),
    ref="catalogue #42",
    last=True,
)
async def _persistence(ctx: AuditContext, tier: Tier) -> Built:
    if tier is Tier.OLD:
        if ctx.session is None:
            return NO_SESSION
        return [
            HttpProbe(
                label="valid session",
                method="GET",
                url=ctx.chat_url(Tier.OLD),
                expect=Expect.ACCEPTED,
                headers=(("Cookie", f"sessionid={ctx.session.sessionid}"),),
            )
        ]
    if tier is Tier.WS:
        missing = ws_ready(ctx)
        if missing:
            return missing
        return [ws_probe("valid socket", ctx.ws_url(), Expect.WS_ACCEPTED, first=valid_first(ctx), token=ctx.token)]
    if ctx.token is None:
        return NO_TOKEN
    return [ctx.bearer(tier, "valid token", ctx.token, expect=Expect.ACCEPTED)]
