"""The Django pair on the wire: each site is its own process (Django settings are per process), served by
uvicorn on a loopback socket this process binds, so the port is known before the child starts.

A site stops when its stdin closes: at the end of the session, and also when the test process dies first."""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from chatmigrate.embedded import bind_socket

HERE = Path(__file__).parent
START_SECONDS = 60
STOP_SECONDS = 10
INACTIVE_USER_ID = 5
"""``former`` in chatsite/chat/seed.py: the principals are created in order, so their ids are 1, 2, 3, …"""


@dataclass
class DjangoSite:
    """One running site. ``password_file`` opens every seeded account and ``secret_file`` holds the key that
    signs its tokens, as a deployment's secret store would hand them to chatmigrate."""

    folder: Path
    base_url: str = ""
    process: subprocess.Popen[str] | None = field(default=None, repr=False)

    @property
    def password_file(self) -> Path:
        return self.folder / "password"

    @property
    def secret_file(self) -> Path:
        return self.folder / "secret_key"

    @property
    def password(self) -> str:
        return self.password_file.read_text()

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_site(folder: Path, *, variant: bool) -> DjangoSite:
    """Migrate and seed a fresh SQLite file in ``folder``, then serve; returns once requests are answered."""
    folder.mkdir(parents=True, exist_ok=True)
    site = DjangoSite(folder)
    site.password_file.write_text(secrets.token_urlsafe(12))
    site.secret_file.write_text(secrets.token_urlsafe(40))
    env = {
        **os.environ,
        "PYTHONPATH": str(HERE),
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
        "CHATSITE_DB": str(folder / "db.sqlite3"),
        "CHATSITE_SECRET_KEY": site.secret_file.read_text(),
        "CHATSITE_PASSWORD": site.password,
        "CHATSITE_VARIANT": "1" if variant else "0",
    }
    with bind_socket("127.0.0.1", 0) as sock, site.log.open("w") as log:
        site.process = subprocess.Popen(
            [sys.executable, "-m", "chatsite.serve", str(sock.fileno())],
            pass_fds=[sock.fileno()],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        site.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    assert site.process.stdout is not None
    ready, _, _ = select.select([site.process.stdout], [], [], START_SECONDS)
    if not ready or site.process.stdout.readline().strip() != "ready":
        site.stop()
        raise RuntimeError(f"the Django site did not start:\n{site.log.read_text()}")
    return site


@contextlib.contextmanager
def running_sites(folder: Path) -> Iterator[tuple[DjangoSite, DjangoSite]]:
    """The clean site and the variant, started side by side; both stop at the end, or if either fails to start."""
    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(start_site, folder / name, variant=name == "variant") for name in ("clean", "variant")]
    try:
        clean, variant = (future.result() for future in futures)
        yield clean, variant
    finally:
        started = [future.result() for future in futures if future.exception() is None]
        with ThreadPoolExecutor() as pool:
            list(pool.map(DjangoSite.stop, started))
