"""How fast replay + compare runs against the reference server, against a bare httpx loop in the same run.

    python benchmarks/replay.py [--copies 20] [--concurrency 8] [--rounds 5] [--exchanges 100000]

The reference server runs in a child process (``chatmigrate serve``) so that the
client under test does not share its interpreter.

Each round runs, back to back and in alternating order:

1. Replay + compare: the shipped corpus, copied ``--copies`` times under distinct ids,
   replayed against old and new (two attempts each) and compared, logins included.
2. Bare loop: the same requests with the same credentials and concurrency through a
   plain ``httpx.AsyncClient``, each body read whole, nothing parsed or recorded, logins included.

Printed: the medians over rounds of both request rates and of their ratio (target: at least
0.95), the ratio of replay alone, the CPU time per request of this process (the client) and of
the server for each loop (the tool's own overhead is the difference in client CPU: a figure the
machine's noise moves less than wall time), and the compare stage's rate (target: at least 10x
the replay rate). Then the peak RSS of a compare over ``--exchanges`` exchanges made by repeating
the recorded ones under new ids, in a fresh process (target: under 200 MB for 100k).

Figures are printed, never asserted: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import httpx
from psutil import Process

from chatmigrate.compare import compare_file
from chatmigrate.config import DEFAULT_NEW_PATH_MAP, AuthConfig, RunOptions, TargetConfig
from chatmigrate.corpus import load_corpus
from chatmigrate.records import CorpusEntry
from chatmigrate.replay import EXCHANGES_FILE, ReplayOptions, Target, open_client, run_replay
from chatmigrate.server.config import DEFAULT_PASSWORD


def start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "chatmigrate", "serve", "--port", "0"], stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    banner = process.stderr.readline()
    url = banner.strip().rsplit(" ", 1)[-1]
    if not url.startswith("http://"):
        process.terminate()
        raise SystemExit(f"the reference server did not start: {banner.strip()}")
    return process, url


def targets(url: str, run: RunOptions) -> list[Target]:
    login = {"username": "admin", "password": DEFAULT_PASSWORD}
    configs = [
        TargetConfig(side="old", base_url=url, auth=AuthConfig(kind="session", **login)),
        TargetConfig(
            side="new",
            base_url=url,
            auth=AuthConfig(kind="token-endpoint", **login),
            path_map=dict(DEFAULT_NEW_PATH_MAP),
        ),
    ]
    return [Target.from_config(config, run) for config in configs]


def copies_of_corpus(copies: int) -> list[CorpusEntry]:
    corpus = load_corpus()
    return [dataclasses.replace(entry, id=f"{entry.id}#{n}") for n in range(copies) for entry in corpus]


async def bare_loop(sides: list[Target], entries: list[CorpusEntry], repeats: int, concurrency: int) -> float:
    """The floor: the same GETs at the same concurrency, each body read whole, headers captured once; no retries,
    parsing or recording. Its logins are timed, as the runner's are. Returns the seconds taken."""
    start = time.perf_counter()
    async with open_client(sides[0], concurrency) as old_client, open_client(sides[1], concurrency) as new_client:
        clients = {"old": old_client, "new": new_client}
        for side in sides:
            await side.auth.prepare(clients[side.side])
        requests = []
        for side in sides:
            for entry in entries:
                routed = side.request_for(entry)
                if routed is None:
                    continue
                probe = clients[side.side].build_request("GET", routed[0], params=routed[1])
                await side.auth.apply(probe)
                requests += [(clients[side.side], probe.url, dict(probe.headers))] * repeats
        semaphore = asyncio.Semaphore(concurrency)

        async def one(client: httpx.AsyncClient, url: httpx.URL, headers: dict[str, str]) -> None:
            async with semaphore:
                response = await client.get(url, headers=headers)
                await response.aread()

        await asyncio.gather(*(one(*request) for request in requests))
    return time.perf_counter() - start


@dataclasses.dataclass
class Round:
    bare_rps: float
    tool_rps: float
    replay_s: float
    compare_s: float
    client_cpu_us: dict[str, float]
    """CPU per request of this process (the client) for each loop: the tool's own overhead shows here."""
    server_cpu_us: dict[str, float]


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_of(process: Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def one_round(
    url: str, run: RunOptions, entries: list[CorpusEntry], out: Path, server: Process, tool_first: bool
) -> Round:
    """The bare loop and replay + compare back to back (in alternating order over rounds, so drift evens out)."""
    client: dict[str, float] = {}
    served: dict[str, float] = {}
    requests = 0
    figures: dict[str, float] = {}

    def bare() -> None:
        nonlocal requests
        cpu, server_cpu = _cpu_self(), _cpu_of(server)
        requests = len(entries) * run.repeats * 2
        figures["bare"] = asyncio.run(bare_loop(targets(url, run), entries, run.repeats, run.concurrency))
        client["bare"] = (_cpu_self() - cpu) / requests * 1e6
        served["bare"] = (_cpu_of(server) - server_cpu) / requests * 1e6

    def tool() -> None:
        cpu, server_cpu = _cpu_self(), _cpu_of(server)
        start = time.perf_counter()
        summary = run_replay(entries, targets(url, run), out, ReplayOptions.from_run(run))
        figures["replay"] = time.perf_counter() - start
        start = time.perf_counter()
        compare_file(out / EXCHANGES_FILE)
        figures["compare"] = time.perf_counter() - start
        figures["exchanges"] = summary.exchanges
        client["replay + compare"] = (_cpu_self() - cpu) / summary.exchanges * 1e6
        served["replay + compare"] = (_cpu_of(server) - server_cpu) / summary.exchanges * 1e6

    for step in (tool, bare) if tool_first else (bare, tool):
        step()
    tool_rps = figures["exchanges"] / (figures["replay"] + figures["compare"])
    return Round(requests / figures["bare"], tool_rps, figures["replay"], figures["compare"], client, served)


def compare_in_child(path: str) -> tuple[float, float, int]:
    """Runs in a fresh process: wall time, peak RSS in MB, entries compared."""
    start = time.perf_counter()
    comparison = compare_file(path)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return elapsed, peak_kb / 1024 / (1024 if sys.platform == "darwin" else 1), len(comparison.entries)


def inflate(recorded: Path, target: Path, exchanges: int) -> int:
    """Repeat the recorded run under new entry ids until it holds ``exchanges`` exchanges."""
    lines = recorded.read_text(encoding="utf-8").splitlines()
    written = 0
    with target.open("w", encoding="utf-8") as sink:
        copy = 0
        while written < exchanges:
            for line in lines:
                record = json.loads(line)
                record["entry_id"] = f"{record['entry_id']}~{copy}"
                sink.write(json.dumps(record, separators=(",", ":")) + "\n")
                written += 1
            copy += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=20, help="copies of the shipped corpus to replay")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of bare loop and replay; medians are printed")
    parser.add_argument("--exchanges", type=int, default=100_000, help="size of the memory run (0: skip it)")
    args = parser.parse_args()
    run = RunOptions(concurrency=args.concurrency)
    entries = copies_of_corpus(args.copies)
    server, url = start_server()
    try:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder)
            asyncio.run(bare_loop(targets(url, run), entries[:20], run.repeats, run.concurrency))  # warm-up
            rounds = [
                one_round(url, run, entries, out / str(n), Process(server.pid), tool_first=bool(n % 2))
                for n in range(args.rounds)
            ]
            report(rounds, len(entries), run.concurrency)
            if args.exchanges:
                memory_run(out / "0" / EXCHANGES_FILE, out / "inflated.jsonl", args.exchanges)
    finally:
        server.terminate()
        server.wait(10)


def report(rounds: list[Round], entries: int, concurrency: int) -> None:
    def median(values: list[float]) -> float:
        return statistics.median(values)

    ratios = [r.tool_rps / r.bare_rps for r in rounds]
    replay_s, compare_s = median([r.replay_s for r in rounds]), median([r.compare_s for r in rounds])
    print(f"replay of {entries} entries against old and new, 2 attempts each, concurrency {concurrency}; ")
    print(f"medians of {len(rounds)} rounds, each measuring the bare loop and replay + compare back to back:")
    print(
        f"  replay + compare  {median([r.tool_rps for r in rounds]):8.0f} requests/s (replay {replay_s:.2f} s + "
        f"compare {compare_s:.2f} s)"
    )
    print(f"  bare httpx loop   {median([r.bare_rps for r in rounds]):8.0f} requests/s")
    print(
        f"  ratio             {median(ratios):8.2f} (target >= 0.95; rounds: "
        + ", ".join(f"{ratio:.2f}" for ratio in ratios)
        + ")"
    )
    alone = median([r.tool_rps * (r.replay_s + r.compare_s) / r.replay_s / r.bare_rps for r in rounds])
    print(f"  replay alone      {alone:8.2f} of the bare loop")
    for name in rounds[0].client_cpu_us:
        client = median([r.client_cpu_us[name] for r in rounds])
        server = median([r.server_cpu_us[name] for r in rounds])
        print(f"  CPU per request   {name:<17} client {client:5.0f} us, server {server:5.0f} us")
    pairs_per_s = median([r.tool_rps / 2 * (r.replay_s + r.compare_s) / r.compare_s for r in rounds])
    replay_pairs = median([r.tool_rps / 2 * (r.replay_s + r.compare_s) / r.replay_s for r in rounds])
    print(
        f"  compare stage     {pairs_per_s:8.0f} pairs/s = {pairs_per_s / replay_pairs:.0f}x the replay rate "
        "(target >= 10x)"
    )


def memory_run(recorded: Path, big: Path, exchanges: int) -> None:
    written = inflate(recorded, big, exchanges)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        elapsed, peak_mb, entries_compared = pool.submit(compare_in_child, str(big)).result()
    print(
        f"  {written} exchanges ({big.stat().st_size / 1e6:.0f} MB): compare {elapsed:.1f} s, "
        f"{written / 2 / elapsed:.0f} pairs/s, peak RSS {peak_mb:.0f} MB (target < 200 MB), "
        f"{entries_compared} entries"
    )


if __name__ == "__main__":
    main()
