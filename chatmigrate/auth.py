"""Auth adapters: how each target proves who we are, and how we prove it again when that dies.

One adapter per kind (session, bearer, token-endpoint, mint). All share one
contract: ``prepare`` logs in, ``apply`` decorates a request, ``needs_reauth``
recognises a dead credential in a response, and ``send`` retries once after a
fresh login. Every secret handled here is registered for redaction first.
"""

from __future__ import annotations

import abc
import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import jwt

from chatmigrate.bounded import DEFAULT_MAX_BODY_BYTES, MAX_REDIRECTS, BadAnswer, describe, fetch, read_whole
from chatmigrate.config import CHAT_PATH, AuthConfig
from chatmigrate.django_forms import FORM_TOKEN as _FORM_TOKEN
from chatmigrate.errors import ConfigError, TransportError
from chatmigrate.redact import register_secret

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing: no CSRF header needed, and a corpus may send them anywhere."""


class AuthFailed(ConfigError):
    """Credentials that the target explicitly refuses: a config problem (wrong reference or user), exit 2.

    Anything else going wrong during a login (no answer, a 5xx, a page we cannot read) is the
    target's fault: a ``TransportError``, exit 3, retried like any other transport failure.
    """


@dataclass(frozen=True, slots=True)
class LoginBounds:
    """What one login exchange may cost: bytes per body, and seconds for the whole exchange."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    timeout: float | None = None


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

    def __init__(self, principal: str, bounds: LoginBounds | None = None) -> None:
        self.principal = principal
        self.bounds = bounds or LoginBounds()
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

    async def _exchange(
        self, client: httpx.AsyncClient, request: httpx.Request, what: str, *, redirects: int = 0
    ) -> httpx.Response:
        """One login request, read whole within the bounds; any failure to get an answer is the target's."""
        try:
            return await fetch(
                client,
                request,
                limit=self.bounds.max_body_bytes,
                timeout=self.bounds.timeout,
                max_redirects=redirects,
            )
        except BadAnswer as error:
            raise TransportError(f"{what} at {request.url}: {error}") from None
        except httpx.HTTPError as error:
            raise TransportError(
                f"{what} at {request.url}: cannot reach it or get a usable answer ({describe(error)})"
            ) from None


async def send(
    client: httpx.AsyncClient,
    auth: AuthAdapter,
    build: Callable[[], httpx.Request],
    *,
    stream: bool = False,
    limit: int = DEFAULT_MAX_BODY_BYTES,
) -> httpx.Response:
    """Send with auth; when the credential turns out dead, log in again and retry exactly once.

    Unless the caller streams (and bounds the body itself), the answer is read whole within ``limit``.
    """
    generation = auth.generation
    response = await _send_once(client, auth, build)
    if auth.needs_reauth(response):
        await response.aclose()
        await auth.reauthenticate(client, generation)
        response = await _send_once(client, auth, build)
    return response if stream else await read_whole(response, limit)


async def _send_once(
    client: httpx.AsyncClient, auth: AuthAdapter, build: Callable[[], httpx.Request]
) -> httpx.Response:
    request = build()
    await auth.apply(request)
    return await client.send(request, stream=True)


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
        bounds: LoginBounds | None = None,
    ) -> None:
        super().__init__(username, bounds)
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
        what = "session login page"
        page = await self._exchange(client, client.build_request("GET", url), what, redirects=MAX_REDIRECTS)
        csrf = page.cookies.get("csrftoken")
        if page.status_code != 200 or not csrf:
            hint = "; is login_path right?" if page.status_code in (200, 404) else ""
            raise TransportError(
                f"{what} at {page.url}: status {page.status_code}, "
                f"{'no csrftoken cookie' if not csrf else 'not the login form'}{hint}"
            )
        register_secret(csrf)
        form = _FORM_TOKEN.search(_strict_text(page, what))
        form_token = form.group(1) if form else csrf
        register_secret(form_token)
        post = client.build_request(
            "POST",
            url,
            data={
                "username": self.username,
                "password": self._password,
                "csrfmiddlewaretoken": form_token,
                "next": self.next_path,
            },
            headers={"Cookie": f"csrftoken={csrf}", "Referer": url, "Origin": self._origin},
        )
        answer = await self._exchange(client, post, f"session login as {self.username!r}")
        session = answer.cookies.get("sessionid")
        if answer.status_code == 200:
            raise AuthFailed(
                f"session login as {self.username!r} at {url} refused: the login form came back "
                "(wrong password, unknown or non-staff user)"
            )
        if answer.status_code not in _REDIRECTS or not session:
            missing = ", no sessionid cookie" if answer.status_code in _REDIRECTS else ""
            raise TransportError(f"session login as {self.username!r} at {url}: status {answer.status_code}{missing}")
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


class AnonymousAuth(AuthAdapter):
    """No credential: the principal nobody, and the stand-in for a principal whose login a side refused."""

    kind = "none"

    async def apply(self, request: httpx.Request) -> None:
        return None


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
        bounds: LoginBounds | None = None,
    ) -> None:
        super().__init__(username, bounds)
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
        what = f"token login as {self.username!r}"
        request = client.build_request("POST", url, json={"username": self.username, "password": self._password})
        answer = await self._exchange(client, request, what)
        if answer.status_code == 401:
            raise AuthFailed(f"{what} at {url} refused: status 401 (wrong password, unknown or inactive user)")
        tokens = _json_object(answer)
        if answer.status_code != 200 or not isinstance(tokens.get("access"), str):
            raise TransportError(f"{what} at {url}: status {answer.status_code}, {_no_token(answer)}")
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
        """Refresh first (cheap, keeps the session family), a full login when refresh is refused.

        A 4xx is a refusal (simplejwt answers 401 to an expired or blacklisted refresh token; a
        deployment without the endpoint answers 404); a 5xx or no answer is the target's fault.
        """
        if self._refresh:
            url = self.base_url + self.refresh_path
            request = client.build_request("POST", url, json={"refresh": self._refresh})
            answer = await self._exchange(client, request, "token refresh")
            access = _json_object(answer).get("access")
            if answer.status_code == 200 and isinstance(access, str):
                self._set_access(access)
                return
            if not 400 <= answer.status_code < 500:
                raise TransportError(f"token refresh at {url}: status {answer.status_code}, {_no_token(answer)}")
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


def build_auth(
    config: AuthConfig,
    target_base_url: str,
    *,
    env: Mapping[str, str] | None = None,
    bounds: LoginBounds | None = None,
) -> AuthAdapter:
    """The adapter a target's ``[auth]`` table describes, with its secrets resolved."""
    base_url = config.base_url or target_base_url
    if config.kind in ("session", "token-endpoint"):
        password = resolve_secret(
            env_name=config.password_env, file=config.password_file, inline=config.password, what="password", env=env
        )
        username = config.username or ""
        if config.kind == "session":
            return SessionAuth(base_url, username, password, login_path=config.login_path, bounds=bounds)
        return TokenEndpointAuth(
            base_url,
            username,
            password,
            token_path=config.token_path,
            refresh_path=config.refresh_path,
            refresh_margin=config.refresh_margin,
            bounds=bounds,
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
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _no_token(response: httpx.Response) -> str:
    kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    return f"no access token in the answer ({kind}, {len(response.content)} bytes)"


def _strict_text(response: httpx.Response, what: str) -> str:
    """The body as the text it claims to be; mojibake from a login page is a broken target, not a login."""
    try:
        return response.content.decode(response.encoding or "utf-8")
    except (UnicodeDecodeError, LookupError):
        raise TransportError(
            f"{what} at {response.url}: status {response.status_code}, "
            f"the body is not valid {response.encoding or 'utf-8'} text"
        ) from None
