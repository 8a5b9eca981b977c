"""Auth adapters: how each target proves who we are, and how we prove it again when that dies.

One adapter per kind (session, bearer, token-endpoint, mint). All share one
contract: ``prepare`` logs in, ``apply`` decorates a request, ``needs_reauth``
recognises a dead credential in a response, and ``send`` retries once after a
fresh login. Every secret handled here is registered for redaction first.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import jwt

from chatmigrate.config import CHAT_PATH, AuthConfig
from chatmigrate.django_forms import FORM_TOKEN as _FORM_TOKEN
from chatmigrate.errors import ConfigError, UsageError
from chatmigrate.redact import MASK, register_secret

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing: no CSRF header needed, and a corpus may send them anywhere."""


class AuthFailed(ConfigError):
    """Credentials that the target refuses: a config problem (wrong reference or user), exit 2."""


def resolve_secret(
    *, env_name: str | None, file: Path | None, inline: str | None, what: str, env: Mapping[str, str] | None = None
) -> str:
    """The secret behind a reference; the value itself is registered and never echoed."""
    env = os.environ if env is None else env
    if inline:
        value = inline
    elif env_name:
        if not env.get(env_name):
            raise ConfigError(f"environment variable {env_name} (the {what}) is not set or empty")
        value = env[env_name]
    elif file is not None:
        try:
            value = file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"cannot read the {what} file: {error.strerror}", file=str(file)) from None
        if not value:
            raise ConfigError(f"the {what} file is empty", file=str(file))
    else:
        raise ConfigError(f"no {what} given: set {what.replace(' ', '_')}_env or {what.replace(' ', '_')}_file")
    register_secret(value)
    return value


def token_claims(token: str) -> dict[str, Any]:
    """Unverified claims: enough to learn the subject and expiry of a token we were handed."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def mint_token(
    secret: str, *, user_id: int, username: str, role: str, ttl: float, email: str = "", now: float | None = None
) -> str:
    """An HS256 access token with exactly the claims the JWT tier issues."""
    issued = int(now if now is not None else time.time())
    claims = {
        "user_id": user_id,
        "username": username,
        "email": email,
        "role": role,
        "exp": issued + int(ttl),
        "iat": issued,
    }
    token = jwt.encode(claims, secret, algorithm="HS256")
    register_secret(token)
    return token


class AuthAdapter(abc.ABC):
    """Shared re-login machinery: one login at a time, and only if nobody else already redid it."""

    kind: ClassVar[str] = ""

    def __init__(self, principal: str) -> None:
        self.principal = principal
        self.generation = 0
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def login(self, client: httpx.AsyncClient) -> None:  # noqa: B027  (a deliberate no-op default)
        """Obtain a fresh credential; adapters with a static credential have nothing to do."""

    async def prepare(self, client: httpx.AsyncClient) -> None:
        await self.reauthenticate(client, self.generation)

    def _login_lock(self) -> asyncio.Lock:
        """One lock per event loop: an adapter outlives one (the replay's, then WebSocket parity's)."""
        loop = asyncio.get_running_loop()
        if loop not in self._locks:
            self._locks = {loop: asyncio.Lock()}
        return self._locks[loop]

    async def reauthenticate(self, client: httpx.AsyncClient, seen_generation: int) -> None:
        await self._renew_once(seen_generation, lambda: self.login(client))

    async def _renew_once(self, seen_generation: int, renew: Callable[[], Awaitable[None]]) -> None:
        async with self._login_lock():
            if self.generation == seen_generation:
                await renew()
                self.generation += 1

    @abc.abstractmethod
    async def apply(self, request: httpx.Request) -> None:
        """Put the credential on the request; every adapter says how."""

    def needs_reauth(self, response: httpx.Response) -> bool:
        return False

    def bearer_token(self) -> str | None:
        """The access token, for the WebSocket auth message and direct API calls; None for sessions."""
        return None


async def send(
    client: httpx.AsyncClient, auth: AuthAdapter, build: Callable[[], httpx.Request], *, stream: bool = False
) -> httpx.Response:
    """Send with auth; when the credential turns out dead, log in again and retry exactly once."""
    generation = auth.generation
    response = await _send_once(client, auth, build, stream)
    if not auth.needs_reauth(response):
        return response
    await response.aclose()
    await auth.reauthenticate(client, generation)
    return await _send_once(client, auth, build, stream)


async def _send_once(
    client: httpx.AsyncClient, auth: AuthAdapter, build: Callable[[], httpx.Request], stream: bool
) -> httpx.Response:
    request = build()
    await auth.apply(request)
    return await client.send(request, stream=stream)


class SessionAuth(AuthAdapter):
    """Django admin login: csrftoken from the login page, form POST, then the ``sessionid`` cookie."""

    kind = "session"

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        login_path: str = "/admin/login/",
        next_path: str = CHAT_PATH,
    ) -> None:
        super().__init__(username)
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.login_path = login_path
        self.next_path = next_path
        self._csrf = ""
        self._session = ""
        register_secret(password)

    @property
    def _origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    async def login(self, client: httpx.AsyncClient) -> None:
        url = self.base_url + self.login_path
        page = await client.get(url, follow_redirects=False)
        csrf = page.cookies.get("csrftoken")
        if not csrf:
            raise AuthFailed(
                f"session login at {url}: the login page set no csrftoken cookie "
                f"(status {page.status_code}); is login_path right?"
            )
        register_secret(csrf)
        form = _FORM_TOKEN.search(page.text)
        form_token = form.group(1) if form else csrf
        register_secret(form_token)
        answer = await client.post(
            url,
            data={
                "username": self.username,
                "password": self._password,
                "csrfmiddlewaretoken": form_token,
                "next": self.next_path,
            },
            headers={"Cookie": f"csrftoken={csrf}", "Referer": url, "Origin": self._origin},
            follow_redirects=False,
        )
        session = answer.cookies.get("sessionid")
        if answer.status_code not in _REDIRECTS or not session:
            reason = (
                "the login form came back: wrong password, unknown or non-staff user"
                if answer.status_code == 200
                else f"status {answer.status_code}"
            )
            raise AuthFailed(f"session login as {self.username!r} at {url} failed ({reason})")
        register_secret(session)
        self._session = session
        self._csrf = answer.cookies.get("csrftoken") or csrf
        register_secret(self._csrf)

    async def apply(self, request: httpx.Request) -> None:
        request.headers["Cookie"] = f"csrftoken={self._csrf}; sessionid={self._session}"
        if request.method.upper() not in SAFE_METHODS:
            request.headers["X-CSRFToken"] = self._csrf
            request.headers["Referer"] = self.base_url + self.login_path
            request.headers["Origin"] = self._origin

    def needs_reauth(self, response: httpx.Response) -> bool:
        """Django's answer to a dead session: a redirect to the login page."""
        if response.status_code not in _REDIRECTS:
            return False
        location: str = response.headers.get("location", "")
        return urlsplit(location).path.startswith(self.login_path)


class BearerAuth(AuthAdapter):
    """A static token handed to us; nothing to renew."""

    kind = "bearer"

    def __init__(self, token: str) -> None:
        claims = token_claims(token)
        super().__init__(str(claims.get("username") or claims.get("sub") or "bearer token"))
        register_secret(token)
        self._token = token

    async def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self._token}"

    def bearer_token(self) -> str | None:
        return self._token


class TokenEndpointAuth(AuthAdapter):
    """Username/password for access + refresh; refresh shortly before ``exp``, log in again if that fails."""

    kind = "token-endpoint"

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        token_path: str = "/api/v1/auth/token/",
        refresh_path: str = "/api/v1/auth/token/refresh/",
        refresh_margin: float = 30.0,
    ) -> None:
        super().__init__(username)
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.token_path = token_path
        self.refresh_path = refresh_path
        self.refresh_margin = refresh_margin
        self._client: httpx.AsyncClient | None = None
        self._access = ""
        self._refresh = ""
        self._expires = 0.0
        register_secret(password)

    async def login(self, client: httpx.AsyncClient) -> None:
        self._client = client
        url = self.base_url + self.token_path
        answer = await client.post(
            url, json={"username": self.username, "password": self._password}, follow_redirects=False
        )
        tokens = _json_object(answer)
        if answer.status_code != 200 or not isinstance(tokens.get("access"), str):
            raise AuthFailed(f"token login as {self.username!r} at {url} failed (status {answer.status_code})")
        refresh = tokens.get("refresh")
        self._refresh = refresh if isinstance(refresh, str) else ""
        register_secret(self._refresh)
        self._set_access(tokens["access"])

    def _set_access(self, access: str) -> None:
        register_secret(access)
        self._access = access
        claims = token_claims(access)
        self.principal = str(claims.get("username") or self.username)
        expires = claims.get("exp")
        self._expires = float(expires) if isinstance(expires, int | float) else float("inf")

    async def _renew(self, client: httpx.AsyncClient) -> None:
        """Refresh first (cheap, keeps the session family), a full login only when refresh is refused."""
        if self._refresh:
            answer = await client.post(
                self.base_url + self.refresh_path, json={"refresh": self._refresh}, follow_redirects=False
            )
            access = _json_object(answer).get("access")
            if answer.status_code == 200 and isinstance(access, str):
                self._set_access(access)
                return
        await self.login(client)

    async def apply(self, request: httpx.Request) -> None:
        client = self._client
        if client is not None and time.time() >= self._expires - self.refresh_margin:
            await self._renew_once(self.generation, lambda: self._renew(client))
        request.headers["Authorization"] = f"Bearer {self._access}"

    def needs_reauth(self, response: httpx.Response) -> bool:
        return response.status_code == 401

    def bearer_token(self) -> str | None:
        return self._access


class MintAuth(AuthAdapter):
    """Tokens signed locally with the shared secret: staging pairs where no login endpoint is usable."""

    kind = "mint"

    def __init__(
        self,
        secret: str,
        *,
        user_id: int,
        username: str,
        role: str = "admin",
        email: str = "",
        ttl: float = 900.0,
        refresh_margin: float = 30.0,
    ) -> None:
        super().__init__(username)
        register_secret(secret)
        self._secret = secret
        self.user_id, self.username, self.role, self.email = user_id, username, role, email
        self.ttl = ttl
        self.refresh_margin = min(refresh_margin, ttl / 2)
        self._token = ""
        self._expires = 0.0

    async def apply(self, request: httpx.Request) -> None:
        now = time.time()
        if now >= self._expires - self.refresh_margin:
            self._token = mint_token(
                self._secret,
                user_id=self.user_id,
                username=self.username,
                role=self.role,
                email=self.email,
                ttl=self.ttl,
                now=now,
            )
            self._expires = now + self.ttl
        request.headers["Authorization"] = f"Bearer {self._token}"

    def bearer_token(self) -> str | None:
        return self._token or None


def build_auth(config: AuthConfig, target_base_url: str, *, env: Mapping[str, str] | None = None) -> AuthAdapter:
    """The adapter a target's ``[auth]`` table describes, with its secrets resolved."""
    base_url = config.base_url or target_base_url
    if config.kind in ("session", "token-endpoint"):
        password = resolve_secret(
            env_name=config.password_env, file=config.password_file, inline=config.password, what="password", env=env
        )
        username = config.username or ""
        if config.kind == "session":
            return SessionAuth(base_url, username, password, login_path=config.login_path)
        return TokenEndpointAuth(
            base_url,
            username,
            password,
            token_path=config.token_path,
            refresh_path=config.refresh_path,
            refresh_margin=config.refresh_margin,
        )
    if config.kind == "bearer":
        return BearerAuth(
            resolve_secret(env_name=config.token_env, file=config.token_file, inline=None, what="token", env=env)
        )
    if config.kind == "mint":
        secret = resolve_secret(
            env_name=config.secret_env, file=config.secret_file, inline=config.secret, what="secret", env=env
        )
        return MintAuth(
            secret,
            user_id=config.user_id or 0,
            username=config.username or "",
            role=config.role,
            email=config.email or "",
            ttl=config.ttl,
            refresh_margin=config.refresh_margin,
        )
    raise ConfigError(f"unknown auth kind {config.kind!r}")


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------- token inspection


@dataclass(slots=True)
class TokenReport:
    header: dict[str, Any]
    claims: dict[str, Any]
    expiry: str
    signature: str


def inspect_token(token: str, *, secret: str | None = None, now: float | None = None) -> TokenReport:
    """Decode without trusting: header, claims, expiry in words, and the signature's status if we can check."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise UsageError(f"not a JWT: expected 3 dot-separated parts, got {len(parts)}")
    header, claims = (_b64_json(part, name) for part, name in ((parts[0], "header"), (parts[1], "payload")))
    return TokenReport(
        header=header,
        claims=claims,
        expiry=_expiry_words(claims.get("exp"), now),
        signature=_signature_status(token.strip(), header, secret),
    )


def _b64_json(segment: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"not a JWT: the {name} is not base64url-encoded JSON") from None
    if not isinstance(value, dict):
        raise UsageError(f"not a JWT: the {name} is not a JSON object")
    return value


def _expiry_words(exp: Any, now: float | None) -> str:
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return "no usable exp claim: the token never expires" if exp is None else f"exp is not a number: {exp!r}"
    try:
        moment = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(exp))
    except (OverflowError, ValueError, OSError):
        # exp = 1e20 or NaN: a forged or broken token is exactly what inspect is for.
        return f"exp {exp!r} is not a valid time"
    delta = exp - (time.time() if now is None else now)
    if delta >= 0:
        return f"expires in {human_duration(delta)} ({moment})"
    return f"expired {human_duration(-delta)} ago ({moment})"


def human_duration(seconds: float) -> str:
    seconds = int(seconds)
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    parts = []
    for name, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{name}")
    return " ".join(parts[:2]) or "0s"


def _signature_status(token: str, header: dict[str, Any], secret: str | None) -> str:
    if str(header.get("alg", "")).lower() == "none":
        return f"{MASK} (alg none: unsigned, never acceptable)"
    if secret is None:
        return f"{MASK} (not checked: pass --secret-env or --secret-file)"
    try:
        jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
        )
    except jwt.InvalidAlgorithmError:
        return f"{MASK} (not checked: alg {header.get('alg')!r} is not HS256)"
    except jwt.InvalidSignatureError:
        return f"{MASK} (INVALID for the given secret)"
    except jwt.PyJWTError as error:
        return f"{MASK} (cannot check: {error})"
    return f"{MASK} (valid HS256 signature for the given secret)"
