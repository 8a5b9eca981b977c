"""Running the shadow until it is stopped: principals from the config, uvicorn on ``[shadow] listen``.

The final report is written by the service's own shutdown, so Ctrl-C (which uvicorn turns into a graceful
stop) loses nothing that was mirrored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from chatmigrate.auth import build_auth
from chatmigrate.config import Config
from chatmigrate.embedded import bind_socket, uvicorn_server
from chatmigrate.errors import UsageError
from chatmigrate.records import RunResult
from chatmigrate.shadow.principals import Principals
from chatmigrate.shadow.service import ShadowService
from chatmigrate.vocab import Tier


def principals_of(config: Config, *, env: Mapping[str, str] | None = None) -> Principals:
    """``[shadow.principals.<username>]``, and the new target's own credential under its principal's name."""
    new = config.targets[Tier.NEW]
    adapters = {}
    own = build_auth(new.auth, new.base_url, env=env)
    if own.principal:
        adapters[own.principal] = own
    for username, auth in config.shadow.principals.items():
        adapters[username] = build_auth(auth, new.base_url, env=env)
    return Principals(adapters)


def run_shadow(
    config: Config,
    *,
    results_dir: Path,
    reports_dir: Path | None = None,
    on_ready: Callable[[str], None] = lambda url: None,
    on_report: Callable[[RunResult], None] | None = None,
) -> RunResult | None:
    """Serve until interrupted; the last judged run (None if nothing was ever compared)."""
    if Tier.OLD not in config.targets or Tier.NEW not in config.targets:
        raise UsageError("the shadow needs an old and a new target")
    service = ShadowService(
        config, principals_of(config), config.shadow, results_dir=results_dir, reports_dir=reports_dir
    )
    if on_report is not None:
        service.on_report = on_report
    host, port = config.shadow.listen
    sock = bind_socket(host, port)
    server = uvicorn_server(service)
    on_ready(f"http://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn stopped gracefully, then re-raised Ctrl-C: it is how a shadow ends
        pass
    finally:
        sock.close()
    return service.last_result
