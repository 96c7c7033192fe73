"""The build server: a process that has imported previz and everything its commands use, and
forks a child for each command a client (:mod:`previz.cli.serving`) sends it.

The server itself never runs a command, so it holds no state from one to the next: each child
starts from the server's state as it was right after its imports (the collector's objects
frozen, no thread, no event loop, no open file but its socket), takes the client's place — its
standard streams, working folder, environment, umask, arguments, ``sys.path`` — and runs the
command as a fresh ``previz`` process would, in a process group of its own that the client
passes its signals to. When the child ends, the server sends the client its exit status (or the
signal that killed it); a client that goes away before that hangs its child up (``SIGHUP``),
as a closed terminal would.

The server answers only its own user (the peer's credentials are checked) and only clients of
the same interpreter (:func:`previz.cli.serving.key`). Before each command it checks that no
file it imported and no folder of installed packages changed since it imported them; if one
did, it refuses the command (the client runs it itself), stops listening and ends once its
running commands have. It also ends after :data:`previz.cli.serving.IDLE_ENV` seconds with no
command, and on ``previz server stop``.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import os
import pkgutil
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

from previz.cli import serving

SKIPPED = ("previz.__main__", "previz.cli.server", "previz.testing", "previz.review.boards_pdf")
"""Modules that act when imported, or that no command's start needs and that start threads as
they are imported (fpdf2 brings numpy, whose thread pool a fork would not carry)."""
LIBRARIES = (
    "asyncio", "concurrent.futures", "resource", "multiprocessing.pool",
    "multiprocessing.popen_fork", "multiprocessing.synchronize", "subprocess", "av",
    "av.subtitles.stream", "PIL.Image", "PIL.ImageChops", "PIL.ImageDraw", "PIL.ImageFont",
    "PIL.ImageMath", "PIL.ImageSequence", "imageio_ffmpeg", "opentimelineio", "jinja2", "yaml",
    "xml.dom.minidom", "packaging.version", "rich._emoji_codes", "encodings.unicode_escape",
    "encodings.utf_8_sig",
)  # fmt: skip
"""Libraries previz imports inside its functions, imported here once for every command."""
Identity = tuple[int, int, int, int]


def main() -> None:
    """``python -c 'from previz.cli import server; server.main()' <socket> <ready fd>``, as
    :func:`previz.cli.serving.start_server` starts it."""
    path, told = Path(sys.argv[1]), int(sys.argv[2])
    since = time.time_ns()
    try:
        warm_up()
        fingerprint = Fingerprint(since)
        listener = listen(path)
    except BaseException:
        os.close(told)  # the client stops waiting; nothing listens: it runs the command itself
        raise
    os.write(told, b"1")
    os.close(told)
    Server(listener, path, fingerprint).serve()


def warm_up() -> None:
    """Import every command, every module of previz and the libraries it imports lazily, with
    the collector paused; then freeze what they made, so no child's collections scan it (or
    copy the pages it lives in)."""
    from previz import collector, dataclass_code, entry_points
    from previz.products import products_dir

    with collector.paused(), dataclass_code.kept(products_dir() / dataclass_code.FOLDER):
        from previz.cli.app import COMMAND_MODULES, load_command

        entry_points.no_pydantic_plugins()
        for name in COMMAND_MODULES:
            load_command(name)
        import previz

        for found in pkgutil.walk_packages(previz.__path__, "previz."):
            if not found.name.startswith(SKIPPED):
                with contextlib.suppress(ImportError):  # an extra not installed: as in a command
                    importlib.import_module(found.name)
        for name in LIBRARIES:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        with contextlib.suppress(ImportError):
            from PIL import Image

            Image.init()  # its file format plugins, which it imports as it first saves
    gc.collect()
    gc.freeze()
    if threading.active_count() > 1 or _native_threads() > 1:
        raise RuntimeError("an import started a thread: forking would not carry it")


def _native_threads() -> int:
    try:
        return len(os.listdir(f"/proc/{os.getpid()}/task"))
    except OSError:  # no /proc: Python's own threads were counted
        return 1


def listen(path: Path) -> socket.socket:
    """A socket listening at ``path``, put in place whole (bound beside it, then renamed)."""
    beside = path.with_name(f".{path.name}.{os.getpid()}")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with contextlib.suppress(FileNotFoundError):
        beside.unlink()
    listener.bind(os.fspath(beside))
    listener.listen(16)
    os.replace(beside, path)
    listener.setblocking(False)
    return listener


class Fingerprint:
    """The identity of every file the server imported and of every folder modules are found
    in, as the server started (``since``: when it began importing them)."""

    def __init__(self, since: int) -> None:
        self.taken = {path: _identity(path) for path in self._paths()}
        # one changed while it was imported: the code held may be the old one
        self.racy = any(seen is not None and seen[3] >= since for seen in self.taken.values())

    def changed(self) -> bool:
        """Whether a module file or a folder of installed packages changed since."""
        return self.racy or any(_identity(path) != seen for path, seen in self.taken.items())

    @staticmethod
    def _paths() -> set[str]:
        paths = {
            source
            for module in list(sys.modules.values())
            if isinstance(source := getattr(module, "__file__", None), str)
        }
        paths.update(entry for entry in sys.path if entry)
        import previz

        for root in previz.__path__:  # a module added or removed
            for folder, names, _files in os.walk(root):
                names[:] = [name for name in names if name != "__pycache__"]
                paths.add(folder)
        return paths


class Server:
    """The accept loop: one forked child per command, its status sent back when it ends."""

    def __init__(self, listener: socket.socket, path: Path, fingerprint: Fingerprint) -> None:
        self.listener = listener
        self.path = path
        self.bound = os.stat(path)
        self.key = serving.key()
        self.fingerprint = fingerprint
        self.idle = float(os.environ.get(serving.IDLE_ENV) or serving.IDLE_SECONDS)
        self.children: dict[int, socket.socket] = {}
        self.started = time.time()
        self.commands = 0
        self.cpu = 0.0  # of the commands that ended, with the processes they waited for
        self.closing = False
        self.selector = selectors.DefaultSelector()
        self.wake_read, self.wake_write = os.pipe()
        _forget_environment()

    def serve(self) -> None:
        """Accept commands until idle for too long, stopped, or stale; then wait for the
        running ones and end."""
        os.set_blocking(self.wake_write, False)
        signal.set_wakeup_fd(self.wake_write)
        signal.signal(signal.SIGCHLD, lambda _number, _frame: None)
        signal.signal(signal.SIGTERM, lambda _number, _frame: self.close())
        self.selector.register(self.listener, selectors.EVENT_READ, "listen")
        self.selector.register(self.wake_read, selectors.EVENT_READ, "wake")
        last = time.monotonic()
        while self.children or not self.closing:
            timeout = None if self.children else max(0.0, last + self.idle - time.monotonic())
            if timeout == 0.0:
                self.close()
                continue
            events = self.selector.select(timeout)
            for found, _events in events:
                if found.data == "listen":
                    self.accept()
                elif found.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_read, 512)
                    self.reap()
                else:
                    self.hang_up(found.data)
            if events or self.children:  # idle counts from the last command's end
                last = time.monotonic()
        self.close()

    def close(self) -> None:
        """Stop listening; the socket's name is removed if it is still this server's."""
        if self.closing:
            return
        self.closing = True
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(self.listener)
        self.listener.close()
        with contextlib.suppress(OSError):
            now = os.stat(self.path)
            if (now.st_dev, now.st_ino) == (self.bound.st_dev, self.bound.st_ino):
                self.path.unlink()

    def accept(self) -> None:
        """Take one client's message and answer it (a command forks a child)."""
        try:
            connection, _address = self.listener.accept()
        except (BlockingIOError, OSError):
            return
        connection.setblocking(True)
        connection.settimeout(10.0)
        try:
            if _peer_uid(connection) != os.getuid():
                connection.close()
                return
            message, fds = serving.receive(connection, 3)
        except (OSError, EOFError, ValueError):
            connection.close()
            return
        try:
            self.answer(connection, message, fds)
        finally:
            for fd in fds:
                os.close(fd)

    def answer(self, connection: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
        op = message.get("op")
        if op == "status":
            self._reply(connection, {"pid": os.getpid(), "started": self.started,
                                     "commands": self.commands, "running": len(self.children),
                                     "cpu": self.cpu, "key": self.key})  # fmt: skip
        elif op == "stop":
            self.close()
            self._reply(connection, {"stopping": True})
        elif op != "run" or message.get("key") != self.key or len(fds) != 3:
            self._reply(connection, {"refused": "not a command for this server"})
        elif self.closing or self.fingerprint.changed():
            self.close()  # a newer previz or library: the next command starts a new server
            self._reply(connection, {"refused": "stale"})
        else:
            self.fork(connection, message, fds)

    def fork(self, connection: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
        """Fork the child that runs the command; tell the client its process group."""
        connection.settimeout(None)
        pid = os.fork()
        if pid == 0:
            status = 70  # EX_SOFTWARE: the child failed before its command could start
            try:
                self._leave()
                status = _child(message, fds)
            finally:
                os._exit(status)
        with contextlib.suppress(OSError):  # also in the child: whichever runs first
            os.setpgid(pid, pid)
        self.commands += 1
        self.children[pid] = connection
        try:
            serving.send(connection, {"pid": pid})
        except OSError:
            self.hang_up(pid)
        self.selector.register(connection, selectors.EVENT_READ, pid)

    def reap(self) -> None:
        """Send each ended child's status to its client."""
        while True:
            try:
                pid, status, usage = os.wait3(os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.cpu += usage.ru_utime + usage.ru_stime
            connection = self.children.pop(pid, None)
            if connection is None:
                continue
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(connection)
            ended = (
                {"signal": os.WTERMSIG(status)}
                if os.WIFSIGNALED(status)
                else {"status": os.waitstatus_to_exitcode(status)}
            )
            self._reply(connection, ended)

    def hang_up(self, pid: int) -> None:
        """The client of ``pid`` went away (or said something): hang its command up."""
        connection = self.children.get(pid)
        if connection is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(connection)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGHUP)

    def _leave(self) -> None:
        """In a child: drop everything of the server's but the standard streams."""
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.selector.close()
        self.listener.close()
        for connection in self.children.values():
            connection.close()
        os.close(self.wake_read)
        os.close(self.wake_write)

    @staticmethod
    def _reply(connection: socket.socket, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            serving.send(connection, message)
        connection.close()


def _child(message: dict[str, Any], fds: list[int]) -> int:
    """Take the client's place and run its command; the exit status."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.umask(int(message["umask"]))
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(message["environ"]).items()})
    time.tzset()
    sys.argv = [str(part) for part in message["argv"]]
    sys.path[:] = [str(entry) for entry in message["path"]]
    sys.dont_write_bytecode = bool(message.get("dont_write_bytecode"))
    _streams(message["streams"])
    try:
        os.chdir(str(message["cwd"]))
    except OSError as error:
        sys.stderr.write(f"previz: cannot enter {message['cwd']}: {error.strerror}\n")
        return 1
    _consoles()
    return _command(sys.argv[1:])


def _command(argv: list[str]) -> int:
    """Run the command as :func:`previz.cli.run` would; the process's exit status (the
    process ends here, by :func:`_finish`, unless something keeps it from ending at once)."""
    from previz import cli
    from previz.cli import ending

    status, interrupted = 0, False
    try:
        cli.run_here(argv, replay=False)  # the client asked the stamp
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
    _finish(status, interrupted=interrupted)
    return status


def _finish(status: int, *, interrupted: bool) -> None:
    """What the interpreter does as it ends: wait for the threads, run ``atexit``, flush."""
    import atexit

    from previz.cli import ending

    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    if interrupted:
        getattr(atexit, "_run_exitfuncs", lambda: None)()
        ending.flushed()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    ending.end(status)


def _streams(specs: list[dict[str, Any]]) -> None:
    """New standard streams on descriptors 0-2, made as the client's own were made."""
    made: list[io.TextIOWrapper] = []
    for fd, spec in enumerate(specs):
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        made.append(
            io.TextIOWrapper(
                buffered,
                encoding=spec["encoding"],
                errors=spec["errors"],
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


def _forget_environment() -> None:
    """Keep none of the variables of the command that started the server (an API key among
    them) but what shapes the interpreter: each child gets its own client's."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if name in ("PATH", "HOME", *serving.STARTUP_VARIABLES) or name.startswith("PYTHON")
    }
    os.environ.clear()
    os.environ.update(kept)


def _peer_uid(connection: socket.socket) -> int:
    """The user id of the process at the other end (where the system cannot say, the socket's
    folder, which no one else may enter, is the only guard)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return os.getuid()
    credentials = connection.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return int(struct.unpack("3i", credentials)[1])


def _identity(path: str) -> Identity | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino, found.st_ctime_ns)
