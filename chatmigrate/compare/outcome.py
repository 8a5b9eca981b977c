"""What kind of answer a response is: JSON or not, a login page or redirect, and its auth outcome.

A legacy 302 to the login page and a JWT 401 mean the same thing; classifying both as an outcome is what lets
the two tiers be compared at all.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from chatmigrate.records import Exchange
from chatmigrate.vocab import Outcome

_LOGIN_PATH = re.compile(r"(?:^|/)(?:login|log-in|signin|sign-in)(?:/|$)", re.IGNORECASE)
_PASSWORD_INPUT = re.compile(r"<input[^>]*(?:type\s*=\s*[\"']?password|name\s*=\s*[\"']?password)", re.IGNORECASE)
_HTML_START = re.compile(r"\s*<(?:!doctype\s+html|html)\b", re.IGNORECASE)


def is_json_type(content_type: str) -> bool:
    """JSON by media type (``application/json``, ``application/problem+json``); the runner shares it."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def is_json_answer(exchange: Exchange) -> bool:
    """A JSON body labelled JSON, or no body at all (204): nothing for the JSON check to say."""
    return exchange.status == 204 or (exchange.is_json and is_json_type(exchange.content_type))


def is_html(exchange: Exchange) -> bool:
    return "html" in exchange.content_type.lower() or bool(exchange.text and _HTML_START.match(exchange.text))


def is_json_text(text: str | None) -> bool:
    """The runner parses only bodies labelled JSON and keeps any other as text, so JSON mislabelled shows here."""
    if not text:
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def location(exchange: Exchange) -> str:
    return next((value for name, value in exchange.headers.items() if name.lower() == "location"), "")


def is_login_redirect(exchange: Exchange) -> bool:
    status = exchange.status or 0
    return 300 <= status < 400 and bool(_LOGIN_PATH.search(urlsplit(location(exchange)).path))


def is_login_page(exchange: Exchange) -> bool:
    return is_html(exchange) and bool(exchange.text and _PASSWORD_INPUT.search(exchange.text))


def status_text(exchange: Exchange) -> str:
    return str(exchange.status) if exchange.status is not None else "no response"


def classify(exchange: Exchange) -> Outcome:
    """The auth outcome, so a legacy 302-to-login and a JWT 401 compare as the same thing.

    Redirects elsewhere than a login page count as client errors: the request did not
    reach its resource.
    """
    status = exchange.status
    if status is None:
        return Outcome.TRANSPORT_ERROR
    if 200 <= status < 300:
        return Outcome.UNAUTHENTICATED if is_login_page(exchange) else Outcome.OK
    if 300 <= status < 400:
        return Outcome.UNAUTHENTICATED if is_login_redirect(exchange) else Outcome.CLIENT_ERROR
    if status == 401:
        return Outcome.UNAUTHENTICATED
    if status == 403:
        return Outcome.FORBIDDEN
    if status == 404:
        return Outcome.NOT_FOUND
    if status >= 500:
        return Outcome.SERVER_ERROR
    return Outcome.CLIENT_ERROR
