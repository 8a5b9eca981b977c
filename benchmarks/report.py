"""The HTML report of a 100k-exchange run: its size, and how long headless Chromium takes to load it, against
a plain page of the same size loaded in the same run.

    python benchmarks/report.py [--entries 25000] [--rounds 3]

Two runs are rendered by the real reporters. The realistic one is compared from a synthetic exchanges.jsonl
(``entries`` x 4 exchanges, one entry in ten drifted, as benchmarks/compare.py writes it) and judged: grouped
findings keep its report small. The heavy one is the test-suite's ``large_run`` sample (5,000 findings over
2,000 endpoints, every tenth with whole 50-message bodies and a 20 kB HTML page), the most a report holds.
Chromium (Debian's, at /usr/bin/chromium) opens ``report.html`` from disk and the time to the ``load`` event
is measured, then the same for a plain ``<pre>`` page of equal byte size: the ratio says what the report's own
structure and script cost.
Medians over rounds are printed, never asserted. Targets: at most 20 MB and at most 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from compare import write_exchanges
from playwright.sync_api import Browser, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from report_samples import large_run

from chatmigrate import __version__
from chatmigrate.compare import compare_file
from chatmigrate.config import GateLimits
from chatmigrate.records import RunResult
from chatmigrate.report import render
from chatmigrate.verdict import judge_run

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def judged_run(exchanges: Path) -> RunResult:
    result = compare_file(exchanges).into(RunResult(tool_version=__version__, started_at="2026-12-04T00:00:00+00:00"))
    judge_run(result, GateLimits())
    return result


def load_seconds(browser: Browser, page_file: Path) -> float:
    page = browser.new_page()
    try:
        started = time.perf_counter()
        page.goto(page_file.as_uri(), wait_until="load", timeout=120_000)
        return time.perf_counter() - started
    finally:
        page.close()


def measure(browser: Browser, html: Path, rounds: int) -> tuple[float, float, float]:
    """(MB, median report load s, median load s of a plain page of the same size)."""
    size = html.stat().st_size
    plain = html.with_name("plain.html")
    plain.write_text("<!doctype html><pre>" + "x" * max(0, size - 30) + "</pre>", encoding="utf-8")
    report_s = statistics.median(load_seconds(browser, html) for _ in range(rounds))
    plain_s = statistics.median(load_seconds(browser, plain) for _ in range(rounds))
    return size / 1e6, report_s, plain_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=25_000, help="corpus entries (x 4 exchanges)")
    parser.add_argument("--rounds", type=int, default=3, help="page loads of each; medians are printed")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"benchmarks/report.py needs Chromium at {CHROMIUM} (Debian package chromium)")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        exchanges = write_exchanges(root / "exchanges.jsonl", args.entries)
        started = time.perf_counter()
        realistic = judged_run(root / "exchanges.jsonl")
        (realistic_html,) = render(realistic, root / "realistic", ["html"])
        rendered = time.perf_counter() - started
        heavy = large_run()
        (heavy_html,) = render(heavy, root / "heavy", ["html"])
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                rows = [
                    (f"realistic: {exchanges} exchanges, {len(realistic.findings)} findings", realistic_html),
                    (f"heavy: {len(heavy.findings)} findings, {len(heavy.endpoints)} endpoints", heavy_html),
                ]
                measured = [(label, measure(browser, html, args.rounds)) for label, html in rows]
            finally:
                browser.close()
    print(f"compare + judge + render of the realistic run: {rendered:.1f} s")
    print(f"{'report.html':<48}{'MB':>7}{'load s':>9}{'plain s':>9}{'ratio':>7}   (targets: 20 MB, 10 s)")
    for label, (megabytes, report_s, plain_s) in measured:
        print(f"{label:<48}{megabytes:>7.1f}{report_s:>9.2f}{plain_s:>9.2f}{report_s / plain_s:>6.1f}x")


if __name__ == "__main__":
    main()
