"""Building tokens an attacker (or a confused client) would send, byte by byte.

PyJWT refuses to produce most of these (``alg: none`` with a signature, raw JSON
such as ``1e999``, a header that is not JSON), so tokens are assembled here from
segments. Every token carries a ``TokenNote`` that describes it without the
token itself, which is what reports show.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HMAC_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
WEAK_SECRETS = ("secret", "password", "changeme", "123456", "jwt", "admin", "your-256-bit-secret", "key")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    """Lenient about padding, as most JWT libraries are; raises ValueError on other damage."""
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError(str(error)) from None


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class TokenNote:
    """What a report may say about a token: its shape and decoded parts, never the token."""

    signing: str
    header: Any = None
    claims: Any = None
    shape: str = ""
    real_key: bool = False

    def describe(self) -> str:
        parts = [f"shape {self.shape}" if self.shape else "", f"signing: {self.signing}"]
        if self.header is not None:
            parts.append(f"header {compact_json(self.header)}")
        if self.claims is not None:
            parts.append(f"claims {compact_json(self.claims)}")
        return "; ".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class Forged:
    token: str = field(repr=False)
    note: TokenNote


@dataclass(frozen=True, slots=True)
class Decoded:
    header: dict[str, Any]
    claims: dict[str, Any]
    segments: tuple[str, ...] = field(default=(), repr=False)

    @property
    def signature(self) -> str:
        return self.segments[2] if len(self.segments) > 2 else ""


def shape_of(token: str) -> str:
    """Segment lengths: enough to recognise a truncation or an extra dot in a report."""
    return f"{token.count('.') + 1} segment(s), lengths {'.'.join(str(len(s)) for s in token.split('.'))}"


def decode_unverified(token: str) -> Decoded:
    """The header and claims of a three-segment token whose parts are JSON objects; ValueError otherwise."""
    segments = tuple(token.split("."))
    if len(segments) != 3:
        raise ValueError(f"expected 3 segments, got {len(segments)}")
    try:
        header = json.loads(b64url_decode(segments[0]))
        claims = json.loads(b64url_decode(segments[1]))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"undecodable token: {error}") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("token header and payload must be JSON objects")
    return Decoded(header, claims, segments)


def peek(token: str) -> tuple[Any, Any]:
    """Best-effort decoded header and claims of any string, for notes about damaged tokens."""
    parts = token.split(".")
    decoded: list[Any] = []
    for segment in parts[:2]:
        try:
            decoded.append(json.loads(b64url_decode(segment)))
        except (ValueError, UnicodeDecodeError):
            decoded.append(None)
    decoded += [None] * (2 - len(decoded))
    return decoded[0], decoded[1]


def hmac_signature(signing_input: str, key: bytes, alg: str = "HS256") -> str:
    return b64url(hmac.new(key, signing_input.encode("ascii"), HMAC_HASHES[alg]).digest())


def assemble(
    header: dict[str, Any] | str,
    payload: dict[str, Any] | str,
    *,
    alg: str = "HS256",
    key: bytes | rsa.RSAPrivateKey | None = None,
) -> str:
    """Encode segments (raw JSON text is kept as given) and sign; ``key=None`` leaves the signature empty."""
    head = header if isinstance(header, str) else compact_json(header)
    body = payload if isinstance(payload, str) else compact_json(payload)
    signing_input = f"{b64url(head.encode())}.{b64url(body.encode())}"
    if key is None:
        return f"{signing_input}."
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"
    return f"{signing_input}.{hmac_signature(signing_input, key, alg)}"


def attacker_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str = "chatmigrate-audit") -> dict[str, str]:
    numbers = key.public_key().public_numbers()

    def encode(number: int) -> str:
        return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))

    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": encode(numbers.n), "e": encode(numbers.e)}


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class Forge:
    """Variations of one genuine access token; ``secret`` enables re-signing with the real key."""

    def __init__(self, token: str, secret: str | None) -> None:
        self.valid = decode_unverified(token)
        self.token = token
        self.secret = secret.encode() if secret is not None else None
        self._attacker: rsa.RSAPrivateKey | None = None

    @property
    def attacker(self) -> rsa.RSAPrivateKey:
        """The attacker's own RSA key (jwk, jku, x5u cases), made once per run."""
        if self._attacker is None:
            self._attacker = attacker_key()
        return self._attacker

    @property
    def header(self) -> dict[str, Any]:
        return dict(self.valid.header)

    @property
    def claims(self) -> dict[str, Any]:
        return dict(self.valid.claims)

    def make(
        self,
        signing: str,
        *,
        header: dict[str, Any] | str | None = None,
        claims: dict[str, Any] | str | None = None,
        alg: str = "HS256",
        key: bytes | rsa.RSAPrivateKey | None = None,
        real_key: bool = False,
    ) -> Forged:
        head = self.header if header is None else header
        body = self.claims if claims is None else claims
        token = assemble(head, body, alg=alg, key=key)
        shown_head, shown_claims = peek(token)
        return Forged(token, TokenNote(signing, shown_head, shown_claims, shape_of(token), real_key))

    def real(
        self,
        *,
        header: dict[str, Any] | str | None = None,
        claims: dict[str, Any] | str | None = None,
        alg: str = "HS256",
    ) -> Forged:
        """Signed with the target's own key: a token only the issuer could have made."""
        if self.secret is None:
            raise LookupError("no signing secret")
        return self.make(
            f"{alg} with the real key", header=header, claims=claims, alg=alg, key=self.secret, real_key=True
        )

    def with_claims(self, **changes: Any) -> dict[str, Any]:
        claims = self.claims
        for name, value in changes.items():
            if value is _DROP:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def keep_signature(
        self,
        *,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | str | None = None,
        signing: str = "original signature kept",
    ) -> Forged:
        """Edited header or payload with the genuine signature pasted back on."""
        unsigned = self.make(signing, header=header, claims=claims).token
        token = unsigned + self.valid.signature
        shown_head, shown_claims = peek(token)
        return Forged(token, TokenNote(signing, shown_head, shown_claims, shape_of(token)))

    def damaged(self, token: str, signing: str) -> Forged:
        """Any string derived from the genuine token (truncated, padded, re-segmented)."""
        shown_head, shown_claims = peek(token)
        return Forged(token, TokenNote(signing, shown_head, shown_claims, shape_of(token)))


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


_DROP = _Drop()
DROP: Any = _DROP
