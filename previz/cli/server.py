"""The build server: a process that has imported previz and everything its commands use, and
forks a child for each command a client (:mod:`previz.cli.serving`) sends it.

The server itself never runs a command, so it holds no state from one to the next: each child
starts from the server's state as it was right after its imports (the collector's objects
frozen, no thread, no event loop, no open file but its socket), takes the client's place — its
standard streams, working folder, environment, umask, arguments, ``sys.path`` — and runs the
command as a fresh ``previz`` process would, in a process group of its own that the client
passes its signals to (:mod:`previz.cli.server_child`). The child tells its client how it
ended; if it died without saying (a signal), the server says it. A client that goes away before
its command ends hangs the command up (``SIGHUP``), as a closed terminal would.

The server answers only its own user (the peer's credentials are checked) and only clients of
the same interpreter (:func:`previz.cli.server_place.key`). Before each command it checks that no
file it imported changed since it imported it (an upgrade, an edit); if one did, it refuses the
command (the client runs it itself), stops listening and ends once its running commands have.
It reads what clients send as it comes, so one that connects and says nothing holds no one up.
It also ends after :data:`previz.cli.server_place.IDLE_ENV` seconds with no
command, and on ``previz server stop``.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from previz.cli import server_child, server_place, server_wire
from previz.cli.server_warm import Fingerprint, warm_up


def main() -> None:
    """``python -c 'from previz.cli import server; server.main()' <socket> <ready fd>``, as
    :func:`previz.cli.server_place.start_server` starts it."""
    path, told = Path(sys.argv[1]), int(sys.argv[2])
    if server_place.idle_seconds() is None or path.name != f"server-{server_place.key()}.sock":
        os.close(told)  # another previz or interpreter than its clients': it could serve no one
        raise SystemExit(2)
    _fresh_signals()
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


class Server:
    """The accept loop: one forked child per command, its status sent back when it ends."""

    def __init__(self, listener: socket.socket, path: Path, fingerprint: Fingerprint) -> None:
        self.listener = listener
        self.path = path
        self.bound = os.stat(path)
        self.key = server_place.key()
        self.fingerprint = fingerprint
        self.idle = server_place.idle_seconds() or server_place.IDLE_SECONDS
        self.children: dict[int, socket.socket] = {}
        self.pending: dict[socket.socket, tuple[server_wire.Channel, float]] = {}
        self.started = time.time()
        self.commands = 0
        self.cpu = 0.0  # of the commands that ended, with the processes they waited for
        self.closing = False
        self.selector = selectors.DefaultSelector()
        self.wake_read, self.wake_write = os.pipe()

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
        while self.children or self.pending or not self.closing:
            now = time.monotonic()
            if not self.children and not self.pending and now >= last + self.idle:
                self.close()
                continue
            deadlines = [deadline for _channel, deadline in self.pending.values()]
            if not self.children:
                deadlines.append(last + self.idle)
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            events = self.selector.select(timeout)
            for found, _events in events:
                if found.data == "listen":
                    self.accept()
                elif found.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_read, 512)
                    self.reap()
                elif found.data == "pending":
                    self.read(found.fileobj)  # type: ignore[arg-type]
                else:
                    self.hang_up(found.data)
            self.drop_late()
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
        while True:  # the commands already waiting run on their own, rather than be reset
            try:
                waiting, _address = self.listener.accept()
            except OSError:
                break
            self._reply(waiting, {"refused": "stopping"})
        self.listener.close()
        with contextlib.suppress(OSError):
            now = os.stat(self.path)
            if (now.st_dev, now.st_ino) == (self.bound.st_dev, self.bound.st_ino):
                self.path.unlink()

    def accept(self) -> None:
        """Take a connection; its message is read as it comes (:meth:`read`)."""
        try:
            connection, _address = self.listener.accept()
        except OSError:
            return
        if server_wire.peer_uid(connection) != os.getuid():
            connection.close()
            return
        connection.setblocking(False)
        self.pending[connection] = (server_wire.Channel(connection), time.monotonic() + 10.0)
        self.selector.register(connection, selectors.EVENT_READ, "pending")

    def read(self, connection: socket.socket) -> None:
        """Read what came on a connection; answer its message once it is whole."""
        channel, _deadline = self.pending[connection]
        try:
            if channel.feed(3):
                message = channel.message()
                if message is None:
                    return
            else:
                message = None  # it went away without a whole message
        except BlockingIOError:
            return
        except (OSError, ValueError):
            message = None
        self.selector.unregister(connection)
        del self.pending[connection]
        if message is None:
            channel.close()
            return
        connection.setblocking(True)
        try:
            self.answer(connection, message, channel.fds)
        finally:
            for fd in channel.fds:
                os.close(fd)

    def drop_late(self) -> None:
        """Close the connections that did not send a whole message in time."""
        now = time.monotonic()
        for connection, (channel, deadline) in list(self.pending.items()):
            if deadline <= now:
                self.selector.unregister(connection)
                del self.pending[connection]
                channel.close()

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
        """Fork the child that runs the command (it tells its client its process group)."""
        pid = os.fork()
        if pid == 0:
            try:
                self._leave()
                server_child.run(connection, message, fds)  # ends the process
            finally:
                os._exit(70)  # EX_SOFTWARE: it failed before its command could end
        with contextlib.suppress(OSError):  # also in the child: whichever runs first
            os.setpgid(pid, pid)
        self.commands += 1
        self.children[pid] = connection
        self.selector.register(connection, selectors.EVENT_READ, pid)

    def reap(self) -> None:
        """Tell each ended child's client how it ended, if the child could not say it."""
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
            self._reply(connection, ended)  # after the child's own word, if it said it

    def hang_up(self, pid: int) -> None:
        """The client of ``pid`` went away (or said something): hang its command up."""
        connection = self.children.get(pid)
        if connection is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(connection)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGHUP)
            os.killpg(pid, signal.SIGCONT)  # a command stopped by Ctrl-Z takes the hang-up too

    def _leave(self) -> None:
        """In a child: drop everything of the server's but the standard streams and its own
        client's connection."""
        signal.set_wakeup_fd(-1)
        _fresh_signals()
        self.selector.close()
        self.listener.close()
        for connection in [*self.children.values(), *self.pending]:
            connection.close()
        os.close(self.wake_read)
        os.close(self.wake_write)

    @staticmethod
    def _reply(connection: socket.socket, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            server_wire.send(connection, message)
        connection.close()


def _fresh_signals() -> None:
    """Every signal as a fresh interpreter has it (CPython ignores SIGPIPE and SIGXFSZ, and
    raises KeyboardInterrupt on SIGINT), none blocked: not as whoever started the server had
    them (a client's own are applied to its command)."""
    for number in server_wire.catchable():
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
