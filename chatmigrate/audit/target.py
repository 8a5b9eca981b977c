"""What the audit is pointed at, how far it may go, and what it hands back.

A target is four base URLs (any may be absent: that tier is skipped) plus the
credentials the cases need. Optional credentials unlock optional cases; a case
whose prerequisite is missing is reported as not applicable, never as passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from chatmigrate.audit.policy import AuditPolicy, JsonType
from chatmigrate.bounded import DEFAULT_MAX_BODY_BYTES
from chatmigrate.config import (
    CHAT_PATH,
    DEFAULT_NEW_PATH_MAP,
    DEFAULT_PROXY_ROUTES,
    AuditConfig,
    AuthConfig,
    Config,
    PrincipalConfig,
)
from chatmigrate.errors import ConfigError
from chatmigrate.records import AuditResult, Finding, TargetInfo
from chatmigrate.vocab import AUDIT_TIERS, Severity, Tier, WsAuth

if TYPE_CHECKING:
    from chatmigrate.embedded import EmbeddedServer

TIERS = AUDIT_TIERS
SEED_CONTRACT: Literal["seed"] = "seed"
"""The declaration that opts a target into the built-in seed contract (``contracts/openapi-jwt.json``)."""
TIER_NAMES: dict[str, str] = {tier: tier.label for tier in AUDIT_TIERS}
_AUDIT = AuditConfig()
"""The ``[audit]`` defaults: the audit's own defaults are these, declared once in the config models."""


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
    leeway: int = _AUDIT.leeway
    issuer: str | None = None
    """Set when the target checks ``iss``: a foreign issuer must then be refused."""
    revocation: bool = _AUDIT.revocation
    """Documented policy: does a password change revoke tokens issued before it?"""
    allow_writes: bool = False
    """Unsafe operations (send a message) are probed with bad credentials only when this is set."""
    new_chat_path: str = "/api/v1/admin/chat/"
    new_send_path: str = "/api/v1/chat/send/"
    token_path: str = "/api/v1/auth/token/"
    old_chat_path: str = "/admin/chat/"
    login_path: str = "/admin/login/"
    logout_path: str = _AUDIT.logout_path
    password_change_path: str = _AUDIT.password_change_path
    refresh_path: str = "/api/v1/auth/token/refresh/"
    """simplejwt's ``TokenRefreshView``."""
    blacklist_path: str = "/api/v1/auth/token/blacklist/"
    """simplejwt's ``TokenBlacklistView``: the logout of a JWT client; a 404 there means no logout."""
    user_admin_path: str | None = None
    """``PATCH`` here with ``{"is_active": false|true}`` (``{user_id}`` filled in) deactivates or reactivates a
    user as the principal: what a DRF viewset over ``User`` offers. Unset, the deactivation cases do not apply."""
    deactivated_principal: Principal | None = None
    """A deactivated user (``inactive_user_id``) whose password is known: the audit reactivates it for a moment to
    get its credentials, then deactivates it again, so it ends as it was."""
    site_login_path: str | None = None
    """A login view that gives any active user a session (Django's ``/accounts/login/``), if the site has one."""
    proxy_routes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PROXY_ROUTES))
    ws_path: str = "/ws/cschat/P{player_id}Chat/"
    jwt_contract: Path | Literal["seed"] | None = None
    """The JWT API's declared contract for the contract run: the user's own OpenAPI document (``[contracts] jwt``),
    ``seed`` for the built-in one (the embedded server's), or None: nothing declared, the run is not applicable."""

    def url_of(self, tier: str) -> str | None:
        urls = {Tier.NEW: self.new_url, Tier.OLD: self.old_url, Tier.PROXY: self.proxy_url, Tier.WS: self.ws_url}
        return urls[Tier(tier)]

    @property
    def tiers(self) -> tuple[Tier, ...]:
        return tuple(tier for tier in TIERS if self.url_of(tier))

    def infos(self) -> list[TargetInfo]:
        """One record per audited tier, for the run's target list."""
        principal = self.principal.username if self.principal else "token"
        kinds = {Tier.NEW: "bearer", Tier.PROXY: "bearer", Tier.OLD: "session", Tier.WS: f"ws-{self.ws_auth}"}
        return [
            TargetInfo(side=tier, base_url=url, auth=kinds[tier], principal=principal)
            for tier in TIERS
            if (url := self.url_of(tier))
        ]

    @property
    def token_url(self) -> str | None:
        """Tokens come from the JWT API; a proxy-only target is given the JWT API's URL too."""
        return self.new_url


_BARE = AuditTarget()
"""A target's defaults, for the keys a config leaves out."""


@dataclass(frozen=True, slots=True)
class AuditOptions:
    tiers: frozenset[str] = _AUDIT.tiers
    seed: int = _AUDIT.seed
    budget: int = _AUDIT.budget
    """Hypothesis examples for token mutation; 0 switches mutation off."""
    contract: bool = _AUDIT.contract
    contract_examples: int = _AUDIT.contract_examples
    timeout: float = 10.0
    concurrency: int = 8
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """Bytes of one answer (body or WebSocket frame), on the wire and decompressed: ``run.max_body_bytes``."""
    ws_url_mode_severity: Severity = _AUDIT.ws_url_mode_severity
    """Severity of URL-parameter impersonation when ``url`` is the declared WebSocket mode."""
    delay_margin_ms: float = _AUDIT.delay_margin_ms
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
    from chatmigrate.server.tokens import ISSUER, LEEWAY_SECONDS

    config = server.config
    password = config.password
    inactive, former = next((uid, name) for uid, name, _role, _staff, active in PRINCIPALS if not active)
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
        ws_auth=WsAuth(config.ws_auth),
        ws_auth_timeout=config.ws_auth_timeout,
        leeway=LEEWAY_SECONDS,
        issuer=ISSUER,
        allow_writes=True,
        site_login_path="/accounts/login/",
        jwt_contract=SEED_CONTRACT,
        user_admin_path="/api/v1/admin/users/{user_id}/",
        deactivated_principal=Principal(former, password),
    )


_WHERE = {Tier.NEW: "[targets.new]", Tier.OLD: "[targets.old]", Tier.PROXY: "[targets.proxy]", Tier.WS: "[ws] url"}


def require_named_tiers(target: AuditTarget, options: AuditOptions) -> None:
    """Tiers asked for by name (a subset of all of them) must be configured: an unconfigured one would be
    skipped, and a run of nothing passes silently."""
    if options.tiers >= frozenset(TIERS):
        return
    missing = [Tier(tier) for tier in TIERS if tier in options.tiers and not target.url_of(tier)]
    if missing:
        names = ", ".join(missing)
        where = ", ".join(_WHERE[tier] for tier in missing)
        raise ConfigError(f"--target {names}: no such tier is configured (set {where} in the config)")


def audit_options_from_config(config: Config, **changes: Any) -> AuditOptions:
    """``[audit]`` (timeout and concurrency default to ``[run]``'s), then ``changes`` that are not None."""
    audit = config.audit
    options = AuditOptions(
        tiers=audit.tiers,
        seed=audit.seed,
        budget=audit.budget,
        contract=audit.contract,
        contract_examples=audit.contract_examples,
        timeout=audit.timeout or config.run.timeout,
        concurrency=audit.concurrency or config.run.concurrency,
        max_body_bytes=config.run.max_body_bytes,
        ws_url_mode_severity=audit.ws_url_mode_severity,
        delay_margin_ms=audit.delay_margin_ms,
        policy=AuditPolicy(
            bearer_scheme_case_insensitive=audit.bearer_scheme_case_insensitive,
            csrf_failure_reason=audit.csrf_failure_reason,
            user_id_types=frozenset(JsonType(name) for name in audit.user_id_types),
            forwarded_proto_https=audit.forwarded_proto_https,
            audience=audit.audience,
            password_change_done_path=audit.password_change_done_path,
            blacklist_after_rotation=audit.blacklist_after_rotation,
            login_throttle=audit.login_throttle,
            token_no_store=audit.token_no_store,
            max_access_lifetime=audit.max_access_lifetime,
            ws_session_revocation=audit.ws_session_revocation,
        ),
    )
    return replace(options, **{name: value for name, value in changes.items() if value is not None})


def target_from_config(
    config: Config, *, allow_writes: bool = False, env: Mapping[str, str] | None = None
) -> AuditTarget:
    """The run configuration's targets; the principal is the first login (or token) a target declares.

    ``[audit]`` adds the further principals and the declared policies (issuer, revocation, leeway)."""
    new, old, proxy = (config.targets.get(side) for side in (Tier.NEW, Tier.OLD, Tier.PROXY))
    auths = [target.auth for target in (new, old, proxy) if target is not None]
    principal = next((login for auth in auths if (login := _login(auth, env)) is not None), None)
    token = next((token for auth in auths if (token := _token(auth, env)) is not None), None)
    secret = next((secret for auth in auths if (secret := _signing_secret(auth, env)) is not None), None)
    if principal is None and token is None:
        raise ConfigError(
            "the audit needs a login (session or token-endpoint auth with a password) or a bearer "
            "token on at least one target: every case is a variation of a real credential"
        )
    ws, audit = config.ws, config.audit
    return AuditTarget(
        principal=principal,
        token=token,
        new_url=new.base_url if new else None,
        old_url=old.base_url if old else None,
        proxy_url=proxy.base_url if proxy else None,
        ws_url=ws.url if ws else None,
        forbidden_principal=_principal(audit.forbidden_principal, "non-staff", env),
        spare_principal=_principal(audit.spare_principal, "spare", env),
        signing_secret=secret,
        inactive_user_id=audit.inactive_user_id,
        ws_auth=ws.auth if ws is not None else WsAuth.URL,
        ws_auth_timeout=audit.ws_auth_timeout or (ws.timeout if ws is not None else _BARE.ws_auth_timeout),
        leeway=audit.leeway,
        issuer=audit.issuer,
        revocation=audit.revocation,
        allow_writes=allow_writes or config.embedded_only,
        new_chat_path=new.path_map.get(CHAT_PATH, DEFAULT_NEW_PATH_MAP[CHAT_PATH]) if new else _BARE.new_chat_path,
        new_send_path=ws.send_path if ws is not None else _BARE.new_send_path,
        token_path=new.auth.token_path if new else _BARE.token_path,
        login_path=old.auth.login_path if old else _BARE.login_path,
        logout_path=audit.logout_path,
        password_change_path=audit.password_change_path,
        site_login_path=audit.site_login_path,
        refresh_path=audit.refresh_path,
        blacklist_path=audit.blacklist_path,
        user_admin_path=audit.user_admin_path,
        deactivated_principal=_principal(audit.deactivated_principal, "deactivated", env),
        proxy_routes=dict(proxy.routes) if proxy and proxy.routes else dict(DEFAULT_PROXY_ROUTES),
        jwt_contract=config.contracts.jwt or (SEED_CONTRACT if config.contracts.seed else None),
    )


def _login(auth: AuthConfig, env: Mapping[str, str] | None) -> Principal | None:
    from chatmigrate.auth import resolve_secret

    if not auth.username or not (auth.password or auth.password_env or auth.password_file):
        return None
    password = resolve_secret(
        env_name=auth.password_env, file=auth.password_file, inline=auth.password, what="password", env=env
    )
    return Principal(auth.username, password)


def _token(auth: AuthConfig, env: Mapping[str, str] | None) -> str | None:
    from chatmigrate.auth import resolve_secret

    if not (auth.token_env or auth.token_file):
        return None
    return resolve_secret(env_name=auth.token_env, file=auth.token_file, inline=None, what="token", env=env)


def _signing_secret(auth: AuthConfig, env: Mapping[str, str] | None) -> str | None:
    from chatmigrate.auth import resolve_secret

    if not (auth.secret or auth.secret_env or auth.secret_file):
        return None
    return resolve_secret(
        env_name=auth.secret_env, file=auth.secret_file, inline=auth.secret, what="signing secret", env=env
    )


def _principal(declared: PrincipalConfig | None, role: str, env: Mapping[str, str] | None) -> Principal | None:
    from chatmigrate.auth import resolve_secret

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
