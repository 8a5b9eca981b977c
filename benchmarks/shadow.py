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
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from psutil import Process
from server import WARM_UP_SECONDS, Child, cpu_model, load, raw_get, session_cookie, start_child

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


@dataclass
class Figures:
    """One measured window: throughput, latency, and CPU seconds per request of each process."""

    rps: float
    p50: float
    p99: float
    cpu_us: dict[str, float]


def measure(port: int, request: bytes, seconds: float, concurrency: int, processes: dict[str, Process]) -> Figures:
    asyncio.run(load(port, request, WARM_UP_SECONDS, concurrency))
    before = {name: _cpu(process) for name, process in processes.items()}
    started = time.perf_counter()
    latencies = sorted(asyncio.run(load(port, request, seconds, concurrency)))
    elapsed = time.perf_counter() - started
    cpu_us = {name: (_cpu(process) - before[name]) / len(latencies) * 1e6 for name, process in processes.items()}
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return Figures(len(latencies) / elapsed, p50, p99, cpu_us)


def _cpu(process: Process) -> float:
    """User + system CPU seconds of the process so far."""
    times = process.cpu_times()
    return float(times.user + times.system)


def _median(figures: list[Figures]) -> Figures:
    return Figures(
        statistics.median(f.rps for f in figures),
        statistics.median(f.p50 for f in figures),
        statistics.median(f.p99 for f in figures),
        {name: statistics.median(f.cpu_us[name] for f in figures) for name in figures[0].cpu_us},
    )


def settle(shadow_url: str) -> None:
    """Wait for the mirror queue to empty, so that no window measures the previous window's mirroring."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        queue = httpx.get(f"{shadow_url}/_chatmigrate/status.json").json()["queue"]
        if not queue["waiting"] and not queue["held_bytes"]:
            return
        time.sleep(0.1)


def run_rate(old: Child, rate: float, args: argparse.Namespace) -> None:
    """Direct and through a shadow that mirrors ``rate`` of the requests, ``args.rounds`` times, medians printed."""
    shadow = start_child(_serve_shadow, old.port, rate)
    try:
        old_url, shadow_url = f"http://127.0.0.1:{old.port}", f"http://127.0.0.1:{shadow.port}"
        path = f"/admin/chat/?chatroom_id=1&request_type=recent_messages&limit={args.limit}"
        direct = raw_get(path, {"Cookie": f"sessionid={session_cookie(old_url)}"})
        through = raw_get(path, {"Cookie": f"sessionid={session_cookie(shadow_url)}"})
        processes = {
            "load generator": Process(os.getpid()),
            "old": Process(old.process.pid),
            "shadow": Process(shadow.process.pid),
        }
        rounds: dict[str, list[Figures]] = {"direct": [], "shadow": []}
        for _ in range(args.rounds):
            settle(shadow_url)
            rounds["direct"].append(measure(old.port, direct, args.seconds, args.concurrency, processes))
            rounds["shadow"].append(measure(shadow.port, through, args.seconds, args.concurrency, processes))
        status = httpx.get(f"{shadow_url}/_chatmigrate/status.json").json()
    finally:
        shadow.stop()
    d, s = _median(rounds["direct"]), _median(rounds["shadow"])
    print(f"\nshadow mirroring {rate:.0%} of requests to old again and to new (both on the reference server):")
    names = list(d.cpu_us)
    print(f"{'primary path':<26}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}   CPU us per request: " + ", ".join(names))
    for label, row in (("direct to old (baseline)", d), ("through the shadow", s)):
        cpu = "".join(f"{row.cpu_us[name]:>9.0f}" for name in names)
        print(f"{label:<26}{row.rps:>8.0f}{row.p50:>9.2f}{row.p99:>9.2f}   {cpu}")
    print(
        f"shadow vs direct: throughput {s.rps / d.rps:.2f}x (target >= 0.95), p50 {s.p50 - d.p50:+.2f} ms "
        f"(target <= +1), p99 {s.p99 - d.p99:+.2f} ms"
    )
    total_direct, total_shadow = sum(d.cpu_us.values()), sum(s.cpu_us.values())
    cpus = os.cpu_count() or 1
    print(
        f"CPU per request, all processes: {total_direct:.0f} us direct, {total_shadow:.0f} us through the shadow "
        f"(the shadow's own {s.cpu_us['shadow']:.0f} us); {cpus} CPUs cap the rate at about "
        f"{cpus * 1e6 / total_direct:.0f} req/s direct and {cpus * 1e6 / total_shadow:.0f} req/s through the shadow"
    )
    mirrored = sum(row["mirrored"] for row in status["endpoints"])
    dropped = sum(status["queue"]["dropped"].values())
    print(
        f"shadow queue: {status['queue']['offered']} offered, {mirrored} mirrored, {dropped} dropped "
        f"{dict(status['queue']['dropped'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per target and round")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections (concurrent clients)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are printed")
    parser.add_argument("--limit", type=int, default=20, help="messages per recent_messages answer")
    parser.add_argument(
        "--sample-rate",
        type=float,
        action="append",
        help="share of requests the shadow mirrors; repeat for several (default: 0, then 1)",
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}")
    print(f"load: {args.concurrency} keep-alive connections, {args.seconds:g} s per target, {args.rounds} rounds")
    old = start_child(_serve_reference)
    try:
        for rate in args.sample_rate or [0.0, 1.0]:
            run_rate(old, rate, args)
    finally:
        old.stop()


if __name__ == "__main__":
    main()
