"""The shadow's cost to the user: primary latency and throughput through ``chatmigrate shadow`` versus straight to
old, under the same load, measured in the same run.

    python benchmarks/shadow.py [--seconds 3] [--concurrency 16] [--rounds 3] [--limit 20] [--sample-rate 1]

Three child processes: the reference server (old and new), the shadow in front of it (mirroring every request
to old again and to new as the same user), and the load generator here (keep-alive HTTP/1.1 connections on
asyncio streams, each sending its next request as soon as the previous answer is read). Each round measures
direct-to-old and through-the-shadow back to back; the medians over rounds are printed with their ratios, and
the shadow's own counts (mirrored, dropped) from its status page. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from server import WARM_UP_SECONDS, cpu_model, load, raw_get, session_cookie, start_child

from chatmigrate.config import Config
from chatmigrate.embedded import EmbeddedServer, LoopbackServer
from chatmigrate.server.config import ServerConfig


def _serve_reference(conn: Connection) -> None:
    with EmbeddedServer(ServerConfig()) as server:
        conn.send(server.port)
        conn.recv()


def _serve_shadow(conn: Connection, old_port: int, sample_rate: float) -> None:
    from chatmigrate.auth import build_auth
    from chatmigrate.config import ShadowConfig
    from chatmigrate.shadow import Principals, ShadowService

    embedded = EmbeddedServer(ServerConfig())  # only for its config: the same seeded password, never started
    embedded.port = old_port
    config = Config.embedded(embedded, proxy=False)
    new = config.targets["new"]
    adapter = build_auth(new.auth, new.base_url)
    with tempfile.TemporaryDirectory() as results:
        service = ShadowService(
            config,
            Principals({adapter.principal: adapter}),
            ShadowConfig(report_every=3600, sample_rate=sample_rate),
            results_dir=Path(results),
        )
        with LoopbackServer(service) as front:
            conn.send(front.port)
            conn.recv()


def measure(port: int, request: bytes, seconds: float, concurrency: int) -> tuple[float, float, float]:
    """(requests per second, p50 ms, p99 ms)."""
    asyncio.run(load(port, request, WARM_UP_SECONDS, concurrency))
    started = time.perf_counter()
    latencies = sorted(asyncio.run(load(port, request, seconds, concurrency)))
    elapsed = time.perf_counter() - started
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return len(latencies) / elapsed, p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per target and round")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections (concurrent clients)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are printed")
    parser.add_argument("--limit", type=int, default=20, help="messages per recent_messages answer")
    parser.add_argument("--sample-rate", type=float, default=1.0, help="share of requests the shadow mirrors")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}")
    print(f"load: {args.concurrency} keep-alive connections, {args.seconds:g} s per target, {args.rounds} rounds")
    print(f"shadow mirrors {args.sample_rate:.0%} of requests to old again and to new (both on the reference server)")

    old = start_child(_serve_reference)
    shadow = start_child(_serve_shadow, old.port, args.sample_rate)
    try:
        old_url, shadow_url = f"http://127.0.0.1:{old.port}", f"http://127.0.0.1:{shadow.port}"
        path = f"/admin/chat/?chatroom_id=1&request_type=recent_messages&limit={args.limit}"
        direct = raw_get(path, {"Cookie": f"sessionid={session_cookie(old_url)}"})
        through = raw_get(path, {"Cookie": f"sessionid={session_cookie(shadow_url)}"})
        rounds: dict[str, list[tuple[float, float, float]]] = {"direct": [], "shadow": []}
        for _ in range(args.rounds):
            rounds["direct"].append(measure(old.port, direct, args.seconds, args.concurrency))
            rounds["shadow"].append(measure(shadow.port, through, args.seconds, args.concurrency))
        status = httpx.get(f"{shadow_url}/_chatmigrate/status.json").json()
    finally:
        shadow.stop()
        old.stop()

    medians = {
        name: tuple(statistics.median(figure[i] for figure in figures) for i in range(3))
        for name, figures in rounds.items()
    }
    (d_rps, d_p50, d_p99), (s_rps, s_p50, s_p99) = medians["direct"], medians["shadow"]
    print(f"{'primary path':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'direct to old (baseline)':<26}{d_rps:>10.0f}{d_p50:>10.2f}{d_p99:>10.2f}")
    print(f"{'through the shadow':<26}{s_rps:>10.0f}{s_p50:>10.2f}{s_p99:>10.2f}")
    print(
        f"shadow vs direct: throughput {s_rps / d_rps:.2f}x, p50 {s_p50 - d_p50:+.2f} ms, p99 {s_p99 - d_p99:+.2f} ms"
    )
    mirrored = sum(row["mirrored"] for row in status["endpoints"])
    print(
        f"shadow queue: {status['queue']['offered']} offered, {mirrored} mirrored, dropped {status['queue']['dropped']}"
    )


if __name__ == "__main__":
    main()
