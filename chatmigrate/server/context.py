"""What every tier of one server instance shares: settings, store, WebSocket rooms, login throttle, HTTP client."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

import httpx
from starlette.requests import HTTPConnection

from chatmigrate.server.config import ServerConfig
from chatmigrate.server.db import Store
from chatmigrate.server.rooms import Rooms
from chatmigrate.server.throttle import LoginThrottle


@dataclass
class ServerContext:
    config: ServerConfig
    store: Store
    rooms: Rooms = field(default_factory=Rooms)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    lockout: LoginThrottle = field(default_factory=LoginThrottle)
    """The bad-token-lockout flaw's count of refused tokens per client address."""
    http: httpx.AsyncClient | None = None

    @property
    def secret_key(self) -> bytes:
        """Django's SECRET_KEY stand-in: derived so one configured secret drives everything."""
        return hashlib.sha256(b"django-secret-key:" + self.config.jwt_secret.encode()).digest()

    def session_auth_hash(self, password_hash: str) -> str:
        return hmac.new(self.secret_key, password_hash.encode(), hashlib.sha256).hexdigest()


def context_of(connection: HTTPConnection) -> ServerContext:
    ctx: ServerContext = connection.app.state.ctx
    return ctx
