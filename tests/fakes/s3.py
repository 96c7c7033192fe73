"""A real S3-compatible server for tests: moto in server mode on 127.0.0.1, in its own process.

moto answers the S3 REST API (including ``If-None-Match: *`` and ``If-Match`` on PUT and
DELETE), but checks a condition and stores the object in two steps on separate request
threads. Real S3 decides conditional writes atomically, so this server runs every *write*
(PUT, POST, DELETE) one at a time behind a lock while reads stay concurrent: two racing
conditional creates then end as one 200 and one 412, as on AWS.

``python -m tests.fakes.s3 --port N`` serves it by hand; tests use :func:`moto_server`, which
starts the process, waits until it answers and stops it afterwards.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
TEST_KEYS = {
    "AWS_ACCESS_KEY_ID": "previz-test-key-id",
    "AWS_SECRET_ACCESS_KEY": "previz-test-secret-4a1f",
    "AWS_DEFAULT_REGION": "us-east-1",
    # without keys botocore would ask the EC2 metadata address; tests talk to 127.0.0.1 only
    "AWS_EC2_METADATA_DISABLED": "true",
}


class SerialWrites:
    """WSGI middleware: one mutating request at a time, so conditional writes are atomic."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") in ("PUT", "POST", "DELETE"):
            with self.lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)  # type: ignore[no-any-return]


def serve(port: int) -> None:
    """Serve moto's S3 on 127.0.0.1:``port`` until killed."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    app = SerialWrites(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"moto S3 listening on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """Start the server in a child process; yield its endpoint URL; stop it at the end."""
    port = _free_port()
    # The server logs every request: to a file, never to a pipe nobody drains (it would block).
    log = tempfile.TemporaryFile()  # noqa: SIM115  # closed in the finally below
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.s3", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    err = log.read().decode(errors="replace")
                    raise RuntimeError(f"moto did not start: {err[-2000:]}") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def s3_environment(endpoint: str) -> dict[str, str]:
    """The standard AWS variables that point boto, s3fs and previz at ``endpoint``."""
    return {**TEST_KEYS, "AWS_ENDPOINT_URL": endpoint}


def main() -> None:
    parser = argparse.ArgumentParser(description="moto S3 with atomic conditional writes.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)))
    serve(parser.parse_args().port)


if __name__ == "__main__":
    main()
