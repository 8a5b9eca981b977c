"""The HTML report in a real headless Chromium: readable, filterable, offline and inert."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from chatmigrate.audit import AuditOptions, embedded_target
from chatmigrate.config import embedded_config
from chatmigrate.embedded import EmbeddedServer
from chatmigrate.gate import GateOutcome, run_gate
from chatmigrate.records import RunResult
from chatmigrate.server.config import ServerConfig
from chatmigrate.server.switches import Switches
from chatmigrate.vocab import Severity

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Visit:
    page: Page
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def gate_run(tmp_path_factory: pytest.TempPathFactory) -> GateOutcome:
    """A real, failing ``gate`` on an embedded server of its own: purchases under the wrong key put hostile (stored)
    purchase ``html_content`` into the evidence; the audit runs too and fills the matrix."""
    folder = tmp_path_factory.mktemp("gate")
    config = ServerConfig(switches=Switches.parse(["purchases-key"], ["stored-active-html"]))
    with EmbeddedServer(config) as server:
        loaded = embedded_config(server, env={}, overrides={"compare.latency_floor_ms": "60000"})
        return run_gate(
            loaded,
            embedded_target(server),
            results_dir=folder / "results",
            reports_dir=folder / "reports",
            formats=["html"],
            audit_options=AuditOptions(budget=10),
        )


@pytest.fixture(scope="module")
def failing_run(gate_run: GateOutcome) -> RunResult:
    assert gate_run.verdict.exit_code == 1
    return gate_run.result


@pytest.fixture(scope="module")
def report_file(gate_run: GateOutcome) -> Path:
    (path,) = gate_run.reports
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def visit(report_file: Path, browser: Browser) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    seen = Visit(page, report_file.as_uri())
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda msg: seen.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    context.route("**/*", lambda route: route.continue_() if route.request.url == seen.url else route.abort())
    page.goto(seen.url, wait_until="load")
    yield seen
    context.close()


def test_verdict_and_finding_count_are_visible(visit: Visit, failing_run: RunResult) -> None:
    banner = visit.page.locator("header.verdict")
    assert banner.is_visible()
    assert "FAILED (exit 1)" in banner.inner_text()
    assert f"{len(failing_run.findings)} findings" in banner.locator("h1").inner_text()


def test_severity_filter_shows_only_findings_at_or_above_the_choice(visit: Visit, failing_run: RunResult) -> None:
    page = visit.page
    findings = page.locator("#finding-list .finding")
    assert findings.evaluate_all("els => els.filter(e => !e.hidden).length") == len(failing_run.findings)
    page.select_option("#filter-severity", str(Severity.HIGH.rank))
    visible = findings.evaluate_all("els => els.filter(e => !e.hidden).map(e => e.dataset.rank)")
    expected = [f for f in failing_run.findings if f.severity.rank >= Severity.HIGH.rank]
    assert len(visible) == len(expected)
    assert all(int(rank) >= Severity.HIGH.rank for rank in visible)
    assert f"{len(expected)} of" in page.locator("#filter-count").inner_text()


def test_check_filter_narrows_to_one_check(visit: Visit) -> None:
    page = visit.page
    page.select_option("#filter-check", "body")
    checks = page.locator("#finding-list .finding").evaluate_all(
        "els => els.filter(e => !e.hidden).map(e => e.dataset.check)"
    )
    assert checks and set(checks) == {"body"}


def test_page_makes_no_network_request(visit: Visit) -> None:
    visit.page.click("#expand-all")
    visit.page.wait_for_timeout(200)
    assert visit.requests == [visit.url]


def test_page_logs_no_console_error(visit: Visit) -> None:
    visit.page.click("#expand-all")
    assert visit.console_errors == []


def test_hostile_purchase_html_runs_no_script(visit: Visit) -> None:
    page = visit.page
    page.click("#expand-all")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert visit.dialogs == []
    assert page.locator("img, iframe, object, embed").count() == 0
    shown = page.locator("#finding-list").inner_text()
    assert "onerror=" in shown
    assert "window.__pwned" in shown


def test_screenshot_is_saved_next_to_the_report(visit: Visit, report_file: Path) -> None:
    shot = report_file.with_name("report.png")
    visit.page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG")
