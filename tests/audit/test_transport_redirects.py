"""A redirect whose Location is no URL (``https:evil.example``) is an answer like any other, never a crash."""

from __future__ import annotations

import asyncio

import httpx
from hostile_server import NEW_CHAT, HostileServer

from chatmigrate.audit.context import no_cookie_client
from chatmigrate.audit.probe import Expect, HttpObservation, HttpProbe
from chatmigrate.audit.rules import JudgeContext, judge
from chatmigrate.audit.transport import send_http
from chatmigrate.vocab import FindingKind, Tier


def observed(client: httpx.AsyncClient) -> tuple[HttpProbe, HttpObservation]:
    async def run(url: str) -> HttpObservation:
        async with client:
            return await send_http(client, probe(url), timeout=5)

    def probe(url: str) -> HttpProbe:
        return HttpProbe("malformed redirect", "GET", url + NEW_CHAT, Expect.REFUSED)

    with HostileServer("bad-location", "new") as target:
        return probe(target.url), asyncio.run(run(target.url))


def test_the_audit_client_observes_the_redirect_with_its_malformed_location() -> None:
    _probe, seen = observed(no_cookie_client(5, 1))
    assert (seen.status, seen.header("location"), seen.error) == (302, "https:evil.example", None)


def test_the_malformed_redirect_is_no_safe_refusal_where_a_401_was_due() -> None:
    probe, seen = observed(no_cookie_client(5, 1))
    kinds = {violation.kind for violation in judge(Tier.NEW, probe, seen, JudgeContext())}
    assert FindingKind.NEEDS_REVIEW in kinds


def test_any_other_client_observes_a_clear_error_instead_of_raising() -> None:
    _probe, seen = observed(httpx.AsyncClient())
    assert seen.status is None and "Location is not a URL" in (seen.error or "")
