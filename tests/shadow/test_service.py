"""chatmigrate shadow in front of the embedded legacy admin, driven like a browser logged in as admin."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from conftest import ServerFactory
from server_wire import LEGACY_CHAT, logged_in, without_noise
from shadow.conftest import ShadowFactory

from chatmigrate.embedded import LoopbackServer
from chatmigrate.records import RunResult
from chatmigrate.results import load_run

PAGES = [
    {"chatroom_id": "1", "request_type": "recent_messages"},
    {"chatroom_id": "2", "request_type": "recent_messages"},
    {"chatroom_id": "1", "request_type": "purchases_list"},
    {"request_type": "chat_list"},
]


def browse(front: LoopbackServer, rounds: int = 2) -> list[httpx.Response]:
    with closing(logged_in(front)) as client:  # type: ignore[arg-type]
        return [client.get(LEGACY_CHAT, params=page) for _ in range(rounds) for page in PAGES]


def final_run(front: LoopbackServer, results: Path) -> RunResult:
    front.stop()
    return load_run(results)


def test_the_primary_answer_is_old_s_answer(server_with: ServerFactory, shadow_in_front: ShadowFactory) -> None:
    server = server_with()
    front, _ = shadow_in_front(server)
    through = browse(front, rounds=1)
    with closing(logged_in(server)) as direct:
        straight = [direct.get(LEGACY_CHAT, params=page) for page in PAGES]
    for one, other in zip(through, straight, strict=True):
        assert (one.status_code, one.headers["content-type"]) == (other.status_code, other.headers["content-type"])
        assert without_noise(one.json()) == without_noise(other.json())


def test_a_login_through_the_shadow_passes_old_s_cookies_unchanged(
    server_with: ServerFactory, shadow_in_front: ShadowFactory
) -> None:
    front, _ = shadow_in_front(server_with())
    with closing(logged_in(front)) as client:  # type: ignore[arg-type]
        assert {"sessionid", "csrftoken"} <= set(client.cookies.keys())
        assert client.get(LEGACY_CHAT, params=PAGES[0]).status_code == 200


def test_a_clean_pair_shows_no_failing_finding_and_learns_noise_live(
    server_with: ServerFactory, shadow_in_front: ShadowFactory, tmp_path: Path
) -> None:
    front, _ = shadow_in_front(server_with())
    browse(front)
    run = final_run(front, tmp_path / "results")
    assert len(run.entries) == 2 * len(PAGES)
    assert [f.title for f in run.findings if f.severity.rank >= 2] == []
    assert {noise.path for noise in run.noise} >= {"$.generated_at", "$.request_id"}
    assert run.verdict is not None and run.verdict.passed


def test_a_drift_is_caught_from_live_traffic_as_replay_catches_it(
    own_server_with: ServerFactory, shadow_in_front: ShadowFactory, tmp_path: Path
) -> None:
    front, _ = shadow_in_front(own_server_with(drifts=("rename-field",)))
    browse(front)
    run = final_run(front, tmp_path / "results")
    assert any(f.check == "body" and f.path == "$.messages[*].message" for f in run.findings)
    assert run.verdict is not None and not run.verdict.passed
    assert (tmp_path / "results" / "report.html").is_file()


def test_requests_of_a_session_the_shadow_never_saw_begin_are_not_mirrored(
    server_with: ServerFactory, shadow_in_front: ShadowFactory, tmp_path: Path
) -> None:
    server = server_with()
    front, _ = shadow_in_front(server)
    with closing(logged_in(server)) as direct:  # logged in straight at old, then pointed at the shadow
        session = direct.cookies["sessionid"]
    with httpx.Client(base_url=front.base_url, cookies={"sessionid": session}) as client:
        assert client.get(LEGACY_CHAT, params=PAGES[0]).status_code == 200
    status = httpx.get(f"{front.base_url}/_chatmigrate/status.json").json()
    (row,) = status["endpoints"]
    assert row["mirrored"] == 0 and row["skipped"] == {"session began before the shadow": 1}
    assert final_run(front, tmp_path / "results").entries == []


def test_the_session_id_is_never_written(
    server_with: ServerFactory, shadow_in_front: ShadowFactory, tmp_path: Path
) -> None:
    front, _ = shadow_in_front(server_with())
    with closing(logged_in(front)) as client:  # type: ignore[arg-type]
        session = client.cookies["sessionid"]
        csrf = client.cookies["csrftoken"]
        client.get(LEGACY_CHAT, params=PAGES[0])
    front.stop()
    for path in (tmp_path / "results").iterdir():
        text = path.read_text(encoding="utf-8")
        assert session not in text and csrf not in text, path.name


class Stalled:
    """A new side that accepts and never answers until released: the mirror queue can only fill up."""

    def __init__(self) -> None:
        self.release = threading.Event()

    async def __call__(self, scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] != "http":
            return
        while not self.release.is_set():
            await asyncio.sleep(0.05)


@pytest.fixture
def stalled_new() -> Iterator[tuple[LoopbackServer, Stalled]]:
    app = Stalled()
    with LoopbackServer(app) as server:
        yield server, app
        app.release.set()


def test_a_full_queue_drops_and_counts_mirrors_and_never_delays_the_primary(
    server_with: ServerFactory, shadow_in_front: ShadowFactory, stalled_new: tuple[LoopbackServer, Stalled]
) -> None:
    server, stall = stalled_new
    front, _ = shadow_in_front(server_with(), new_base_url=server.base_url, queue_size=2, workers=1, timeout=30.0)
    answers = browse(front, rounds=5)
    assert [answer.status_code for answer in answers] == [200] * len(answers)
    status = httpx.get(f"{front.base_url}/_chatmigrate/status.json").json()
    waiting_or_working = 2 + 1
    assert status["queue"]["dropped"] == {"queue full": len(answers) - waiting_or_working}
    stall.release.set()


def test_the_status_page_escapes_what_traffic_put_in_it(
    server_with: ServerFactory, shadow_in_front: ShadowFactory
) -> None:
    front, _ = shadow_in_front(server_with())
    with closing(logged_in(front)) as client:  # type: ignore[arg-type]
        client.get("/admin/<script>alert(1)</script>/")
    page = httpx.get(f"{front.base_url}/_chatmigrate/").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert json.loads(httpx.get(f"{front.base_url}/_chatmigrate/status.json").text)["endpoints"]
