"""Requests per second of the reference server for ``recent_messages`` on both tiers, against a bare
Starlette "hello JSON" endpoint measured in the same run on the same machine.

    python benchmarks/server.py [--seconds 3] [--concurrency 8] [--limit 50]

Each server runs in a child process (the reference server as an ``EmbeddedServer``, the baseline on
the same uvicorn settings), so the load generator does not share their interpreter. The load generator
is a minimal keep-alive HTTP/1.1 client on asyncio streams: ``--concurrency`` connections, each sending
the next request as soon as the previous answer is read, for ``--seconds`` after a short warm-up.

1. Baseline: ``GET /hello`` answering ``{"status": "success", "message": "hello"}``.
2. Legacy tier: ``GET /admin/chat/?chatroom_id=1&limit=N`` with a staff ``sessionid`` cookie.
3. JWT tier: ``GET /api/v1/admin/chat/?chatroom_id=1&limit=N`` with a bearer access token.

Printed: requests per second for each, and each tier's ratio to the baseline. Figures are printed,
never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chatmigrate.embedded import EmbeddedServer, bind_socket, uvicorn_server
from chatmigrate.server.config import ServerConfig

WARM_UP_SECONDS = 0.5
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


async def _hello(request: Request) -> JSONResponse:
    return JSONResponse({"status": "success", "message": "hello"})


def _serve_baseline(conn: Connection) -> None:
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn_server(Starlette(routes=[Route("/hello", _hello)]))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    conn.send(sock.getsockname()[1])
    conn.recv()
    server.should_exit = True
    thread.join(timeout=10)


def _serve_reference(conn: Connection) -> None:
    with EmbeddedServer(ServerConfig()) as server:
        conn.send(server.port)
        conn.recv()


@dataclass
class Child:
    """A server in a child process; ``stop()`` asks it to shut down and waits."""

    port: int
    conn: Connection
    process: BaseProcess

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(timeout=15)


def start_child(target: Callable[..., None], *args: object) -> Child:
    """``target(conn, *args)`` in a spawned process; it sends its port, then waits for "stop"."""
    context = get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    return Child(parent.recv(), parent, process)


def raw_get(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _connection(port: int, request: bytes, deadline: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected answer: {head.splitlines()[0]!r}")
            length = _CONTENT_LENGTH.search(head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def load(port: int, request: bytes, seconds: float, concurrency: int) -> list[float]:
    """Each answered request's latency in seconds, from ``concurrency`` connections for ``seconds``."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(_connection(port, request, deadline, latencies) for _ in range(concurrency)))
    return latencies


def requests_per_second(port: int, request: bytes, seconds: float, concurrency: int) -> float:
    asyncio.run(load(port, request, WARM_UP_SECONDS, concurrency))
    started = time.perf_counter()
    done = len(asyncio.run(load(port, request, seconds, concurrency)))
    return done / (time.perf_counter() - started)


def session_cookie(base_url: str) -> str:
    """Log in through the real form, CSRF token and all."""
    with httpx.Client(base_url=base_url) as client:
        page = client.get("/admin/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match is not None
        client.post(
            "/admin/login/",
            data={"username": "admin", "password": "seed-Passw0rd", "csrfmiddlewaretoken": match.group(1)},
        )
        return client.cookies["sessionid"]


def access_token(base_url: str) -> str:
    response = httpx.post(f"{base_url}/api/v1/auth/token/", json={"username": "admin", "password": "seed-Passw0rd"})
    token: str = response.json()["access"]
    return token


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per target")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--limit", type=int, default=50, help="messages per recent_messages answer")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}")
    print(f"load: {args.concurrency} keep-alive connections, {args.seconds:g} s per target")

    baseline_server = start_child(_serve_baseline)
    try:
        baseline = requests_per_second(baseline_server.port, raw_get("/hello", {}), args.seconds, args.concurrency)
    finally:
        baseline_server.stop()

    reference = start_child(_serve_reference)
    try:
        base_url = f"http://127.0.0.1:{reference.port}"
        query = f"?chatroom_id=1&limit={args.limit}"
        legacy_request = raw_get(f"/admin/chat/{query}", {"Cookie": f"sessionid={session_cookie(base_url)}"})
        jwt_request = raw_get(f"/api/v1/admin/chat/{query}", {"Authorization": f"Bearer {access_token(base_url)}"})
        legacy = requests_per_second(reference.port, legacy_request, args.seconds, args.concurrency)
        jwt_tier = requests_per_second(reference.port, jwt_request, args.seconds, args.concurrency)
    finally:
        reference.stop()

    print(f"{'target':<42}{'req/s':>10}{'vs baseline':>14}")
    print(f"{'baseline: Starlette hello JSON':<42}{baseline:>10.0f}{1:>13.2f}x")
    print(f"{f'legacy: recent_messages limit={args.limit} (session)':<42}{legacy:>10.0f}{legacy / baseline:>13.2f}x")
    print(f"{f'jwt: recent_messages limit={args.limit} (bearer)':<42}{jwt_tier:>10.0f}{jwt_tier / baseline:>13.2f}x")


if __name__ == "__main__":
    main()
