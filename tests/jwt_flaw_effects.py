"""What each flaw of the parser-edge, exposure, lifetime and path-override wave does on the wire, beside the clean
server: the effects ``tests/server/test_switches.py`` checks for these flaws."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from server_wire import JWT_CHAT, access_token, bearer, claims_of, forge, stateless

from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.tokens import ISSUER

ROOM = {"chatroom_id": 5}
DAY = 86_400


def chat(server: EmbeddedServer, token: str) -> httpx.Response:
    return stateless.get(f"{server.base_url}{JWT_CHAT}", params=ROOM, headers=bearer(token))


def raw_token(server: EmbeddedServer, header: str, payload: str, *, sign: bool = True) -> str:
    """Segments from JSON text as given (duplicate names survive), HS256-signed with the server's key."""
    signing_input = ".".join(base64.urlsafe_b64encode(part.encode()).decode().rstrip("=") for part in (header, payload))
    digest = hmac.new(server.config.jwt_secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}." + (base64.urlsafe_b64encode(digest).decode().rstrip("=") if sign else "")


def claims_text(server: EmbeddedServer, user: str = "admin") -> str:
    return json.dumps(claims_of(access_token(server, user)))


def check_duplicate_header_params(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    header = '{"alg":"HS256","typ":"JWT","alg":"none"}'
    for server, status in ((clean, 401), (switched, 200)):
        assert chat(server, raw_token(server, header, claims_text(server), sign=False)).status_code == status


def check_duplicate_claims_first_wins(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    for server, status in ((clean, 401), (switched, 200)):
        payload = claims_text(server)[:-1] + f', "exp": {int(time.time()) - 3600}}}'
        assert chat(server, raw_token(server, '{"alg":"HS256","typ":"JWT"}', payload)).status_code == status


def with_claims(server: EmbeddedServer, user: str = "admin", **extra: Any) -> str:
    return forge({**claims_of(access_token(server, user)), **extra}, server.config.jwt_secret)


def check_claim_substring_match(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    for server, status in ((clean, 401), (switched, 200)):
        assert chat(server, with_claims(server, iss=f"{ISSUER}.evil.example")).status_code == status
        assert chat(server, with_claims(server, iss=ISSUER)).status_code == 200


def check_token_privilege_claims(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    for server, status in ((clean, 403), (switched, 200)):
        assert chat(server, with_claims(server, "viewer", is_staff=True)).status_code == status


def check_user_secrets_exposed(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert "user" not in chat(clean, access_token(clean)).json()
    assert chat(switched, access_token(switched)).json()["user"]["password"].startswith("pbkdf2_sha256$")


def check_long_lived_access(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    for server, lifetime in ((clean, clean.config.access_ttl), (switched, 30 * DAY)):
        claims = claims_of(access_token(server))
        assert claims["exp"] - claims["iat"] == lifetime


def check_proxy_path_override(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    headers = {"X-Original-URL": "/api/chat-messages?chatroom_id=5"}
    public = stateless.get(f"{clean.base_url}/", headers=headers)
    assert public.status_code == 200 and public.headers["content-type"].startswith("text/html")
    assert "messages" in stateless.get(f"{switched.base_url}/", headers=headers).json()


def check_public_cache_data(clean: EmbeddedServer, switched: EmbeddedServer) -> None:
    assert "cache-control" not in chat(clean, access_token(clean)).headers
    assert chat(switched, access_token(switched)).headers["cache-control"] == "public, max-age=300"


EFFECTS: dict[str, Callable[[EmbeddedServer, EmbeddedServer], None]] = {
    "duplicate-header-params": check_duplicate_header_params,
    "duplicate-claims-first-wins": check_duplicate_claims_first_wins,
    "claim-substring-match": check_claim_substring_match,
    "token-privilege-claims": check_token_privilege_claims,
    "user-secrets-exposed": check_user_secrets_exposed,
    "long-lived-access": check_long_lived_access,
    "proxy-path-override": check_proxy_path_override,
    "public-cache-data": check_public_cache_data,
}
