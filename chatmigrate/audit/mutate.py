"""Property-based token mutation: hypothesis varies a genuine token, the pass rule judges each answer.

Mutations: bit flips and character swaps, truncation, claims changed and signed
with a wrong key, header fields changed, and time claims of every JSON type
signed with the real key (when it is known). A mutant that decodes to exactly
the genuine token's bytes, or whose time claims are valid under the documented
policy, may be accepted; every other mutant must be refused cleanly.
``hypothesis.find`` shrinks the first failure to a minimal token. Runs are
seeded, bounded by ``budget`` and use no example database, so a seed replays;
``scratch_storage`` keeps hypothesis's other caches out of the user's directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from random import Random
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory
from hypothesis.errors import Flaky, NoSuchExample

from chatmigrate.audit.context import no_cookie_client
from chatmigrate.audit.forge import HMAC_HASHES, Forge, TokenNote, b64url_decode, compact_json, peek, shape_of
from chatmigrate.audit.probe import Expect, HttpObservation, HttpProbe
from chatmigrate.audit.rules import JudgeContext, Violation, judge
from chatmigrate.audit.transport import send_http
from chatmigrate.vocab import Tier

SAFE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
TIME_CLAIMS = ("exp", "iat", "nbf")
BOUNDARY_SLACK = 60
HEADER_ALGS: tuple[Any, ...] = ("none", "None", "HS384", "HS512", "RS256", "ES256", "", None, 256, ["HS256"])


@dataclass(frozen=True, slots=True)
class Mutant:
    token: str = field(repr=False)
    kind: str
    detail: str
    expect: Expect
    note: TokenNote


@dataclass(slots=True)
class MutationOutcome:
    examples: int
    seed: int
    budget: int
    mutant: Mutant | None = None
    probe: HttpProbe | None = None
    observation: HttpObservation | None = None
    violations: list[Violation] | None = None


@contextlib.contextmanager
def scratch_storage() -> Iterator[None]:
    """Hypothesis (and schemathesis through it) caches under ``./.hypothesis`` even with no example
    database: point it at a directory removed afterwards, then give the host process its own back."""
    previous = storage_directory(intent_to_write=False).path
    with tempfile.TemporaryDirectory(prefix="chatmigrate-hypothesis-") as scratch:
        set_hypothesis_home_dir(scratch)
        try:
            yield
        finally:
            set_hypothesis_home_dir(previous)


def equivalent(token: str, genuine: str) -> bool:
    """Same segments decoding to the same bytes: a change only in base64 padding bits."""
    mine, theirs = token.split("."), genuine.split(".")
    if len(mine) != len(theirs):
        return False
    try:
        return all(b64url_decode(a) == b64url_decode(b) for a, b in zip(mine, theirs, strict=True))
    except ValueError:
        return False


def policy_valid(claims: Any, leeway: int, now: float) -> bool | None:
    """Would the documented policy accept these time claims? None when too close to a boundary to say."""
    if not isinstance(claims, dict) or "exp" not in claims or "iat" not in claims:
        return False
    values = {name: claims[name] for name in TIME_CLAIMS if name in claims}
    if any(type(value) not in (int, float) or not math.isfinite(value) for value in values.values()):
        return False
    checks = [(values["exp"], now - leeway, True), (values["iat"], now + leeway, False)]
    if "nbf" in values:
        checks.append((values["nbf"], now + leeway, False))
    verdicts = [
        None if abs(value - boundary) < BOUNDARY_SLACK else (value > boundary if must_exceed else value <= boundary)
        for value, boundary, must_exceed in checks
    ]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def _note(token: str, signing: str, real_key: bool = False) -> TokenNote:
    header, claims = peek(token)
    return TokenNote(signing, header, claims, shape_of(token), real_key)


def mutants(forge: Forge, leeway: int) -> st.SearchStrategy[Mutant]:
    genuine = forge.token

    def judged(token: str, kind: str, detail: str, signing: str) -> Mutant:
        expect = Expect.CLEAN_EITHER if equivalent(token, genuine) else Expect.REFUSED
        return Mutant(token, kind, detail, expect, _note(token, signing))

    def flip(position: int, bit: int) -> Mutant:
        old = genuine[position]
        new = chr(ord(old) ^ (1 << bit))
        if not ("!" <= new <= "~"):
            new = SAFE_CHARS[(SAFE_CHARS.find(old) + bit + 1) % len(SAFE_CHARS)]
        token = genuine[:position] + new + genuine[position + 1 :]
        return judged(token, "bit-flip", f"character {position}: {old!r} -> {new!r}", "genuine, one character flipped")

    def truncate(length: int) -> Mutant:
        return judged(
            genuine[:length], "truncation", f"first {length} of {len(genuine)} characters", "genuine, truncated"
        )

    def resign(changes: dict[str, Any], key: bytes, alg: str) -> Mutant:
        forged = forge.make(
            f"{alg} with a wrong key",
            claims=forge.with_claims(**changes),
            header={**forge.header, "alg": alg},
            alg=alg,
            key=key,
        )
        return judged(
            forged.token,
            "wrong-key",
            f"claims {compact_json(changes)} signed {alg} with a wrong key",
            forged.note.signing,
        )

    def header(changes: dict[str, Any], signature: str) -> Mutant:
        head = {**forge.header, **changes}
        unsigned = forge.make("unsigned", header=head).token
        token = unsigned + {"original": forge.valid.signature, "empty": ""}[signature]
        return judged(
            token,
            "header",
            f"header {compact_json(changes)}, {signature} signature",
            f"header changed, {signature} signature",
        )

    def time_claim(name: str, value: str) -> Mutant:
        claims_text = compact_json(forge.with_claims(**{name: "__V__"})).replace('"__V__"', value)
        if forge.secret is None:
            forged = forge.make("HS256 with a wrong key", claims=claims_text, key=b"wrong-key")
            return Mutant(forged.token, "time-claim", f"{name}={value}, wrong key", Expect.REFUSED, forged.note)
        forged = forge.real(claims=claims_text)
        valid = policy_valid(json.loads(claims_text), leeway, time.time())
        expect = Expect.REFUSED if valid is False else Expect.CLEAN_EITHER
        return Mutant(forged.token, "time-claim", f"{name}={value}, real key", expect, forged.note)

    own_key = forge.secret or b""
    keys = st.binary(max_size=32).filter(lambda key: key != own_key)
    claim_changes = st.fixed_dictionaries(
        {},
        optional={
            "role": st.sampled_from(["admin", "superuser", "support"]),
            "user_id": st.one_of(st.integers(-2, 10**6), st.text(max_size=4)),
            "exp": st.integers(0, 2**40),
        },
    )
    header_changes = st.fixed_dictionaries(
        {"alg": st.sampled_from(HEADER_ALGS)},
        optional={
            "kid": st.text(max_size=12),
            "typ": st.sampled_from(["JWT", "jwt", "", "JWE"]),
            "crit": st.just(["exp"]),
            "jku": st.just("http://127.0.0.1:9/jwks.json"),
        },
    )
    now = int(time.time())
    json_values = st.one_of(
        st.none().map(lambda _: "null"),
        st.booleans().map(lambda value: json.dumps(value)),
        st.integers(-(2**70), 2**70).map(str),
        st.integers(now - 10**6, now + 10**6).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.sampled_from(["1e999", "-1e999", '"x"', '""', '"9999999999"', "[]", "{}", "[1]", '{"a":1}']),
        st.text(max_size=6).map(json.dumps),
    )
    return st.one_of(
        st.builds(flip, st.integers(0, len(genuine) - 1), st.integers(0, 6)),
        st.builds(truncate, st.integers(1, len(genuine) - 1)),
        st.builds(resign, claim_changes, keys, st.sampled_from(sorted(HMAC_HASHES))),
        st.builds(header, header_changes, st.sampled_from(["original", "empty"])),
        st.builds(time_claim, st.sampled_from(TIME_CLAIMS), json_values),
    )


def run_mutation(
    forge: Forge,
    url: str,
    leeway: int,
    context: JudgeContext,
    *,
    seed: int,
    budget: int,
    timeout: float,
    remember: Callable[[str, str], None],
) -> MutationOutcome:
    """Search ``budget`` mutants for one the target mishandles; shrink it and record its answer.

    Blocking (hypothesis drives it), so it owns an event loop for the shared async transport. Its
    client stores no cookies: each mutant is judged on its own token, whatever an earlier answer set.
    The mutant found is sent once more for the record. A target that stops failing (hypothesis then
    gives up with ``Flaky``) leaves the last failing mutant in ``mutant`` and, if the last send was safe,
    empty ``violations``: found but not reproduced, which is not a pass.
    """
    outcome = MutationOutcome(examples=0, seed=seed, budget=budget)
    if budget <= 0:
        return outcome
    loop = asyncio.new_event_loop()
    client = no_cookie_client(timeout, concurrency=1)

    def attempt(mutant: Mutant) -> tuple[HttpProbe, HttpObservation, list[Violation]]:
        if mutant.note.real_key:
            remember(mutant.token, "FORGED_TOKEN")
        probe = HttpProbe(
            label=f"{mutant.kind}: {mutant.detail}",
            method="GET",
            url=url,
            expect=mutant.expect,
            headers=(("Authorization", f"Bearer {mutant.token}"),),
            token=mutant.token,
            note=mutant.note,
        )
        seen = loop.run_until_complete(send_http(client, probe, timeout))
        return probe, seen, judge(Tier.NEW, probe, seen, context)

    def fails(mutant: Mutant) -> bool:
        outcome.examples += 1
        _probe, seen, violations = attempt(mutant)
        failed = seen.sent and bool(violations)
        if failed:
            outcome.mutant = mutant
        return failed

    config = settings(
        max_examples=budget,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
    try:
        with contextlib.suppress(NoSuchExample, Flaky):
            outcome.mutant = find(mutants(forge, leeway), fails, settings=config, random=Random(seed))
        if outcome.mutant is not None:
            outcome.probe, outcome.observation, outcome.violations = attempt(outcome.mutant)
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    return outcome
