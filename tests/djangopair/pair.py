"""The Django pair on the wire: each site is its own process (Django settings are per process), started with
uvicorn on a loopback socket this process binds, so the port is known before the child starts."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from chatmigrate.embedded import bind_socket

HERE = Path(__file__).parent
PASSWORD_ENV = "CHATSITE_PASSWORD"
STOP_SECONDS = 10
# The seed's principals (chatsite/chat/seed.py), in creation order: their ids are 1, 2, 3, ...
INACTIVE_USER_ID = 5


@dataclass
class DjangoSite:
    """One running site; the file ``password_file`` opens every seeded account, ``secret_file`` holds the key
    that signs its tokens (as a deployment's secret store would hand them to chatmigrate)."""

    base_url: str
    folder: Path
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
        self.process.terminate()
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_site(folder: Path, *, variant: bool) -> DjangoSite:
    """Migrate and seed a fresh SQLite file in ``folder``, then serve; returns once requests are answered."""
    folder.mkdir(parents=True, exist_ok=True)
    password, secret_key = secrets.token_urlsafe(12), secrets.token_urlsafe(40)
    site = DjangoSite("", folder)
    site.password_file.write_text(password)
    site.secret_file.write_text(secret_key)
    env = {
        **os.environ,
        "PYTHONPATH": str(HERE),
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
        "CHATSITE_DB": str(folder / "db.sqlite3"),
        "CHATSITE_SECRET_KEY": secret_key,
        "CHATSITE_VARIANT": "1" if variant else "0",
        PASSWORD_ENV: password,
    }
    sock = bind_socket("127.0.0.1", 0)
    with sock, site.log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "chatsite.serve", str(sock.fileno())],
            pass_fds=[sock.fileno()],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
        )
        port = sock.getsockname()[1]
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.wait(STOP_SECONDS)
        raise RuntimeError(f"the Django site did not start:\n{site.log.read_text()}")
    site.base_url, site.process = f"http://127.0.0.1:{port}", process
    return site


@contextlib.contextmanager
def running_sites(folder: Path) -> Iterator[tuple[DjangoSite, DjangoSite]]:
    """The clean site and the variant, started side by side."""
    with ThreadPoolExecutor() as pool:
        futures = [pool.submit(start_site, folder / name, variant=variant) for name, variant in CHOICES]
    sites = [future.result() for future in futures]
    try:
        yield sites[0], sites[1]
    finally:
        for site in sites:
            site.stop()


CHOICES = (("clean", False), ("variant", True))
