"""The live state a run needs before any case: real credentials, a chatroom, what its data looks like.

Everything secret obtained here (passwords, tokens, session ids, CSRF values) is
registered with ``redact`` the moment it is known, so no later output can carry it.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from chatmigrate.audit.canary import Canary
from chatmigrate.audit.forge import Forge, decode_unverified
from chatmigrate.audit.probe import Expect, HttpProbe
from chatmigrate.audit.target import AuditOptions, AuditTarget, Principal
from chatmigrate.audit.transport import keep_answer
from chatmigrate.bounded import fetch
from chatmigrate.django_forms import csrf_form_token
from chatmigrate.errors import ConfigError, TransportError
from chatmigrate.redact import register_secret
from chatmigrate.vocab import Severity, Tier, WsAuth

MIN_MARKER_LENGTH = 12
BEARER_TIERS = frozenset(tier for tier in Tier if tier.is_jwt)
"""The tiers whose cases need the principal's token (the WebSocket's jwt mode and user id come from it)."""
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LegacySession:
    sessionid: str = field(repr=False)
    csrftoken: str = field(repr=False)


@dataclass(slots=True)
class AuditContext:
    target: AuditTarget
    options: AuditOptions
    client: httpx.AsyncClient
    token: str | None = field(default=None, repr=False)
    forge: Forge | None = None
    user_id: int | None = None
    forbidden_token: str | None = field(default=None, repr=False)
    forbidden_user_id: int | None = None
    session: LegacySession | None = None
    chatroom_id: int = 1
    player_id: int | None = None
    markers: tuple[str, ...] = ()
    canary: Canary | None = None
    placeholders: dict[str, str] = field(default_factory=dict, repr=False)
    """Secret value to placeholder name: the keys are the secrets themselves."""
    _once: dict[str, asyncio.Future[Any]] = field(default_factory=dict)

    async def once(self, key: str, factory: Callable[[], Awaitable[T]]) -> T:
        """Run a shared setup step (a password change, say) once, whichever case asks first."""
        if key not in self._once:
            self._once[key] = asyncio.ensure_future(factory())
        result: T = await self._once[key]
        return result

    def remember(self, value: str | None, name: str) -> None:
        """A secret this run holds: never printed, and shown as ``$NAME`` in reproducers."""
        if value and len(value) >= 4:
            register_secret(value)
            self.placeholders.setdefault(value, name)

    # -------------------------------------------------------------- URLs
    def chat_url(self, tier: Tier, request_type: str = "recent_messages") -> str:
        target = self.target
        room = {} if request_type == "chat_list" else {"chatroom_id": self.chatroom_id}
        if tier is Tier.PROXY:
            return f"{target.proxy_url}{target.proxy_routes[request_type]}?{urlencode(room)}".rstrip("?")
        base, path = (
            (target.old_url, target.old_chat_path) if tier is Tier.OLD else (target.new_url, target.new_chat_path)
        )
        return f"{base}{path}?{urlencode({'request_type': request_type, **room})}"

    def ws_url(self, query: str | None = None, room: str | None = None) -> str:
        """The chat socket of the discovered room; ``query`` defaults to the principal's user_id."""
        path = self.target.ws_path.format(player_id=self.player_id)
        if room is not None:
            path = path.replace(f"P{self.player_id}Chat", room)
        if query is None:
            query = f"user_id={self.user_id}"
        return f"{self.target.ws_url}{path}" + (f"?{query}" if query else "")

    @property
    def ws_auth(self) -> WsAuth:
        return WsAuth(self.target.ws_auth)

    @property
    def origin(self) -> str:
        """The chat site's own origin: what a legitimate browser page would send."""
        parts = urlsplit(self.target.ws_url or "")
        scheme = "https" if parts.scheme == "wss" else "http"
        return f"{scheme}://{parts.netloc}"

    # -------------------------------------------------------------- probes
    def bearer(
        self,
        tier: Tier,
        label: str,
        token: str,
        *,
        scheme: str = "Bearer",
        **options: Any,
    ) -> HttpProbe:
        """A chat request carrying ``token`` under ``scheme`` in the Authorization header."""
        return self.request(tier, label, (("Authorization", f"{scheme} {token}"),), token=token, **options)

    def request(
        self,
        tier: Tier,
        label: str,
        headers: tuple[tuple[str, str], ...] = (),
        *,
        expect: Expect = Expect.REFUSED,
        token: str | None = None,
        note: Any = None,
        breach: Severity = Severity.CRITICAL,
        raw: bool = False,
        url: str | None = None,
        timed: bool = False,
        canary: str | None = None,
    ) -> HttpProbe:
        return HttpProbe(
            label=label,
            method="GET",
            url=url or self.chat_url(tier),
            expect=expect,
            headers=headers,
            token=token,
            note=note,
            breach=breach,
            raw=raw,
            timed=timed,
            canary=canary,
        )

    @property
    def username(self) -> str:
        if self.target.principal is not None:
            return self.target.principal.username
        name = self.forge.claims.get("username") if self.forge else None
        return name if isinstance(name, str) else "admin"

    def require_forge(self) -> Forge:
        if self.forge is None:
            raise LookupError("no valid token")
        return self.forge

    # -------------------------------------------------------------- credentials
    async def obtain_token(self, principal: Principal, name: str = "TOKEN") -> str:
        url = f"{self.target.token_url}{self.target.token_path}"
        response = await self._call("POST", url, json={"username": principal.username, "password": principal.password})
        access = _json(response).get("access") if response.status_code == 200 else None
        if not isinstance(access, str):
            raise ConfigError(
                f"cannot obtain a token for {principal.username!r} from {url}: status {response.status_code}"
            )
        self.remember(access, name)
        self.remember(_json(response).get("refresh"), f"{name}_REFRESH")
        self.remember(access.rsplit(".", 1)[-1], f"{name}_SIGNATURE")
        return access

    async def login(self, principal: Principal, path: str | None = None) -> LegacySession | None:
        """Django's form login; None when the site answers the form again (bad or non-staff login)."""
        url = f"{self.target.old_url}{path or self.target.login_path}"
        csrftoken, form_token = await self._login_form(url)
        form = {
            "username": principal.username,
            "password": principal.password,
            "csrfmiddlewaretoken": form_token,
            "next": self.target.old_chat_path,
        }
        answer = await self._call("POST", url, data=form, headers={"Cookie": f"csrftoken={csrftoken}", "Referer": url})
        cookies = _cookies(answer)
        sessionid = cookies.get("sessionid")
        if answer.status_code != 302 or not sessionid:
            return None
        self.remember(sessionid, "SESSIONID")
        self.remember(cookies.get("csrftoken"), "CSRFTOKEN")
        return LegacySession(sessionid, cookies.get("csrftoken", csrftoken))

    async def csrf_form(self) -> tuple[str, str]:
        """A fresh (csrftoken cookie, csrfmiddlewaretoken field) pair from the login page."""
        return await self._login_form(f"{self.target.old_url}{self.target.login_path}")

    async def _login_form(self, url: str) -> tuple[str, str]:
        page = await self._call("GET", url)
        cookie = _cookies(page).get("csrftoken", "")
        form_token = csrf_form_token(page.text)
        self.remember(cookie, "CSRFTOKEN")
        if form_token is None or not cookie:
            raise TransportError(f"the login page {url} has no csrftoken cookie or csrfmiddlewaretoken field")
        self.remember(form_token, "CSRF_FORM_TOKEN")
        return cookie, form_token

    async def post_form(self, url: str, form: dict[str, str], session: LegacySession) -> httpx.Response:
        cookie = f"sessionid={session.sessionid}; csrftoken={session.csrftoken}"
        return await self._call("POST", url, data=form, headers={"Cookie": cookie, "Referer": url})

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            request = self.client.build_request(method, url, **kwargs)
            return await fetch(self.client, request, timeout=self.options.timeout)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise TransportError(f"{method} {url}: {type(error).__name__}: {error}") from None

    # -------------------------------------------------------------- discovery
    async def prepare(self) -> None:
        """Real credentials first: every case is a variation of them."""
        target, tiers = self.target, self.options.tiers
        self.remember(target.signing_secret, "JWT_SECRET")
        for principal, name in (
            (target.principal, "PASSWORD"),
            (target.forbidden_principal, "NONSTAFF_PASSWORD"),
            (target.spare_principal, "SPARE_PASSWORD"),
        ):
            if principal is not None:
                self.remember(principal.password, name)
                self.remember(quote(principal.password, safe=""), name)
        if tiers & BEARER_TIERS:
            if target.token:
                self.token = target.token
                self.remember(target.token, "TOKEN")
                self.remember(target.token.rsplit(".", 1)[-1], "TOKEN_SIGNATURE")
            elif target.principal is not None and target.token_url:
                self.token = await self.obtain_token(target.principal)
        if self.token is not None:
            try:
                self.forge = Forge(self.token, target.signing_secret)
            except ValueError as error:
                raise ConfigError(f"the access token is not a usable JWT: {error}") from None
            self.user_id = user_id_of(self.token)
        if target.forbidden_principal is not None and target.token_url and tiers & BEARER_TIERS:
            self.forbidden_token = await self.obtain_token(target.forbidden_principal, "NONSTAFF_TOKEN")
            self.forbidden_user_id = user_id_of(self.forbidden_token)
        if target.old_url and Tier.OLD in tiers and target.principal is not None:
            self.session = await self.login(target.principal)
            if self.session is None:
                raise ConfigError(
                    f"cannot log in to {target.old_url}{target.login_path} as {target.principal.username!r}"
                )
        await self._discover()

    async def _discover(self) -> None:
        headers = self._auth_headers()
        if headers is None:
            return
        tier = Tier.NEW if self.token else Tier.OLD
        chats = _json(await self._call("GET", self.chat_url(tier, "chat_list"), headers=headers)).get("chats")
        if isinstance(chats, list) and chats and isinstance(chats[0], dict):
            self.chatroom_id = int(chats[0].get("chatroom_id", self.chatroom_id))
            self.player_id = chats[0].get("player_id")
        messages = _json(await self._call("GET", self.chat_url(tier), headers=headers)).get("messages")
        found = {
            str(item.get(key))
            for item in messages or []
            if isinstance(item, dict)
            for key in ("message", "sender_name")
            if isinstance(item.get(key), str)
        }
        self.markers = tuple(sorted(text for text in found if len(text) >= MIN_MARKER_LENGTH))

    def _auth_headers(self) -> dict[str, str] | None:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.session:
            return {"Cookie": f"sessionid={self.session.sessionid}"}
        return None


def no_cookie_client(timeout: float, concurrency: int) -> httpx.AsyncClient:
    """A client that never stores cookies: every probe carries exactly the credentials it names."""
    jar = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        cookies=jar,
        timeout=timeout,
        follow_redirects=False,
        limits=limits,
        event_hooks={"response": [keep_answer]},
    )


def _cookies(response: httpx.Response) -> dict[str, str]:
    out: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        out.update({name: morsel.value for name, morsel in jar.items()})
    return out


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def user_id_of(token: str) -> int | None:
    """The token's ``user_id``: an integer, or the decimal string simplejwt 5.5 issues."""
    value = decode_unverified(token).claims.get("user_id")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
