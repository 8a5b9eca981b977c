"""How fast the comparison engine is, against DeepDiff measured in the same run.

    python benchmarks/compare.py [--entries 25000] [--seconds 2]

1. Diff speed: realistic pairs of 50- and 200-message responses (the reference
   server's shapes, with noise fields and a few real differences), DeepDiff as the
   baseline, pairs/s for both and the ratio (design target: at least 20x).
2. Compare stage: a synthetic exchanges.jsonl of ``entries`` x 4 exchanges (old and
   new, two attempts each), compared in a child process so its peak RSS is the
   compare's own (design target: under 200 MB for 100k exchanges).

Figures are printed, never asserted: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

from chatmigrate.compare import CompareOptions, compare_file
from chatmigrate.jsondiff import diff
from chatmigrate.records import Exchange, to_dict

ENDPOINTS = {
    "recent_messages": "GET /admin/chat/ [recent_messages]",
    "purchases_list": "GET /admin/chat/ [purchases_list]",
    "chat_list": "GET /admin/chat/ [chat_list]",
}
LINES = ["hi", "I can't log in on mobile", "Done, please refresh.", "When does the tournament start?", "Thanks!"]


def noise() -> dict[str, str]:
    return {
        "generated_at": f"2026-11-26T23:{random.randint(0, 59):02d}:00.{random.randint(0, 999999):06d}Z",
        "request_id": uuid.uuid4().hex,
    }


def messages_response(room: int, count: int) -> dict[str, Any]:
    items = [
        {
            "id": 5000 - i,
            "chatroom_id": room,
            "sender": "player" if i % 3 else "admin",
            "sender_id": 1000 + room if i % 3 else 1,
            "sender_name": f"Player {1000 + room}" if i % 3 else "admin",
            "message": LINES[i % len(LINES)],
            "timestamp": f"2026-01-05T{i % 24:02d}:{i % 60:02d}:00Z",
            "is_read": i % 2 == 0,
        }
        for i in range(count)
    ]
    return {
        "status": "success",
        "request_type": "recent_messages",
        "chatroom_id": room,
        "messages": items,
        "count": count,
        "has_more": count >= 50,
        **noise(),
    }


def purchases_response(room: int, count: int) -> dict[str, Any]:
    items = [
        {
            "id": 900 - i,
            "chatroom_id": room,
            "player_id": 1000 + room,
            "item": "Starter pack",
            "amount": f"{(i % 20) + 0.99:.2f}",
            "currency": "USD",
            "status": "completed",
            "html_content": f"<p><b>Starter pack</b> x{i % 3 + 1}</p>",
            "timestamp": f"2026-01-08T00:{i % 60:02d}:36Z",
        }
        for i in range(count)
    ]
    return {
        "status": "success",
        "request_type": "purchases_list",
        "chatroom_id": room,
        "messages": items,
        "count": count,
        "has_more": False,
        **noise(),
    }


def chat_list_response(count: int) -> dict[str, Any]:
    chats = [
        {
            "chatroom_id": i,
            "chatroom": f"P{1000 + i}Chat",
            "player_id": 1000 + i,
            "username": f"player{1000 + i}",
            "last_message": LINES[i % len(LINES)],
            "last_message_at": f"2026-02-03T02:{i % 60:02d}:12Z",
            "unread_count": i % 4,
            "is_online": i % 5 == 0,
        }
        for i in range(1, count + 1)
    ]
    return {"status": "success", "request_type": "chat_list", "chats": chats, "count": count, **noise()}


def drifted(body: dict[str, Any]) -> dict[str, Any]:
    """The new side's answer: fresh noise, one edited message, one bool served as an int."""
    new = json.loads(json.dumps(body))
    new.update(noise())
    items = new.get("messages") or []
    if len(items) > 3 and "is_read" in items[3]:
        items[1]["message"] = "edited on the new tier"
        items[3]["is_read"] = int(items[3]["is_read"])
    return new


def diff_pairs(size: int, count: int = 20) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Distinct parsed objects per pair, as compare sees them after reading JSONL."""
    pairs = []
    for room in range(1, count + 1):
        old = messages_response(room, size)
        pairs.append((json.loads(json.dumps(old)), drifted(old)))
    return pairs


def rate(function: Callable[[Any, Any], Any], pairs: list[tuple[Any, Any]], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while True:
        for old, new in pairs:
            function(old, new)
        done += len(pairs)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def bench_diff(seconds: float) -> None:
    print("diff speed (pairs of recent_messages responses, noise fields and 2 real differences per pair)")
    for size in (50, 200):
        pairs = diff_pairs(size)
        ours = rate(diff, pairs, seconds)
        baseline = rate(DeepDiff, pairs, seconds)
        print(
            f"  {size:>3} messages: DeepDiff {baseline:8.0f} pairs/s ({1000 / baseline:6.2f} ms/pair)   "
            f"jsondiff {ours:8.0f} pairs/s ({1000 / ours:6.3f} ms/pair)   ratio {ours / baseline:5.0f}x "
            f"(target >= 20x)"
        )


def exchange_lines(entry_index: int) -> list[str]:
    """One corpus entry as the runner writes it: old and new, attempts 0 and 1, mostly clean."""
    kind = ("recent_messages", "recent_messages", "purchases_list", "chat_list")[entry_index % 4]
    room = entry_index % 40 + 1
    size = random.randint(1, 50)
    if kind == "recent_messages":
        body = messages_response(room, size)
    elif kind == "purchases_list":
        body = purchases_response(room, size // 5 + 1)
    else:
        body = chat_list_response(40)
    drift = entry_index % 10 == 0
    lines = []
    for side, path in (("old", "/admin/chat/"), ("new", "/api/v1/admin/chat/")):
        for attempt in (0, 1):
            answer = json.loads(json.dumps(body))
            answer.update(noise())
            if side == "new" and drift:
                answer = drifted(answer)
            record = Exchange(
                entry_id=f"entry-{entry_index:06d}",
                side=side,
                attempt=attempt,
                method="GET",
                url=f"http://127.0.0.1:8000{path}?request_type={kind}&chatroom_id={room}",
                endpoint=ENDPOINTS[kind],
                status=200,
                content_type="application/json",
                headers={"content-type": "application/json"},
                body=answer,
                is_json=True,
                elapsed_ms=random.lognormvariate(2.5, 0.4) * (1.3 if side == "new" else 1),
            )
            lines.append(json.dumps(to_dict(record)))
    return lines


def write_exchanges(path: Path, entries: int) -> int:
    random.seed(7)
    with path.open("w", encoding="utf-8") as handle:
        for index in range(entries):
            handle.write("\n".join(exchange_lines(index)) + "\n")
    return entries * 4


def compare_in_child(path: str, with_schema: bool) -> tuple[float, float, int, int]:
    """Runs in a fresh process: wall time, peak RSS in MB, findings, entries."""
    options = CompareOptions() if with_schema else CompareOptions(schema_check=lambda *args: [])
    start = time.perf_counter()
    comparison = compare_file(path, (), options)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = peak_kb / 1024 if sys.platform != "darwin" else peak_kb / 1024 / 1024
    return elapsed, peak_mb, len(comparison.findings), len(comparison.entries)


def bench_compare(entries: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "exchanges.jsonl"
        start = time.perf_counter()
        exchanges = write_exchanges(path, entries)
        size_mb = path.stat().st_size / 1e6
        print(
            f"\ncompare stage: {exchanges} exchanges ({entries} entries x 4), {size_mb:.0f} MB of JSONL "
            f"(written in {time.perf_counter() - start:.1f} s)"
        )
        for with_schema in (False, True):
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                elapsed, peak_mb, findings, compared = pool.submit(compare_in_child, str(path), with_schema).result()
            label = "with schema check   " if with_schema else "without schema check"
            print(
                f"  {label}: {exchanges / elapsed:8.0f} exchanges/s ({elapsed:.1f} s, two passes), "
                f"peak RSS {peak_mb:.0f} MB (target < 200 MB), {compared} entries, {findings} findings"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=25_000, help="entries in the synthetic run (x4 exchanges)")
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent per diff measurement")
    args = parser.parse_args()
    bench_diff(args.seconds)
    bench_compare(args.entries)


if __name__ == "__main__":
    main()
