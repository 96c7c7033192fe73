"""A command's process in the build server: forked from the warm server, it takes its client's
place and runs the command as a fresh ``previz`` process would (:mod:`previz.cli.server`).

It takes the client's standard streams (the descriptors themselves, and streams made as the
client's were made), working folder, umask, environment, arguments, ``sys.path``, the signals the
client ignores and blocks, and the terminal look of rich's consoles; then runs the command, and
ends as the interpreter would end — threads joined, ``atexit`` handlers run, streams flushed —
telling its client its exit status itself, on the connection it inherited, so the status
reaches the client even if the server is gone.

Its one difference from a fresh process: it has no controlling terminal (it is in the server's
session, not the terminal's), so ``/dev/tty`` cannot be opened in it. previz itself never
reads the terminal; a scene script or plugin that does should run with ``PREVIZ_SERVER=off``.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import os
import signal
import socket
import sys
import threading
import time
from typing import Any, NoReturn

from previz.cli import server_wire


def run(connection: socket.socket, message: dict[str, Any], fds: list[int]) -> NoReturn:
    """Take the client's place, run its command, and end the process as the interpreter ends
    it, having told the client how."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # also done by the server: whichever runs first
    reported = _Reporter(connection)
    reported.send({"pid": os.getpid()})
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    _signals(message)
    os.umask(int(message["umask"]))
    from previz.products import umask_changed

    umask_changed()  # the mode outputs get
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(message["environ"]).items()})
    time.tzset()
    sys.argv = [str(part) for part in message["argv"]]
    main = sys.modules.get("__main__")
    if main is not None:  # how click names the program: ``python -m previz`` or ``previz``
        main.__package__ = message.get("main_package")
    import multiprocessing

    multiprocessing.current_process().authkey = os.urandom(32)  # drawn anew, as a fresh process
    sys.path[:] = [str(entry) for entry in message["path"]]
    sys.dont_write_bytecode = bool(message.get("dont_write_bytecode"))
    _streams(message["streams"])
    try:
        os.chdir(str(message["cwd"]))
    except OSError as error:
        sys.stderr.write(f"previz: cannot enter {message['cwd']}: {error.strerror}\n")
        reported.end(1)
    _consoles()
    _command(sys.argv[1:], reported)


class _Reporter:
    """The child's end of its client's connection: its process id, then how it ended."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection

    def send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            server_wire.send(self.connection, message)

    def end(self, status: int, *, signal_number: int | None = None) -> NoReturn:
        """Say how the command ended, then end the process (by ``signal_number`` if given)."""
        self.send({"status": status} if signal_number is None else {"signal": signal_number})
        self.connection.close()
        if signal_number is not None:
            signal.signal(signal_number, signal.SIG_DFL)
            os.kill(os.getpid(), signal_number)
        os._exit(status)


def _command(argv: list[str], reported: _Reporter) -> NoReturn:
    """Run the command as :func:`previz.cli.run` would, and end as the interpreter ends."""
    from previz import cli
    from previz.cli import ending

    status, interrupted = 0, False
    try:
        cli.run_here(argv, replay=False, keep_code=False)  # the client asked the stamp
    except SystemExit as stop:
        found = ending.status(stop.code)
        if found is None:  # a message: printed, status 1, as the interpreter does
            print(stop.code, file=sys.stderr)
            found = 1
        status = found
    except KeyboardInterrupt:  # unhandled: the interpreter prints it and dies of SIGINT
        sys.excepthook(*sys.exc_info())
        status, interrupted = 1, True
    except BaseException:
        sys.excepthook(*sys.exc_info())
        status = 1
    finally:
        gc.freeze()
    for thread in threading.enumerate():  # the interpreter waits for its non-daemon threads
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    getattr(atexit, "_run_exitfuncs", lambda: None)()
    if not ending.flushed():
        status = 120  # as the interpreter exits when a standard stream cannot be flushed
    reported.end(status, signal_number=signal.SIGINT if interrupted else None)


def _signals(message: dict[str, Any]) -> None:
    """The client's ignored and blocked signals; every other one as a fresh interpreter has it."""
    ignored = {int(number) for number in message.get("ignored", ())}
    for number in server_wire.catchable():
        if number in ignored:
            signal.signal(number, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_SETMASK, [int(n) for n in message.get("blocked", ())])


def _streams(specs: list[dict[str, Any]]) -> None:
    """New standard streams on descriptors 0-2, made as CPython makes them (lines split at
    ``\\n`` only; under ``-u`` the bytes layer unbuffered) with the client's encodings."""
    made: list[io.TextIOWrapper] = []
    for fd, (spec, name) in enumerate(zip(specs, ("<stdin>", "<stdout>", "<stderr>"), strict=True)):
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        raw.name = name  # as CPython names them
        layer: io.RawIOBase | io.BufferedIOBase = raw
        if fd == 0:
            layer = io.BufferedReader(raw)
        elif not spec.get("raw"):  # -u: the client's bytes layer is its raw file
            layer = io.BufferedWriter(raw)
        made.append(
            io.TextIOWrapper(
                layer,  # type: ignore[arg-type]  # a raw file under -u, as CPython's
                encoding=spec["encoding"],
                errors=spec["errors"],
                newline="\n",
                line_buffering=spec["line_buffering"],
                write_through=spec["write_through"],
            )
        )
    sys.stdin, sys.stdout, sys.stderr = made
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = made  # type: ignore[misc]


def _consoles() -> None:
    """rich's consoles look at the terminal and the variables when they are made: again now."""
    import rich
    from rich.console import Console

    from previz.cli import app

    Console.__init__(app.console)
    Console.__init__(app.err_console, stderr=True)
    rich._console = None  # rich.get_console() makes it anew
