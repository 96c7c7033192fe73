"""The client side of the build server: a ``previz`` command run in a process forked from a warm
one (:mod:`previz.cli.server`) instead of a fresh interpreter that imports everything again.

A ``previz build`` spends ~0.45 s importing previz and the libraries it uses (pydantic, PyAV,
OTIO, Jinja, rich…) before it looks at the scene; iterating on one shot, that is a third of the
wait. Gradle, Bazel and mypy's ``dmypy`` keep a process warm for the same reason. Here the warm
process runs nothing itself: for each command it forks a child that takes this process's place —
its standard streams (the file descriptors themselves, passed over the socket), working folder,
environment, umask, arguments and ``sys.path`` — runs the command exactly as this process would
have, and ends. This process waits, passes on the signals it gets (Ctrl-C, ``kill``) to the
child's process group, and exits with the child's status. Every command starts from the same
state, the server's, never from what an earlier command left.

When the server is used (:data:`SERVER_ENV`):

- ``auto`` (the default): when the standard input, output and error are all a terminal — someone
  at the keyboard, iterating. A script, a pipe, CI or a test run every command in its own process
  as always, and no server is started for them;
- ``on``: always (a bench, an editor's build task);
- ``off``: never.

The server listens on a socket in a folder only this user may enter
(``$XDG_RUNTIME_DIR/previz``, else ``previz-<uid>`` in the temporary folder), answers only this
user (the peer's credentials are checked), and is named by everything that shapes an interpreter
as it starts (the Python, its flags and version, the ``PYTHON*`` and locale variables, where
previz is installed): another virtual environment gets its own server. It ends after
:data:`IDLE_ENV` seconds without a command (default :data:`IDLE_SECONDS`), with ``previz server
stop``, and by itself as soon as a file it imported, or a folder of installed packages, changes:
that command then runs here, and the next one starts a fresh server.

This module imports the standard library only, and only what deciding needs until a server is
wanted: it runs before anything else is loaded, in every command.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import socket

SERVER_ENV = "PREVIZ_SERVER"

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
"""What this process passes on to the command's process group, as a terminal would send it."""


class Refused(Exception):
    """The server did not take the command (another server's key, stale, going away)."""


def mode(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """``on``, ``off`` or ``auto`` from :data:`SERVER_ENV` (anything else counts as ``off``, and
    :func:`delegate` says so)."""
    value = (os.environ if environ is None else environ).get(SERVER_ENV, "auto").strip().lower()
    return {"1": "on", "yes": "on", "true": "on", "0": "off", "no": "off", "false": "off"}.get(
        value, value
    )


def wanted(argv: list[str]) -> bool:
    """Whether this command line should run in the build server."""
    if argv[:1] == ["server"]:
        return False
    chosen = mode()
    if chosen == "auto" and not all(_is_terminal(fd) for fd in (0, 1, 2)):
        return False
    if chosen in ("on", "auto") and _supported():
        from previz.cli.server_place import placed_apart

        return not placed_apart()
    if chosen not in ("on", "auto", "off"):
        sys.stderr.write(f"previz: {SERVER_ENV}={os.environ[SERVER_ENV]!r} is not on, off or auto; "
                         "running without the build server\n")  # fmt: skip
    return False


def delegate(argv: list[str]) -> int | None:
    """Run ``previz <argv>`` in the build server (started if needed); its exit status, or None
    when it should run in this process instead (no server wanted, none could be reached)."""
    if not wanted(argv) or not all(_is_open(fd) for fd in (0, 1, 2)):
        return None
    from previz.cli.server_place import connect, idle_seconds, socket_path

    if idle_seconds() is None:
        return None
    try:
        asked = request(argv)
    except OSError:  # a working folder deleted under the shell: as a fresh previz, here
        return None
    path = socket_path()
    if path is None:
        return None
    try:
        connection = connect(path, start=True, announce=mode() == "auto")
    except OSError:
        return None
    if connection is None:
        return None
    with connection:
        try:
            return _run(connection, asked)
        except Refused:
            return None


def request(argv: list[str]) -> dict[str, Any]:
    """Everything the forked child needs to take this process's place."""
    from previz.cli.server_place import key
    from previz.cli.server_wire import ignored

    umask = os.umask(0o22)
    os.umask(umask)
    return {
        "op": "run",
        "key": key(),
        "argv": [sys.argv[0], *argv],
        "main_package": getattr(sys.modules.get("__main__"), "__package__", None),
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "umask": umask,
        "path": list(sys.path),
        "dont_write_bytecode": sys.dont_write_bytecode,
        "streams": [_stream(sys.stdin), _stream(sys.stdout), _stream(sys.stderr)],
        "ignored": ignored(),
        "blocked": sorted(int(n) for n in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    }


def _run(connection: socket.socket, asked: dict[str, Any]) -> int:
    from previz.cli.server_wire import Channel, send

    channel = Channel(connection)
    try:
        send(connection, asked, [0, 1, 2])
        said = channel.receive()
    except (EOFError, OSError, ValueError) as error:  # it went away before taking the command
        raise Refused(str(error)) from error
    if "refused" in said:
        raise Refused(str(said["refused"]))
    try:
        with _forwarding(int(said.get("pid", 0)), set(asked["ignored"])):
            while "status" not in said and "signal" not in said:
                said = channel.receive()
    except (EOFError, OSError, ValueError):
        sys.stderr.write("previz: the build server went away before the command ended\n")
        return 1
    if "signal" in said:
        _die_by(int(said["signal"]))
    return int(said["status"])


@contextlib.contextmanager
def _forwarding(group: int, ignoring: set[int]) -> Iterator[None]:
    """Pass the signals this process gets on to the command's process group while it runs (but
    those it ignores, which the command ignores too); on Ctrl-Z, stop the command with this
    process, and continue it when this one continues."""

    def forward(number: int, _frame: object) -> None:
        if group > 0:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, number)

    def suspend(_number: int, _frame: object) -> None:
        forward(signal.SIGSTOP, None)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stops here until the shell's fg or bg
        signal.signal(signal.SIGTSTP, suspend)
        forward(signal.SIGCONT, None)

    handlers: dict[int, Any] = {number: forward for number in FORWARDED}
    handlers[signal.SIGTSTP] = suspend
    handlers = {number: handler for number, handler in handlers.items() if number not in ignoring}
    previous = {number: signal.signal(number, handler) for number, handler in handlers.items()}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _die_by(number: int) -> None:
    """End this process by the signal that ended the command, so the shell sees the same."""
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.suppress(OSError, ValueError):
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        time.sleep(1)
    os._exit(128 + number)


def _stream(stream: Any) -> dict[str, Any]:
    return {
        "encoding": getattr(stream, "encoding", None) or "utf-8",
        "errors": getattr(stream, "errors", None) or "strict",
        "line_buffering": bool(getattr(stream, "line_buffering", False)),
        "write_through": bool(getattr(stream, "write_through", False)),
        "raw": isinstance(getattr(stream, "buffer", None), io.RawIOBase),  # python -u
    }


def _supported() -> bool:
    import socket

    return os.name == "posix" and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
