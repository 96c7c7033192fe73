"""Run a fake service (an ASGI app) on 127.0.0.1 in a background thread, for tests and by hand.

Tests use :func:`serving` as a context manager and get the base URL; ``python -m tests.fakes.X
--port N`` uses :func:`main_for` to serve the same app in the foreground.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 until the block ends; yields ``http://127.0.0.1:PORT``."""
    port = port or _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"fake server did not start on port {port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main_for(app: Any, name: str, default_port: int) -> None:
    """Command-line entry for ``python -m tests.fakes.<name> --port N``."""
    parser = argparse.ArgumentParser(description=f"Strict local fake of the {name} API.")
    parser.add_argument("--port", type=int, default=default_port)
    args = parser.parse_args()
    print(f"fake {name} listening on http://127.0.0.1:{args.port}")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="info")
