"""One request (or WebSocket attempt) a case sends, what the safe answer is, and what came back.

Probes are plain data so that the same probe can be sent, judged, and turned into
a reproducer by three different modules without any of them knowing the others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum

from chatmigrate.audit.forge import TokenNote
from chatmigrate.vocab import FindingKind, Severity


class Expect(str, Enum):
    """The safe outcome of a probe; ``describe`` is what the catalogue documents."""

    REFUSED = "refused"
    FORBIDDEN = "forbidden"
    REFUSED_OR_REJECTED = "refused-or-rejected"
    CLEAN_EITHER = "clean-either"
    ACCEPTED = "accepted"
    INTEROPERABLE = "interoperable"
    LOGIN_REDIRECT = "login-redirect"
    CSRF_REJECTED = "csrf-rejected"
    WS_REFUSED = "ws-refused"
    WS_ACCEPTED = "ws-accepted"
    WS_URL_TRUSTED = "ws-url-trusted"
    TOKEN_REFUSED = "token-refused"
    TOKEN_ISSUED = "token-issued"
    THROTTLED = "throttled"
    INSPECTED = "inspected"
    NO_DATA = "no-data"
    WS_SESSION_REFUSED = "ws-session-refused"
    WS_OWN_IDENTITY = "ws-own-identity"

    def describe(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Expect.REFUSED: "401 shaped like the tier's certain refusals, clean",
    Expect.FORBIDDEN: "403 shaped like the tier's certain refusals, clean",
    Expect.REFUSED_OR_REJECTED: "401 refusal, or 400/431 from the HTTP layer; never data or 5xx",
    Expect.CLEAN_EITHER: "either answer (200 JSON, 400, a 401/403 refusal), but clean",
    Expect.ACCEPTED: "200 JSON with data (documented policy)",
    Expect.INTEROPERABLE: "200 JSON with data as the standard allows; a refusal is a low interoperability note",
    Expect.LOGIN_REDIRECT: "302 to the login page with ?next=, never data",
    Expect.CSRF_REJECTED: "403 (Django's CSRF page); its reason text only where declared",
    Expect.WS_REFUSED: "handshake refused, or closed with a 44xx code before any chat data",
    Expect.WS_ACCEPTED: "connected (documented policy)",
    Expect.WS_URL_TRUSTED: "url mode: reported as impersonation (known-legacy); jwt mode: refused",
    Expect.TOKEN_REFUSED: "401 (or 400) from the token endpoint, no token issued, clean",
    Expect.TOKEN_ISSUED: "200 JSON with a token",
    Expect.THROTTLED: "429 (throttled) or 403 (locked out)",
    Expect.INSPECTED: "any status; the case inspects the answer's headers, cookies or content",
    Expect.NO_DATA: "any answer but protected data (a public URL stays public), clean",
    Expect.WS_SESSION_REFUSED: "the message refused: the socket closed with a 44xx code or answered an error, "
    "never carried",
    Expect.WS_OWN_IDENTITY: "the message refused, or carried as the socket's own user into the room it joined only",
}


@dataclass(frozen=True, slots=True)
class HeaderDemand:
    """A header a standard requires on answers of one status, and a word its value must hold."""

    name: str
    word: str
    status: int
    severity: Severity


@dataclass(frozen=True, slots=True)
class HttpProbe:
    """Kept out of its repr: the URL, headers, body and token, any of which may carry a real credential."""

    label: str
    method: str
    url: str = field(repr=False)
    expect: Expect
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    body: bytes | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    """The token presented, so that an echo of it (or of its signature) can be recognised."""
    note: TokenNote | None = None
    breach: Severity = Severity.CRITICAL
    """Severity when access is granted although the probe should be refused."""
    reason: str | None = None
    """For CSRF probes: the reason Django's 403 page must give, when the policy declares that it gives one."""
    raw: bool = False
    """Send over a raw socket: a header holds bytes (or non-ASCII text) an HTTP client refuses to send."""
    timed: bool = False
    """Judge the latency against the run's median (injected-delay cases)."""
    canary: str | None = None
    """A URL the server must never fetch (``jku``/``x5u``); a hit on it is an outbound-fetch finding."""
    gap: str | None = None
    """Set when an acceptance is a documented gap of the target, not a breach: it is then an info finding
    with this text (a stateless access token after logout, say)."""
    demand: HeaderDemand | None = None
    same_as: str | None = field(default=None, repr=False)
    """Status and body another request got (``answer_text``): this answer must not differ (user enumeration)."""
    inspect: Inspector | None = field(default=None, repr=False, compare=False)
    """The case's own look at the answer (CORS headers, cookie flags, stored HTML), beside the pass rule."""


@dataclass(frozen=True, slots=True)
class WsSession:
    """A socket over time: once it is in, ``change`` alters the world (a logout, a deactivation, the token's
    expiry), then ``message`` goes out on it. Its text holds ``marker``, so the message is known wherever it shows."""

    message: str
    marker: str
    change: Callable[[], Awaitable[None]] | None = field(default=None, repr=False, compare=False)
    change_label: str = ""
    """What ``change`` does, in words: 'its token expired'."""
    witness_url: str | None = field(default=None, repr=False)
    """A second socket, in another room, that must never see the message."""
    witness_first: str | None = field(default=None, repr=False)
    foreign: tuple[tuple[str, object], ...] = ()
    """Key and value a carried message must not show: another user as its sender, another room as its room."""
    gap: str | None = None
    """Set when a carried message is a documented gap of the target: an info finding with this text."""
    first: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    """Builds the first message as the socket opens, in place of the probe's: a token that expires within
    seconds must not age while the probe waits its turn."""


@dataclass(frozen=True, slots=True)
class WsProbe:
    label: str
    url: str
    expect: Expect
    origin: str | None = None
    first_message: str | None = field(default=None, repr=False)
    """The auth message of jwt mode: it carries a token, so it stays out of the repr."""
    token: str | None = field(default=None, repr=False)
    note: TokenNote | None = None
    breach: Severity = Severity.CRITICAL
    wait: float = 1.5
    """How long to listen for frames or a close after the handshake (and after the first message)."""
    session: WsSession | None = None
    """Keep the socket open past its first frame, change the world, then send a message (``socket_session``)."""


Probe = HttpProbe | WsProbe


@dataclass(slots=True)
class HttpObservation:
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    elapsed_ms: float = 0.0
    error: str | None = None
    sent: bool = True
    """False when the HTTP client itself refused the request (an illegal header): the server saw nothing."""
    unreachable: bool = False
    """Nobody accepted the connection: a transport failure, not an answer."""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()


@dataclass(slots=True)
class WsObservation:
    handshake_status: int | None = None
    """101 when the upgrade was accepted, else the HTTP status of the refusal."""
    close_code: int | None = None
    close_reason: str = ""
    frames: list[str] = field(default_factory=list)
    still_open: bool = False
    handshake_body: str = ""
    elapsed_ms: float = 0.0
    error: str | None = None
    unreachable: bool = False
    session: WsSessionSeen | None = None


@dataclass(slots=True)
class WsSessionSeen:
    """What followed the change: the frames after the message, the close, and what the witness socket got."""

    replies: list[str] = field(default_factory=list)
    witnessed: list[str] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""
    error: str | None = None
    """The change or the witness failed: the case could not be run as built."""


Observation = HttpObservation | WsObservation
Concern = tuple[Severity, FindingKind, str]
"""One broken property a case's inspector found: it becomes a violation like the pass rule's own."""
Inspector = Callable[[HttpObservation], list[Concern]]


@dataclass(frozen=True, slots=True)
class NotApplicable:
    reason: str
