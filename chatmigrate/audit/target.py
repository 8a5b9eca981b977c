"""What the audit is pointed at, how far it may go, and what it hands back.

A target is four base URLs (any may be absent: that tier is skipped) plus the
credentials the cases need. Optional credentials unlock optional cases; a case
whose prerequisite is missing is reported as not applicable, never as passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from chatmigrate.audit.policy import AuditPolicy
from chatmigrate.config import (
    AUDIT_TIERS,
    CHAT_PATH,
    DEFAULT_NEW_PATH_MAP,
    DEFAULT_PROXY_ROUTES,
    Config,
    PrincipalConfig,
)
from chatmigrate.errors import ConfigError
from chatmigrate.records import AuditResult, Finding, TargetInfo
from chatmigrate.vocab import Severity, WsAuth

if TYPE_CHECKING:
    from chatmigrate.embedded import EmbeddedServer

TIERS = AUDIT_TIERS
SEED_CONTRACT: Literal["seed"] = "seed"
"""The declaration that opts a target into the built-in seed contract (``contracts/openapi-jwt.json``)."""
TIER_NAMES = {"new": "JWT API", "proxy": "proxy routes", "old": "legacy admin", "ws": "WebSocket"}


@dataclass(frozen=True, slots=True)
class Principal:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AuditTarget:
    principal: Principal | None = None
    """The staff account every case starts from; without it, a static ``token`` (JWT tiers only)."""
    token: str | None = field(default=None, repr=False)
    new_url: str | None = None
    old_url: str | None = None
    proxy_url: str | None = None
    ws_url: str | None = None
    forbidden_principal: Principal | None = None
    """A valid login whose role may not use the chat admin API (403 cases)."""
    spare_principal: Principal | None = None
    """A staff account whose password the audit may set again (to the same value) to test stale sessions."""
    signing_secret: str | None = field(default=None, repr=False)
    inactive_user_id: int | None = None
    ws_auth: WsAuth = WsAuth.URL
    ws_auth_timeout: float = 5.0
    leeway: int = 0
    issuer: str | None = None
    """Set when the target checks ``iss``: a foreign issuer must then be refused."""
    revocation: bool = False
    """Documented policy: does a password change revoke tokens issued before it?"""
    allow_writes: bool = False
    """Unsafe operations (send a message) are probed with bad credentials only when this is set."""
    new_chat_path: str = "/api/v1/admin/chat/"
    new_send_path: str = "/api/v1/chat/send/"
    token_path: str = "/api/v1/auth/token/"
    old_chat_path: str = "/admin/chat/"
    login_path: str = "/admin/login/"
    logout_path: str = "/admin/logout/"
    password_change_path: str = "/admin/password_change/"
    site_login_path: str | None = None
    """A login view that gives any active user a session (Django's ``/accounts/login/``), if the site has one."""
    proxy_routes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PROXY_ROUTES))
    ws_path: str = "/ws/cschat/P{player_id}Chat/"
    jwt_contract: Path | Literal["seed"] | None = None
    """The JWT API's declared contract for the contract run: the user's own OpenAPI document (``[contracts] jwt``),
    ``seed`` for the built-in one (the embedded server's), or None: nothing declared, the run is not applicable."""

    def url_of(self, tier: str) -> str | None:
        return {"new": self.new_url, "old": self.old_url, "proxy": self.proxy_url, "ws": self.ws_url}[tier]

    @property
    def tiers(self) -> tuple[str, ...]:
        return tuple(tier for tier in TIERS if self.url_of(tier))

    def infos(self) -> list[TargetInfo]:
        """One record per audited tier, for the run's target list."""
        principal = self.principal.username if self.principal else "token"
        kinds = {"new": "bearer", "proxy": "bearer", "old": "session", "ws": f"ws-{self.ws_auth}"}
        return [
            TargetInfo(side=tier, base_url=url, auth=kinds[tier], principal=principal)
            for tier in TIERS
            if (url := self.url_of(tier))
        ]

    @property
    def token_url(self) -> str | None:
        """Tokens come from the JWT API; a proxy-only target is given the JWT API's URL too."""
        return self.new_url


@dataclass(frozen=True, slots=True)
class AuditOptions:
    tiers: frozenset[str] = frozenset(TIERS)
    seed: int = 0
    budget: int = 100
    """Hypothesis examples for token mutation; 0 switches mutation off."""
    contract: bool = True
    contract_examples: int = 10
    timeout: float = 10.0
    concurrency: int = 8
    ws_url_mode_severity: Severity = Severity.INFO
    """Severity of URL-parameter impersonation when ``url`` is the declared WebSocket mode."""
    delay_margin_ms: float = 2500.0
    cases: frozenset[str] = frozenset()
    """Only these case ids (empty: all)."""
    groups: frozenset[str] = frozenset()
    """Only these groups (empty: all)."""
    policy: AuditPolicy = field(default_factory=AuditPolicy)


@dataclass(slots=True)
class AuditOutcome:
    findings: list[Finding]
    results: list[AuditResult]
    warnings: list[str] = field(default_factory=list)
    mutation_examples: int = 0
    contract_operations: int = 0
    transport_error: str | None = None
    """Set when a tier stopped accepting connections during the run (exit 3: results kept, gate failed)."""


def embedded_target(server: EmbeddedServer) -> AuditTarget:
    """Every tier of the reference server, with its seeded principals and its real signing key."""
    from chatmigrate.server.seed import PRINCIPALS
    from chatmigrate.server.tokens import LEEWAY_SECONDS

    config = server.config
    password = config.password
    inactive = next(uid for uid, _name, _role, _staff, active in PRINCIPALS if not active)
    base = server.base_url
    return AuditTarget(
        principal=Principal("admin", password),
        new_url=base,
        old_url=base,
        proxy_url=base,
        ws_url=server.ws_url,
        forbidden_principal=Principal("viewer", password),
        spare_principal=Principal("support", password),
        signing_secret=config.jwt_secret,
        inactive_user_id=inactive,
        ws_auth=config.ws_auth,
        ws_auth_timeout=config.ws_auth_timeout,
        leeway=LEEWAY_SECONDS,
        allow_writes=True,
        site_login_path="/accounts/login/",
        jwt_contract=SEED_CONTRACT,
    )


def audit_options_from_config(config: Config, **cli_overrides: Any) -> AuditOptions:
    """``[audit]`` (timeout and concurrency default to ``[run]``'s), then the flags that were given (not None)."""
    values = _declared(config, AuditOptions)
    values.setdefault("timeout", config.run.timeout)
    values.setdefault("concurrency", config.run.concurrency)
    values.update({name: value for name, value in cli_overrides.items() if value is not None})
    return AuditOptions(**values)


def _declared(config: Config, kind: type) -> dict[str, Any]:
    """The ``[audit]`` values that were set and that ``kind`` has a field for (the keys share its names)."""
    names = {item.name for item in fields(kind)}
    return {
        item.name: value
        for item in fields(config.audit)
        if item.name in names and (value := getattr(config.audit, item.name)) is not None
    }


def target_from_config(
    config: Config, *, allow_writes: bool = False, env: Mapping[str, str] | None = None
) -> AuditTarget:
    """The run configuration's targets; the principal is the first login (or token) a target declares.

    ``[audit]`` adds the further principals and the declared policies (issuer, revocation, leeway)."""
    from chatmigrate.auth import resolve_secret

    def login(declared: PrincipalConfig | None, role: str) -> Principal | None:
        if declared is None:
            return None
        password = resolve_secret(
            env_name=declared.password_env,
            file=declared.password_file,
            inline=None,
            what=f"{role} principal's password",
            env=env,
        )
        return Principal(declared.username, password)

    new, old, proxy = (config.targets.get(side) for side in ("new", "old", "proxy"))
    principal, token, secret = None, None, None
    for target in (new, old, proxy):
        if target is None:
            continue
        auth = target.auth
        if principal is None and auth.username and (auth.password or auth.password_env or auth.password_file):
            password = resolve_secret(
                env_name=auth.password_env, file=auth.password_file, inline=auth.password, what="password", env=env
            )
            principal = Principal(auth.username, password)
        if token is None and (auth.token_env or auth.token_file):
            token = resolve_secret(env_name=auth.token_env, file=auth.token_file, inline=None, what="token", env=env)
        if secret is None and (auth.secret or auth.secret_env or auth.secret_file):
            secret = resolve_secret(
                env_name=auth.secret_env, file=auth.secret_file, inline=auth.secret, what="signing secret", env=env
            )
    if principal is None and token is None:
        raise ConfigError(
            "the audit needs a login (session or token-endpoint auth with a password) or a bearer "
            "token on at least one target: every case is a variation of a real credential"
        )
    ws = config.ws
    declared = _declared(config, AuditTarget)
    if ws is not None:
        declared.setdefault("ws_auth_timeout", ws.timeout)
        declared.setdefault("new_send_path", ws.send_path)
    declared["forbidden_principal"] = login(config.audit.forbidden_principal, "non-staff")
    declared["spare_principal"] = login(config.audit.spare_principal, "spare")
    return AuditTarget(
        principal=principal,
        token=token,
        new_url=new.base_url if new else None,
        old_url=old.base_url if old else None,
        proxy_url=proxy.base_url if proxy else None,
        ws_url=ws.url if ws else None,
        signing_secret=secret,
        ws_auth=WsAuth.JWT if ws is not None and ws.auth == WsAuth.JWT else WsAuth.URL,
        allow_writes=allow_writes or config.embedded_only,
        new_chat_path=new.path_map.get(CHAT_PATH, DEFAULT_NEW_PATH_MAP[CHAT_PATH]) if new else "/api/v1/admin/chat/",
        token_path=new.auth.token_path if new else "/api/v1/auth/token/",
        login_path=old.auth.login_path if old else "/admin/login/",
        proxy_routes=dict(proxy.routes) if proxy and proxy.routes else dict(DEFAULT_PROXY_ROUTES),
        jwt_contract=config.contracts.get("jwt"),
        **declared,
    )
