"""Where a build server listens, what names it, and how a client reaches or starts it
(:mod:`previz.cli.serving`).

A server listens in a folder only this user may enter (``$XDG_RUNTIME_DIR/previz``, else
``previz-<uid>`` in the temporary folder) and is named by everything fixed as a process starts
(:func:`key`): another interpreter, virtual environment, set of interpreter variables, niceness
or limits gets a server of its own.

This module imports the standard library only: the client runs it before anything else loads.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
import socket
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from previz.cli.server_wire import peer_uid
from previz.cli.serving import SERVER_ENV

IDLE_ENV = "PREVIZ_SERVER_IDLE"


IDLE_SECONDS = 900.0


READY_SECONDS = 60.0
"""How long a client waits for a server it started to have imported everything."""


RETRY_SECONDS = 600.0
"""How long commands at a terminal run on their own after a server failed to start."""


STARTUP_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE")
"""Variables (besides :data:`STARTUP_PREFIXES`) a process reads once as it starts."""


STARTUP_PREFIXES = ("PYTHON", "LD_", "MALLOC_", "GLIBC_TUNABLES")
"""The interpreter's variables, the dynamic loader's and the C library's allocator's."""


KEPT_VARIABLES = (
    *STARTUP_VARIABLES,
    "PATH",
    "HOME",
    "TMPDIR",
    "XDG_CACHE_HOME",
    "PREVIZ_PRODUCTS_DIR",
)
"""Variables the server itself starts with (with ``PYTHON*`` and ``PREVIZ_SERVER*``)."""


def key() -> str:
    """What names this interpreter's server: everything fixed as an interpreter starts, and
    what a process inherits that a fork could not take from its client (its niceness, limits,
    cores, cgroup and namespaces): a command run under ``nice``, ``ulimit``, ``taskset`` or
    ``unshare`` gets a server started under the same."""
    startup = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name.startswith(STARTUP_PREFIXES) or name in STARTUP_VARIABLES
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
    return facts


def placed_apart() -> bool:
    """Whether this process was put in another cgroup or namespace than the shell that ran it
    (``unshare``, ``systemd-run --scope``, a sandbox): a command placed so runs on its own,
    never in a server placed elsewhere, and starts none (a server would keep the scope alive)."""
    if not os.path.isdir("/proc/self/ns"):
        return False
    parent = os.getppid()

    def place(pid: int | str) -> list[str]:
        found = []
        for kind in ("mnt", "net", "pid", "user", "uts", "ipc", "cgroup"):
            with contextlib.suppress(OSError):
                found.append(os.readlink(f"/proc/{pid}/ns/{kind}"))
        with contextlib.suppress(OSError):
            found.append(Path(f"/proc/{pid}/cgroup").read_text())
        return found

    try:
        return place("self") != place(parent)
    except OSError:
        return True


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


def connect(
    path: Path, *, start: bool, announce: bool = False, retry: bool = False
) -> socket.socket | None:
    """A connection to the server at ``path``; when none answers and ``start``, one started
    first (under a lock, so two commands starting at once start one server; said on stderr
    when ``announce``). A server that failed to start is not started again for
    :data:`RETRY_SECONDS`, unless ``retry`` (``previz server start``)."""
    connection = _try_connect(path)
    if connection is not None or not start:
        return connection
    failed = path.with_suffix(".failed")
    if not retry and _younger_than(failed, RETRY_SECONDS):
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
        "import sys; home = sys.argv.pop(3); home in sys.path or sys.path.insert(0, home); "
        "from previz.cli import server; server.main()",
        os.fsdecode(path),
        str(told),
        os.path.dirname(_home()),  # the previz this client runs (a checkout: first on the path)
    ]
    try:
        process = subprocess.Popen(
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
        said = pipe.read(1) if select.select([pipe], [], [], READY_SECONDS)[0] else b""
    if not said:  # it failed, or is too slow to serve anyone: not left behind, nor a zombie
        with contextlib.suppress(OSError):
            process.kill()
        process.wait()


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
        if name in KEPT_VARIABLES or name.startswith((*STARTUP_PREFIXES, "PREVIZ_SERVER"))
    }


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


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    handle = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


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
