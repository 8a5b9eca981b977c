"""`[audit]`: the audit's settings, its further principals and the policies it may assume of a config's targets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import model_validator

from chatmigrate.config import values as v
from chatmigrate.config.section import Section, invalid, key
from chatmigrate.vocab import AUDIT_TIERS, Severity, Tier


class PrincipalConfig(Section):
    """A further login the audit uses; its password by reference only."""

    username: Annotated[str, v.TEXT] = key(doc="the login")
    password_env: Annotated[str, v.ENV_NAME] | None = key(None, "its password, by reference")
    password_file: Annotated[Path, v.FILE, v.RELATIVE] | None = key(None, "its password, in a file")

    @model_validator(mode="after")
    def _password(self) -> PrincipalConfig:
        if self.password_env is None and self.password_file is None:
            raise invalid("needs password_env or password_file", "password_env")
        return self


class AuditConfig(Section):
    """`[audit]` (optional): settings of `chatmigrate audit` and of the audit part of `chatmigrate gate`
    (see audit.md). Keys marked *policy* say what the audit may assume about a config file's targets;
    without them the cases that need them are *not applicable*. The embedded server's are fixed: stock Django's,
    but for `login_throttle`, `token_no_store`, `blacklist_after_rotation` and `ws_session_revocation`, which it
    does, so that a flaw switching one off fails the audit."""

    tiers: Annotated[frozenset[Tier], v.TIERS] = key(
        frozenset(AUDIT_TIERS), "tiers to audit: `new`, `proxy`, `old`, `ws` or `all`", cli="--target"
    )
    seed: Annotated[int, v.between(0, 2**32 - 1)] = key(
        0, "seed of the token mutation and the contract run", cli="--seed"
    )
    budget: Annotated[int, v.between(0, 1_000_000)] = key(
        100, "token mutation examples; `0` switches mutation off", cli="--budget"
    )
    contract: Annotated[bool, v.FLAG] = key(True, "run the schemathesis contract run on the JWT API", cli="--contract")
    contract_examples: Annotated[int, v.between(1, 10_000)] = key(10, "schemathesis examples per operation")
    timeout: Annotated[float, v.duration(v.HOUR)] | None = key(None, "per-probe timeout [default: run.timeout]")
    concurrency: Annotated[int, v.between(1, 1000)] | None = key(None, "probes in flight [default: run.concurrency]")
    ws_url_mode_severity: Annotated[Severity, v.SEVERITY] = key(
        Severity.INFO,
        "severity of WebSocket URL-parameter impersonation while `ws.auth = url` (`--ws-url-strict`: high)",
        cli="--ws-url-strict",
    )
    delay_margin_ms: Annotated[float, v.number(3_600_000, zero=True)] = key(
        2500.0, "slack of the injected-delay check: a probe fails above 10x the median latency plus this"
    )
    forbidden_principal: PrincipalConfig | None = key(
        None,
        "policy: `{username, password_env or password_file}` of a valid login that is not staff (403 cases)",
        policy=True,
    )
    spare_principal: PrincipalConfig | None = key(
        None, "policy: a staff login whose password the audit sets again, to the same value", policy=True
    )
    inactive_user_id: Annotated[int, v.between(0, v.MAX_ID)] | None = key(
        None, "policy: id of a deactivated user (needs the signing secret)", policy=True
    )
    issuer: Annotated[str, v.TEXT] | None = key(None, "policy: the `iss` your API checks", policy=True)
    revocation: Annotated[bool, v.FLAG] = key(False, "policy: a password change revokes older tokens", policy=True)
    leeway: Annotated[int, v.LEEWAY] = key(0, "policy: clock leeway of the API's `exp` check", policy=True)
    ws_auth_timeout: Annotated[float, v.duration(v.HOUR)] | None = key(
        None, "policy: how long a `jwt`-mode socket waits for its token [default: ws.timeout]", policy=True
    )
    site_login_path: Annotated[str, v.URL_PATH] | None = key(
        None, "policy: a login any active user may use (Django's `/accounts/login/`)", policy=True
    )
    logout_path: Annotated[str, v.URL_PATH] = key("/admin/logout/", "policy: Django admin logout", policy=True)
    password_change_path: Annotated[str, v.URL_PATH] = key(
        "/admin/password_change/", "policy: Django admin password change (spare principal)", policy=True
    )
    refresh_path: Annotated[str, v.URL_PATH] = key(
        "/api/v1/auth/token/refresh/", "policy: simplejwt's TokenRefreshView on the new target", policy=True
    )
    blacklist_path: Annotated[str, v.URL_PATH] = key(
        "/api/v1/auth/token/blacklist/",
        "policy: simplejwt's TokenBlacklistView, the JWT logout; a 404 there means the target has none",
        policy=True,
    )
    user_admin_path: Annotated[str, v.URL_PATH] | None = key(
        None,
        "policy: `PATCH` with `{is_active}` here (`{user_id}` filled in) deactivates a user; unset, the "
        "deactivation cases do not apply",
        policy=True,
    )
    deactivated_principal: PrincipalConfig | None = key(
        None, "policy: the login of the deactivated user (`inactive_user_id`), reactivated for a moment", policy=True
    )
    blacklist_after_rotation: Annotated[bool, v.FLAG] = key(
        False, "policy: a rotated refresh token is blacklisted (simplejwt's BLACKLIST_AFTER_ROTATION)", policy=True
    )
    login_throttle: Annotated[bool, v.FLAG] = key(
        False, "policy: failed logins are throttled or locked by the 20th (DRF throttling, django-axes)", policy=True
    )
    token_no_store: Annotated[bool, v.FLAG] = key(
        False, "policy: token answers carry `Cache-Control: no-store` (simplejwt does not)", policy=True
    )
    password_change_done_path: Annotated[str, v.URL_PATH] = key(
        "/admin/password_change/done/",
        "policy: where a successful password change redirects (Django's 302)",
        policy=True,
    )
    bearer_scheme_case_insensitive: Annotated[bool, v.FLAG] = key(
        False,
        "policy: `bearer` and `BEARER` work like `Bearer` (RFC 7235 §2.1); simplejwt takes `Bearer` only, so by "
        "default a refusal is a low interoperability note",
        policy=True,
    )
    csrf_failure_reason: Annotated[bool, v.FLAG] = key(
        False,
        "policy: the legacy 403 page states Django's CSRF failure reason (Django does with DEBUG=True)",
        policy=True,
    )
    forwarded_proto_https: Annotated[bool, v.FLAG] = key(
        False,
        "policy: the legacy site takes `X-Forwarded-Proto: https` as secure (Django's SECURE_PROXY_SSL_HEADER)",
        policy=True,
    )
    user_id_types: Annotated[frozenset[str], v.JSON_TYPES] = key(
        frozenset({"integer", "string"}),
        "policy: JSON types of `user_id` the API may accept for the same user (simplejwt 5.5 issues strings)",
        policy=True,
    )
    audience: Annotated[str, v.TEXT] | None = key(
        None, "policy: the `aud` your API checks (simplejwt's AUDIENCE); unset, `aud` is not checked", policy=True
    )
    max_access_lifetime: Annotated[float, v.duration(v.YEAR)] = key(
        v.DAY,
        'policy: the longest access-token lifetime (`exp - iat`) the API may issue, e.g. `"1d"` or `"15m"` '
        "(simplejwt's default is 5 minutes); a longer one is medium",
        policy=True,
    )
    ws_session_revocation: Annotated[bool, v.FLAG] = key(
        False,
        "policy: an open chat socket stops serving its user at logout or deactivation (Django Channels checks at "
        "connect only)",
        policy=True,
    )
