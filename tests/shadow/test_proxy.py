"""The primary path on the wire: whatever framing old answers with, the user gets old's bytes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from hostile_server import LoopbackTcpServer, Writer
from starlette.types import Receive, Scope, Send

from chatmigrate.config import ShadowConfig
from chatmigrate.embedded import LoopbackServer
from chatmigrate.shadow.identity import SessionDirectory
from chatmigrate.shadow.proxy import PrimaryProxy
from chatmigrate.shadow.queue import MirrorQueue
from chatmigrate.shadow.stats import LiveStats

BODY = b'{"status": "success", "messages": ["caf\xc3\xa9"]}'


class Origin(LoopbackTcpServer):
    """Old, answering by path: with a length, chunked, up to its close, an echo of the request body, and one
    that closes each keep-alive connection right after answering (so the shadow's pooled one goes stale)."""

    async def _connection(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, target = head.split(b" ", 2)[:2]
                fields = dict(line.lower().split(b": ", 1) for line in head[:-4].split(b"\r\n")[1:])
                content = await reader.readexactly(int(fields.get(b"content-length", b"0")))
                if not await self._answer(writer, method, target, content):
                    return
        except (OSError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _answer(self, writer: Writer, method: bytes, target: bytes, content: bytes) -> bool:
        """Answer; False when the connection ends here."""
        if target == b"/chunked":
            pieces = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (BODY[:7], BODY[7:]))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            writer.write(pieces + b"0\r\n\r\n")
        elif target == b"/until-close":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + BODY)
            await writer.drain()
            return False
        else:
            body = content if target == b"/echo" else BODY
            length = b"Content-Length: %d\r\n" % len(body)
            writer.write(b"HTTP/1.1 200 OK\r\nX-Old-Says: Kept As Is\r\n" + length + b"\r\n")
            if method != b"HEAD":
                writer.write(body)
        await writer.drain()
        return target != b"/then-close"


class Front:
    """The proxy alone as an ASGI app: the lifespan the shadow service would answer is answered here."""

    def __init__(self, proxy: PrimaryProxy) -> None:
        self.proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.proxy(scope, receive, send)
            return
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await self.proxy.aclose()
        await send({"type": "lifespan.shutdown.complete"})


@pytest.fixture
def proxied() -> Iterator[tuple[str, PrimaryProxy]]:
    with Origin() as origin:
        options = ShadowConfig(report_every=3600.0, sample_rate=0.0)
        proxy = PrimaryProxy(origin.url, options, MirrorQueue(4, 1 << 20), SessionDirectory(), LiveStats())
        with LoopbackServer(Front(proxy)) as front:
            yield front.base_url, proxy


def test_an_answer_with_a_length_reaches_the_user_with_old_s_headers_and_bytes(
    proxied: tuple[str, PrimaryProxy],
) -> None:
    answer = httpx.get(f"{proxied[0]}/length")
    assert answer.content == BODY
    assert answer.headers["x-old-says"] == "Kept As Is" and answer.headers["content-length"] == str(len(BODY))


@pytest.mark.parametrize("path", ["/chunked", "/until-close"])
def test_a_chunked_or_close_delimited_answer_reaches_the_user_whole(
    proxied: tuple[str, PrimaryProxy], path: str
) -> None:
    with httpx.Client(base_url=proxied[0]) as client:
        assert [client.get(path).content for _ in range(2)] == [BODY, BODY]


def test_a_head_answer_keeps_old_s_length_and_has_no_body(proxied: tuple[str, PrimaryProxy]) -> None:
    answer = httpx.head(f"{proxied[0]}/length")
    assert answer.headers["content-length"] == str(len(BODY)) and answer.content == b""


def test_a_request_body_reaches_old_as_sent(proxied: tuple[str, PrimaryProxy]) -> None:
    sent = b"username=admin&next=%2Fadmin%2F\xff"
    assert httpx.post(f"{proxied[0]}/echo", content=sent).content == sent


def test_a_connection_old_closed_while_idle_is_not_reused(proxied: tuple[str, PrimaryProxy]) -> None:
    with httpx.Client(base_url=proxied[0]) as client:
        answers = [client.get("/then-close") for _ in range(5)]
    assert [answer.content for answer in answers] == [BODY] * 5
    assert proxied[1].stats.primary_errors == 0


def test_an_old_that_does_not_listen_is_a_502_and_counted() -> None:
    with Origin() as origin:
        gone = origin.url
    proxy = PrimaryProxy(gone, ShadowConfig(timeout=2.0), MirrorQueue(4, 1 << 20), SessionDirectory(), LiveStats())
    with LoopbackServer(Front(proxy)) as front:
        answer = httpx.get(f"{front.base_url}/length")
    assert answer.status_code == 502 and "old did not answer" in answer.text
    assert proxy.stats.primary_errors == 1
