"""How long the auth audit takes against the embedded reference server.

    python benchmarks/audit.py [--budget 40] [--rounds 3] [--ws-auth url|jwt]

1. Whole audit: every catalogue case on every tier, the default hypothesis budget
   and the contract run, best of ``rounds`` wall times (design target: under 10 s).
2. Per group: each group of cases run on its own (so the numbers are wall times, not
   the busy time of cases that overlap), then token mutation and the contract run.
3. Baseline from the same run: the median latency of one authenticated request, and
   how many such requests the whole audit costs.

Figures are printed, never asserted: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from typing import Literal

import httpx

from chatmigrate.audit import AuditOptions, AuditTarget, embedded_target, run_audit
from chatmigrate.audit.catalogue import CASES, Group
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.server.config import ServerConfig

TARGET_SECONDS = 10.0


def wall(target: AuditTarget, options: AuditOptions) -> float:
    start = time.perf_counter()
    run_audit(target, options)
    return time.perf_counter() - start


def request_latency(server: EmbeddedServer, samples: int = 50) -> float:
    with httpx.Client(base_url=server.base_url) as client:
        token = client.post("/api/v1/auth/token/", json={"username": "admin", "password": server.config.password})
        headers = {"Authorization": f"Bearer {token.json()['access']}"}
        timings = []
        for _ in range(samples):
            start = time.perf_counter()
            client.get("/api/v1/admin/chat/", params={"chatroom_id": 1}, headers=headers)
            timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=AuditOptions().budget)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ws-auth", choices=("url", "jwt"), default="url")
    args = parser.parse_args()
    mode: Literal["url", "jwt"] = "jwt" if args.ws_auth == "jwt" else "url"
    with EmbeddedServer(ServerConfig(ws_auth=mode)) as server:
        logging.getLogger("uvicorn.error").setLevel(logging.ERROR)
        target = embedded_target(server)
        everything = AuditOptions(budget=args.budget)
        wall(target, everything)  # warm-up: imports and first connections
        total = min(wall(target, everything) for _ in range(args.rounds))
        print(
            f"whole audit ({len(CASES)} cases, budget {args.budget}, contract, ws {mode}): {total:.2f} s "
            f"(target {TARGET_SECONDS:.0f} s: {total / TARGET_SECONDS:.0%} of it)"
        )
        print("per group (run alone):")
        for group in sorted({case.group for case in CASES}, key=list(Group).index):
            seconds = wall(target, AuditOptions(groups=frozenset({group}), budget=0, contract=False))
            print(f"  {group:<12} {sum(case.group == group for case in CASES):>3} cases  {seconds:6.2f} s")
        mutation = wall(target, AuditOptions(cases=frozenset({"mutate-token"}), budget=args.budget, contract=False))
        contract = wall(target, AuditOptions(cases=frozenset({"contract-jwt"}), budget=0))
        print(f"  {'mutation':<12} {args.budget:>3} ex.    {mutation:6.2f} s")
        print(f"  {'contract':<12} {'':>9} {contract:6.2f} s")
        latency = request_latency(server)
        print(
            f"baseline: one authenticated request {latency * 1000:.2f} ms median; "
            f"the whole audit costs {total / latency:,.0f} such requests"
        )


if __name__ == "__main__":
    main()
