"""A chat socket over time: keep it open, change the world, send a message, and judge where the message went.

The transport calls ``follow`` once a session probe's socket is in; the pass rule calls ``judge``. A message is
known by its marker text wherever it shows: in a reply on the socket itself (an ack or the room's broadcast) or on
the witness, a second socket in a room the message must never reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from chatmigrate.audit.probe import Concern, Expect, WsProbe, WsSession, WsSessionSeen
from chatmigrate.vocab import FindingKind, Severity

WITNESS_SETTLE = 0.5
"""How long the witness listens once the sender's own reply is in (or the wait ran out)."""
_ERROR_TYPES = frozenset({"error"})


async def follow(socket: ClientConnection, session: WsSession, wait: float, timeout: float) -> WsSessionSeen:
    """The witness joins first, then the change, then the message; replies are read until the message shows,
    an error frame or a close answers it, or ``wait`` runs out."""
    seen = WsSessionSeen()
    try:
        async with _witness(session, timeout) as witness:
            await _change_and_send(socket, session, seen, wait)
            if witness is not None and seen.error is None:
                seen.witnessed = await _drain(witness, session.marker)
    except (OSError, WebSocketException, TimeoutError) as error:
        seen.error = f"the witness socket in the other room did not open: {type(error).__name__}: {error}"
    return seen


async def _change_and_send(socket: ClientConnection, session: WsSession, seen: WsSessionSeen, wait: float) -> None:
    try:
        if session.change is not None:
            await session.change()
        await socket.send(session.message)
    except ConnectionClosed as closed:
        _closed(seen, closed)
        return
    except Exception as error:  # the change is the target's own API: any failure means the case did not run
        seen.error = f"{session.change_label or 'the change'} failed: {type(error).__name__}: {error}"
        return
    await _read_replies(socket, session, seen, wait)


@contextlib.asynccontextmanager
async def _witness(session: WsSession, timeout: float) -> AsyncIterator[ClientConnection | None]:
    if session.witness_url is None:
        yield None
        return
    async with connect(
        session.witness_url, open_timeout=timeout, close_timeout=1, ping_interval=None, proxy=None, compression=None
    ) as witness:
        if session.witness_first is not None:
            await witness.send(session.witness_first)
        await asyncio.wait_for(witness.recv(), timeout=timeout)
        yield witness


async def _read_replies(socket: ClientConnection, session: WsSession, seen: WsSessionSeen, wait: float) -> None:
    try:
        async with asyncio.timeout(wait):
            while True:
                frame = _text(await socket.recv())
                seen.replies.append(frame)
                if session.marker in frame or _frame_type(frame) in _ERROR_TYPES:
                    return
    except TimeoutError:
        return
    except ConnectionClosed as closed:
        _closed(seen, closed)


async def _drain(witness: ClientConnection, marker: str) -> list[str]:
    frames: list[str] = []
    with contextlib.suppress(TimeoutError, ConnectionClosed, WebSocketException):
        async with asyncio.timeout(WITNESS_SETTLE):
            while not frames or marker not in frames[-1]:
                frames.append(_text(await witness.recv()))
    return frames


def _closed(seen: WsSessionSeen, closed: ConnectionClosed) -> None:
    if closed.rcvd is not None:
        seen.close_code, seen.close_reason = closed.rcvd.code, closed.rcvd.reason


def _text(frame: str | bytes) -> str:
    return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")


def _frame_type(frame: str) -> Any:
    try:
        body = json.loads(frame)
    except ValueError:
        return None
    return body.get("type") if isinstance(body, dict) else None


def judge(probe: WsProbe, opened: bool, seen: WsSessionSeen | None) -> list[Concern]:
    session = probe.session
    assert session is not None
    if not opened or seen is None:
        return [(Severity.MEDIUM, FindingKind.NEEDS_REVIEW, "the socket did not open with genuine credentials")]
    if seen.error is not None:
        return [(Severity.MEDIUM, FindingKind.NEEDS_REVIEW, seen.error)]
    found: list[Concern] = []
    if seen.close_code == 1011:
        found.append((Severity.HIGH, FindingKind.SERVER_ERROR, f"closed with 1011 {seen.close_reason}".rstrip()))
    carried = [frame for frame in seen.replies if session.marker in frame]
    if any(session.marker in frame for frame in seen.witnessed):
        found.append((probe.breach, FindingKind.ACCEPTED, "the message reached a room the socket never joined"))
    if probe.expect is Expect.WS_OWN_IDENTITY:
        shown = sorted({f"{key}={value}" for frame in carried for key, value in _foreign(frame, session)})
        if shown:
            found.append((probe.breach, FindingKind.IMPERSONATION, f"the message was carried with {', '.join(shown)}"))
        return found
    if carried:
        if session.gap is not None:
            return [(Severity.INFO, FindingKind.DOCUMENTED_GAP, session.gap)]
        found.append((probe.breach, FindingKind.ACCEPTED, f"after {session.change_label} the message still went out"))
    elif seen.close_code is not None and not 4400 <= seen.close_code <= 4499 and seen.close_code != 1011:
        found.append((Severity.MEDIUM, FindingKind.WRONG_STATUS, f"closed with code {seen.close_code}, expected 44xx"))
    return found


def _foreign(frame: str, session: WsSession) -> Iterator[tuple[str, object]]:
    """The foreign key-value pairs shown by any JSON object of the frame that holds the message."""
    try:
        body = json.loads(frame)
    except ValueError:
        return
    for item in _objects(body):
        if any(isinstance(value, str) and session.marker in value for value in item.values()):
            yield from ((key, value) for key, value in session.foreign if key in item and str(item[key]) == str(value))


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)
