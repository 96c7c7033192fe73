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

This module imports the standard library only: it runs before anything else is loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import select
import signal
import socket
import stat
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SERVER_ENV = "PREVIZ_SERVER"
IDLE_ENV = "PREVIZ_SERVER_IDLE"
IDLE_SECONDS = 900.0
READY_SECONDS = 60.0
"""How long a client waits for a server it started to have imported everything."""
RETRY_SECONDS = 600.0
"""How long commands at a terminal run on their own after a server failed to start."""
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
"""What this process passes on to the command's process group, as a terminal would send it."""
STARTUP_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE")
"""Variables (besides ``PYTHON*``) the interpreter reads once as it starts."""
KEPT_VARIABLES = (
    *STARTUP_VARIABLES,
    "PATH",
    "HOME",
    "TMPDIR",
    "XDG_CACHE_HOME",
    "PREVIZ_PRODUCTS_DIR",
)
"""Variables the server itself starts with (with ``PYTHON*`` and ``PREVIZ_SERVER*``)."""
_HEADER = struct.Struct(">I")
_MAX_MESSAGE = 1 << 24


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
    if argv[:1] == ["server"] or not _supported():
        return False
    chosen = mode()
    if chosen == "on":
        return True
    if chosen == "auto":
        return all(_is_terminal(fd) for fd in (0, 1, 2))
    if chosen != "off":
        sys.stderr.write(f"previz: {SERVER_ENV}={os.environ[SERVER_ENV]!r} is not on, off or auto; "
                         "running without the build server\n")  # fmt: skip
    return False


def delegate(argv: list[str]) -> int | None:
    """Run ``previz <argv>`` in the build server (started if needed); its exit status, or None
    when it should run in this process instead (no server wanted, none could be reached)."""
    if not wanted(argv) or not all(_is_open(fd) for fd in (0, 1, 2)) or idle_seconds() is None:
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


def key() -> str:
    """What names this interpreter's server: everything fixed as an interpreter starts, and
    what a process inherits that a fork could not take from its client (its niceness, limits,
    cores, cgroup and namespaces): a command run under ``nice``, ``ulimit``, ``taskset`` or
    ``unshare`` gets a server started under the same."""
    startup = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name.startswith("PYTHON") or name in STARTUP_VARIABLES
    )
    facts = [
        sys.executable, sys.version, list(sys.flags), sys.warnoptions,
        sorted(sys._xoptions.items()), sys.pycache_prefix, startup, _home(), _inherited(),
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(facts, default=str).encode()).hexdigest()[:16]


def idle_seconds() -> float | None:
    """:data:`IDLE_ENV` in seconds; None (said on stderr) when it is not a number of seconds."""
    text = os.environ.get(IDLE_ENV) or str(IDLE_SECONDS)
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        sys.stderr.write(f"previz: {IDLE_ENV}={text!r} is not a number of seconds; running "
                         "without the build server\n")  # fmt: skip
        return None
    return seconds


def _inherited() -> list[Any]:
    facts: list[Any] = [os.getpriority(os.PRIO_PROCESS, 0)]
    if hasattr(os, "sched_getaffinity"):
        facts.append(sorted(os.sched_getaffinity(0)))
    import resource

    for name in sorted(n for n in dir(resource) if n.startswith("RLIMIT_")):
        with contextlib.suppress(OSError, ValueError):
            facts.append((name, resource.getrlimit(getattr(resource, name))))
    with contextlib.suppress(OSError):
        facts.append(Path("/proc/self/cgroup").read_text())
    for kind in ("mnt", "net", "pid", "user", "uts", "ipc"):
        with contextlib.suppress(OSError):
            facts.append(os.readlink(f"/proc/self/ns/{kind}"))
    return facts


def socket_path() -> Path | None:
    """Where this interpreter's server listens: in ``$XDG_RUNTIME_DIR/previz``, else (or when
    that name is too long for a socket) ``previz-<uid>`` in the temporary folder; None when
    neither is a private folder."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    name = f"server-{key()}.sock"
    for base in (
        Path(runtime) / "previz" if runtime else None,
        Path(_temporary()) / f"previz-{_uid()}",
    ):
        if base is None or len(os.fsencode(base / name)) >= 100:  # sun_path holds 108 bytes
            continue
        folder = private_folder(base)
        if folder is not None:
            return folder / name
    return None


def private_folder(folder: Path) -> Path | None:
    """``folder``, made if missing, when it is a real folder of this user's that no one else
    may enter; else None."""
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        folder.mkdir(mode=0o700)
    try:
        found = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != _uid() or found.st_mode & 0o077:
        return None
    return folder


def connect(path: Path, *, start: bool, announce: bool = False) -> socket.socket | None:
    """A connection to the server at ``path``; when none answers and ``start``, one started
    first (under a lock, so two commands starting at once start one server; said on stderr
    when ``announce``)."""
    connection = _try_connect(path)
    if connection is not None or not start:
        return connection
    failed = path.with_suffix(".failed")
    if announce and _younger_than(failed, RETRY_SECONDS):
        return None  # it failed to start a moment ago: run here rather than wait again
    with _locked(path.with_suffix(".lock")):
        connection = _try_connect(path)  # another command may have started it meanwhile
        if connection is None:
            if announce:
                sys.stderr.write(
                    "previz: starting a build server, so that the next commands start at once "
                    f"(`previz server stop` ends it; {SERVER_ENV}=off not to use one)\n"
                )
            start_server(path)
            connection = _try_connect(path)
            if connection is None:
                failed.touch()
            else:
                failed.unlink(missing_ok=True)
    return connection


def _younger_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - os.stat(path).st_mtime < seconds
    except OSError:
        return False


def start_server(path: Path) -> None:
    """Start a server listening at ``path`` in a session of its own, and wait until it has
    imported everything and listens (or failed: then nothing listens there)."""
    import subprocess

    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a server that died left its socket behind (we hold the lock)
    ready, told = os.pipe()
    log = os.open(log_path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    command = [
        sys.executable,
        *subprocess._args_from_interpreter_flags(),  # type: ignore[attr-defined]  # as multiprocessing does
        "-c",
        "import sys; sys.path.insert(0, sys.argv.pop(3)); from previz.cli import server; "
        "server.main()",
        os.fsdecode(path),
        str(told),
        os.path.dirname(_home()),  # the previz this client runs, wherever the server starts
    ]
    try:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,  # why it could not start, for `previz server start` to say
            pass_fds=(told,),
            start_new_session=True,  # out of the terminal's process group: we pass Ctrl-C on
            cwd="/",
            env=server_environment(),
        )
    finally:
        os.close(told)
        os.close(log)
    with os.fdopen(ready, "rb") as pipe:
        if select.select([pipe], [], [], READY_SECONDS)[0]:
            pipe.read(1)


def log_path(path: Path) -> Path:
    """Where the server at ``path`` writes what goes wrong with it (its own errors only)."""
    return path.with_suffix(".log")


def server_environment() -> dict[str, str]:
    """What the server starts with: what shapes the interpreter and where previz keeps its
    products, never the starting command's other variables (its API keys): each command gets
    its own client's environment."""
    return {
        name: value
        for name, value in os.environ.items()
        if name in KEPT_VARIABLES or name.startswith(("PYTHON", "PREVIZ_SERVER"))
    }


def send(connection: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    """One message: its length, then its JSON (with ``fds`` passed alongside)."""
    body = json.dumps(message).encode()
    data = _HEADER.pack(len(body)) + body
    sent = socket.send_fds(connection, [data], fds) if fds else connection.send(data)
    if sent < len(data):  # (sending nothing to a peer that already answered and left: EPIPE)
        connection.sendall(data[sent:])


class Channel:
    """Messages read from a connection as they come: a message may arrive in pieces, or two in
    one read; descriptors come with the piece they were sent with."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = b""
        self.fds: list[int] = []

    def feed(self, max_fds: int = 0) -> bool:
        """Read what is there (blocking if the connection blocks); False when the peer closed."""
        data, fds, _flags, _address = socket.recv_fds(self.connection, 65536, max_fds)
        self.fds.extend(fds)
        self.buffer += data
        return bool(data)

    def message(self) -> dict[str, Any] | None:
        """The next whole message read so far, or None."""
        if len(self.buffer) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack_from(self.buffer)
        if length > _MAX_MESSAGE:
            raise ValueError("message too long")
        if len(self.buffer) < _HEADER.size + length:
            return None
        body = self.buffer[_HEADER.size : _HEADER.size + length]
        self.buffer = self.buffer[_HEADER.size + length :]
        message = json.loads(body)
        if not isinstance(message, dict):
            raise ValueError("not a message")
        return message

    def receive(self, max_fds: int = 0) -> dict[str, Any]:
        """The next message, waiting for it; ``EOFError`` when the peer closed first."""
        while (message := self.message()) is None:
            if not self.feed(max_fds):
                raise EOFError
        return message

    def close(self) -> None:
        """Close the connection and any descriptor received and not taken."""
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        self.connection.close()


def catchable() -> list[int]:
    """The signals a process can handle or ignore."""
    return sorted(set(signal.valid_signals()) - {signal.SIGKILL, signal.SIGSTOP})


def ignored() -> list[int]:
    """The signals this process ignores (inherited ignored, as ``nohup`` leaves SIGHUP)."""
    found = []
    for number in catchable():
        with contextlib.suppress(OSError, ValueError):
            if signal.getsignal(number) == signal.SIG_IGN:
                found.append(int(number))
    return found


def request(argv: list[str]) -> dict[str, Any]:
    """Everything the forked child needs to take this process's place."""
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


def _try_connect(path: Path) -> socket.socket | None:
    """A connection to ``path``; None when no server listens there (an ``OSError`` when one
    does but cannot take it now: its backlog full)."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(os.fspath(path))
    except (FileNotFoundError, ConnectionRefusedError):
        connection.close()
        return None
    except OSError:
        connection.close()
        raise
    if peer_uid(connection) != _uid():  # only ever hand this user's terminal and keys to itself
        connection.close()
        raise PermissionError(f"{path} is not this user's build server")
    return connection


def peer_uid(connection: socket.socket) -> int:
    """The user id of the process at the other end (where the system cannot say, the socket's
    folder, which no one else may enter, is the only guard)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return _uid()
    credentials = connection.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return int(struct.unpack("3i", credentials)[1])


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    handle = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _stream(stream: Any) -> dict[str, Any]:
    return {
        "encoding": getattr(stream, "encoding", None) or "utf-8",
        "errors": getattr(stream, "errors", None) or "strict",
        "line_buffering": bool(getattr(stream, "line_buffering", False)),
        "write_through": bool(getattr(stream, "write_through", False)),
        "raw": isinstance(getattr(stream, "buffer", None), io.RawIOBase),  # python -u
    }


def _temporary() -> str:
    """The temporary folder, as :func:`tempfile.gettempdir` finds it first (without importing
    :mod:`tempfile`, or writing a test file into it)."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        if os.environ.get(name):
            return os.environ[name]
    return "/tmp"


def _home() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _uid() -> int:
    return os.getuid()


def _supported() -> bool:
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
