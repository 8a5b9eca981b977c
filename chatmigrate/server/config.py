"""Settings of one reference-server instance."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from chatmigrate.server.switches import Switches
from chatmigrate.vocab import WsAuth

DEFAULT_PASSWORD = "seed-Passw0rd"


@dataclass(frozen=True, slots=True)
class ServerConfig:
    db_path: str | None = None
    seed: int = 42
    players: int = 12
    messages_per_room: int = 60
    password: str = DEFAULT_PASSWORD
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    access_ttl: int = 900
    refresh_ttl: int = 86_400
    session_ttl: int = 1_209_600
    login_failure_limit: int = 10
    login_failure_window: float = 60.0
    ws_auth: WsAuth = WsAuth.URL
    ws_auth_timeout: float = 5.0
    allowed_origins: tuple[str, ...] = ()
    switches: Switches = field(default_factory=Switches)

    def __post_init__(self) -> None:
        """Callers that read a mode from a flag or a file may pass its value; it is held as the member."""
        object.__setattr__(self, "ws_auth", WsAuth(self.ws_auth))
