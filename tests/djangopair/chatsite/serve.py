"""Start the site as a deployment would: migrate, seed, then uvicorn serving Django's ASGI application.

``python -m chatsite.serve FD`` serves on the listening socket inherited as file descriptor FD (bound by the
test on an ephemeral loopback port), prints ``ready`` once the first request can be answered, and shuts down
when its stdin closes."""

from __future__ import annotations

import os
import socket
import sys
import threading

import django
import uvicorn
from django.core.management import call_command


def main(fd: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    django.setup()
    call_command("migrate", verbosity=0)
    from chatsite.chat.seed import seed

    seed(os.environ["CHATSITE_PASSWORD"])
    from chatsite import urls  # noqa: F401  (imported now, so that the first request is not the one that waits)
    from chatsite.asgi import application

    server = uvicorn.Server(
        uvicorn.Config(application, lifespan="off", log_level="warning", access_log=False, ws="none")
    )
    threading.Thread(target=_exit_when_stdin_closes, args=(server,), daemon=True).start()
    print("ready", flush=True)
    server.run(sockets=[socket.socket(fileno=fd)])


def _exit_when_stdin_closes(server: uvicorn.Server) -> None:
    sys.stdin.read()
    server.should_exit = True


if __name__ == "__main__":
    main(int(sys.argv[1]))
