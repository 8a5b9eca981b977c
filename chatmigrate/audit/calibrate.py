"""Calibrated accept/reject: what this tier's acceptance and its certain refusals look like, before any attack.

The valid principal's answers are the acceptance fingerprints; answers to credentials that are refused by
any correct server (none at all, random bytes, a well-formed token signed with a random key; on the legacy
tier no cookie and a random session id) are the rejection fingerprints. An attack's answer is then classed
by comparison, so that no check needs to know the target's own body shapes: a foreign server is judged by
what it does with a credential it certainly refuses.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.forge import b64url
from chatmigrate.audit.probe import Expect, HttpObservation, HttpProbe, Observation
from chatmigrate.jsondiff import json_type
from chatmigrate.vocab import Answer, Tier

Send = Callable[[HttpProbe], Awaitable[Observation]]
REQUEST_TYPES = ("recent_messages", "purchases_list", "chat_list")
HTTP_TIERS = (Tier.NEW, Tier.PROXY, Tier.OLD)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Status, content type and envelope shape: the keys of a JSON object and the JSON types of their values."""

    status: int
    content_type: str
    shape: tuple[tuple[str, str], ...] | str

    @classmethod
    def of(cls, seen: HttpObservation) -> Fingerprint:
        return cls(seen.status or 0, seen.content_type or "no content type", shape_of(seen.text))

    @property
    def envelope(self) -> tuple[str, tuple[tuple[str, str], ...] | str]:
        """What two refusals must share to be the same kind of refusal: content type and shape, not status."""
        return self.content_type, self.shape

    @property
    def envelope_text(self) -> str:
        shape = self.shape if isinstance(self.shape, str) else "{" + ", ".join(f"{k}: {t}" for k, t in self.shape) + "}"
        return f"{self.content_type} {shape}"

    def describe(self) -> str:
        return f"{self.status} {self.envelope_text}"


def shape_of(text: str) -> tuple[tuple[str, str], ...] | str:
    try:
        body = json.loads(text)
    except ValueError:
        return "not JSON" if text.strip() else "empty body"
    if isinstance(body, dict):
        return tuple(sorted((str(key), json_type(value)) for key, value in body.items()))
    return f"JSON {json_type(body)}"


@dataclass(frozen=True, slots=True)
class Calibration:
    accepted: tuple[Fingerprint, ...] = ()
    rejected: tuple[Fingerprint, ...] = ()

    def classify(self, seen: HttpObservation, markers: tuple[str, ...] = ()) -> Answer:
        """Server error; accepted (like the principal's answers, or carrying text of the protected data in any
        answer); rejected (a 4xx, or like a certain refusal); or ambiguous: like neither, such as a 2xx of
        another shape or a redirect where no certain refusal redirects."""
        status = seen.status or 0
        if status >= 500:
            return Answer.SERVER_ERROR
        mark = Fingerprint.of(seen)
        if mark in self.accepted or any(marker in seen.text for marker in markers):
            return Answer.ACCEPTED
        if 400 <= status < 500 or mark in self.rejected:
            return Answer.REJECTED
        return Answer.AMBIGUOUS

    def usual_refusal(self, seen: HttpObservation) -> bool:
        """Shaped like one of the certain refusals (any status): an uncalibrated tier has nothing to differ from."""
        return not self.rejected or Fingerprint.of(seen).envelope in {mark.envelope for mark in self.rejected}

    @property
    def statuses(self) -> frozenset[int]:
        return frozenset(mark.status for mark in self.rejected)

    def side_by_side(self, seen: HttpObservation) -> str:
        accepted = "; ".join(sorted({mark.describe() for mark in self.accepted})) or "none"
        rejected = "; ".join(sorted({mark.describe() for mark in self.rejected})) or "none"
        return f"answered {Fingerprint.of(seen).describe()} | acceptance: {accepted} | refusals: {rejected}"


def _refusal(status: int) -> bool:
    """A certain refusal answered with a 2xx (the cases catch that) or a 5xx calibrates nothing."""
    return not 200 <= status < 300 and status < 500


def probes(ctx: AuditContext, tier: Tier) -> tuple[list[HttpProbe], list[HttpProbe]]:
    """The principal's requests of every type, and the certain refusals, for one HTTP tier."""
    if tier is Tier.OLD:
        if ctx.session is None:
            return [], []
        valid = (("Cookie", f"sessionid={ctx.session.sessionid}"),)
        refused = [("no cookie", ()), ("random session id", (("Cookie", f"sessionid={secrets.token_hex(16)}"),))]
    else:
        if ctx.token is None:
            return [], []
        valid = (("Authorization", f"Bearer {ctx.token}"),)
        noise = b64url(secrets.token_bytes(48))
        refused = [("no credential", ()), ("random bytes", (("Authorization", f"Bearer {noise}"),))]
        if ctx.forge is not None:
            random_key = ctx.forge.make("HS256 with a random key", key=secrets.token_bytes(32))
            refused.append(("random key", (("Authorization", f"Bearer {random_key.token}"),)))
    accept = [
        ctx.request(tier, f"calibration: {kind}", valid, expect=Expect.ACCEPTED, url=ctx.chat_url(tier, kind))
        for kind in REQUEST_TYPES
        if tier is not Tier.PROXY or kind in ctx.target.proxy_routes
    ]
    reject = [ctx.request(tier, f"calibration: {label}", headers) for label, headers in refused]
    return accept, reject


async def calibrate(ctx: AuditContext, send: Send) -> dict[Tier, Calibration]:
    """Every HTTP tier the run audits, at once; an answer that is no answer (a transport error) calibrates nothing."""
    tiers = [tier for tier in HTTP_TIERS if tier in ctx.options.tiers and ctx.target.url_of(tier)]

    async def one(tier: Tier) -> tuple[Tier, Calibration]:
        accept, reject = probes(ctx, tier)
        seen = await asyncio.gather(*(send(probe) for probe in [*accept, *reject]))
        marks = [Fingerprint.of(item) if isinstance(item, HttpObservation) and item.status else None for item in seen]
        accepted = tuple(mark for mark in marks[: len(accept)] if mark and 200 <= mark.status < 300)
        rejected = tuple(mark for mark in marks[len(accept) :] if mark and _refusal(mark.status))
        return tier, Calibration(accepted, rejected)

    return dict(await asyncio.gather(*(one(tier) for tier in tiers)))
