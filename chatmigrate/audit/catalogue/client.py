"""The client-side token: active content in HTML the chat UI renders raw.

ChatComponent renders a purchase's ``html_content`` with ``dangerouslySetInnerHTML`` in a page
that keeps the JWT in ``localStorage``: any script that runs there can read the token. So active
content in a served HTML-bearing field is critical, whatever the tier that served it.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from chatmigrate.audit.catalogue import standards as std
from chatmigrate.audit.catalogue.case import JWT_TIERS, Built, Cases, Group
from chatmigrate.audit.catalogue.common import genuine_credential
from chatmigrate.audit.context import AuditContext
from chatmigrate.audit.probe import Concern, Expect, HttpObservation, HttpProbe, NotApplicable
from chatmigrate.audit.rules import parse_json
from chatmigrate.vocab import FindingKind, Severity, Tier

cases = Cases(Group.CLIENT)
ACTIVE_TAGS = frozenset({"script", "iframe", "frame", "object", "embed", "svg", "math", "base", "meta", "link", "form"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"})
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
HTML_KEY = "html"
SHOWN = 120
SCANNED_LIMIT = 100


class _ActiveContent(HTMLParser):
    """What in a fragment runs when it is inserted as HTML: tags, ``on*`` handlers and script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.found.append(f"{tag} element")
        for name, value in attrs:
            squeezed = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.found.append(f"{name}= handler")
            elif name in URL_ATTRIBUTES and squeezed.startswith(SCRIPT_SCHEMES):
                self.found.append(f"{name}={squeezed.split(':', 1)[0]}: URL")

    handle_startendtag = handle_starttag


def active_content(fragment: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(fragment)
    parser.close()
    return parser.found


def html_fields(value: Any, key: str = "") -> list[tuple[str, str]]:
    """Every string under a key that names HTML (``html_content``, ``body_html`` …), anywhere in the body."""
    if isinstance(value, dict):
        return [found for name, item in value.items() for found in html_fields(item, str(name))]
    if isinstance(value, list):
        return [found for item in value for found in html_fields(item, key)]
    return [(key, value)] if isinstance(value, str) and HTML_KEY in key.lower() else []


def _inspect(seen: HttpObservation) -> list[Concern]:
    body = parse_json(seen.text)
    if seen.status != 200 or body is None:
        return [(Severity.MEDIUM, FindingKind.WRONG_STATUS, f"the purchases could not be read (status {seen.status})")]
    concerns: list[Concern] = []
    for key, fragment in html_fields(body):
        found = active_content(fragment)
        if found:
            shown = html.escape(fragment[:SHOWN]) + ("…" if len(fragment) > SHOWN else "")
            concerns.append(
                (
                    Severity.CRITICAL,
                    FindingKind.ACTIVE_CONTENT,
                    f"{key} carries active content ({', '.join(sorted(set(found)))}), rendered raw next to the "
                    f"JWT in localStorage: {shown}",
                )
            )
    return concerns


@cases.case(
    id="client-active-html",
    tiers=(Tier.OLD, *JWT_TIERS),
    description="active content in served HTML (stored XSS next to the token)",
    sends="purchases_list of the discovered room (up to 100) with the genuine credential; every field whose name "
    "says html is parsed",
    expects="no <script>, <iframe>, <svg>, <object>/<embed>, on* handler or javascript: URL in any HTML field",
    tags=(std.WSTG_DOM_XSS, std.WSTG_HTML_INJECTION, std.CWE_XSS),
)
async def _active_html(ctx: AuditContext, tier: Tier) -> Built:
    genuine = genuine_credential(ctx, tier)
    if isinstance(genuine, NotApplicable):
        return genuine
    credential, token = genuine
    return [
        HttpProbe(
            label="purchases_list, genuine credential",
            method="GET",
            url=f"{ctx.chat_url(tier, 'purchases_list')}&limit={SCANNED_LIMIT}",
            expect=Expect.INSPECTED,
            headers=(credential,),
            token=token,
            inspect=_inspect,
        )
    ]
