"""A build's stamp: everything an unchanged ``previz build`` depends on, so it answers at once.

make and ninja skip a step when none of its inputs changed since its outputs were written.
``previz build`` does the same for the whole build, at the command line. While a build runs, a
Python audit hook (:func:`sys.addaudithook`) notes every file it opens, every folder it lists,
every file it writes, renames, links or deletes, every program it starts and every network
connection it makes — so the build's code cannot forget to declare an input. A build that
*settled* (nothing failed, the cache a local folder, the scene a file rather than a Python
script, no network used) then leaves a stamp beside the product records. What it generated is in
the cache now, so the stamp says what the same build run again would say (every clip from the
cache); files the build made itself (a cache record moved into place) are outputs, not inputs:

- each file it read, with its identity (size, mtime, ctime, inode, device) and a content
  hash (previz's own files in the project's ``.previz`` folder — cache records, the
  animatic's work files — by identity only); each folder it listed, with its identity and a
  hash of its names;
- each module it imported, each program it ran and each folder on ``PATH`` (a program
  installed there may be found instead), each file it wrote (journal, pins, cache
  records), every file and folder in the output folder and every file of the cached takes the
  cut uses, with their identity as the build left them;
- the arguments, the working folder, the interpreter and its ``sys.path``, and a digest of the
  environment (every variable but the shell's own bookkeeping, :data:`SHELL_ONLY`).

The next ``previz build`` with the same arguments checks the stamp before importing the rest of
previz. When every identity is the same (or a file read has the same content: a ``touch`` or a
checkout does not count as a change), the build would do nothing: the stamp prints what that
build printed and the command exits. Anything else — an input edited, created or deleted, an
output touched or deleted, a cached take evicted, another previz or library version, a changed
variable or argument — and the build runs as usual (and stamps again if it settles).

ctime is what makes identity trustworthy: no program can set it back. A file read is stat'ed
just before it is opened and again when the stamp is written; if the two differ, or its ctime
is less than :data:`RACY_NS` before that read (a change in the same clock tick as the read
would not show; on a filesystem keeping whole seconds only, :data:`COARSE_NS`), it may have
changed while the build read it, so such a build leaves no stamp. The window is counted from
the read, not from the start of the build, so builds run back to back by a script (each
reading what the previous one wrote a moment before) still stamp.
Stamps never cover what is not on this machine's disk: a build that used the network is never
stamped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from previz.cli.identities import Identity
from previz.cli.identities import digest as _digest
from previz.cli.identities import identity as _identity
from previz.cli.identities import which as _which
from previz.cli.identities import within as _within

SCHEME = 2
RACY_NS = 50_000_000
"""How long before a read a change may fall in the same timestamp tick (Linux: a few ms)."""
COARSE_NS = 2_000_000_000
"""The same on a filesystem whose times have no fraction of a second (FAT keeps 2 s)."""
SHELL_ONLY = frozenset(
    {"_", "OLDPWD", "PWD", "SHLVL", "COLUMNS", "LINES", "SSH_CLIENT", "SSH_CONNECTION",
     "SSH_TTY", "TERM_SESSION_ID", "WINDOWID", "TMUX_PANE", "LS_COLORS", "PYTEST_CURRENT_TEST"}
)  # fmt: skip
"""Variables a shell (or pytest) sets for its own bookkeeping; every other one is an input."""

_WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_CHANGES = frozenset(
    {"os.remove", "os.rmdir", "os.mkdir", "os.utime", "os.truncate", "os.chmod", "os.chown",
     "os.chflags", "os.setxattr", "os.removexattr"}
)  # fmt: skip
_MOVES = frozenset({"os.rename", "os.link", "os.symlink", "shutil.copyfile", "shutil.copymode"})
_NETWORK = frozenset({"socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg"})
_MADE = "previz.made"
"""A file a helper process of the build made (:data:`previz.products.MADE_EVENT`)."""
_WAITING = "previz.waiting"
"""The build waits for its writers in other processes (:data:`previz.pipeline.WAITING_EVENT`;
arguments: its output folder and the folders of its own state): the modules and the files
read so far are checked then (:class:`Inputs`), not once the build is over."""
_NOTED = frozenset(
    {"open", "os.listdir", "os.scandir", "sqlite3.connect", "subprocess.Popen", _MADE,
     _WAITING, *_CHANGES, *_MOVES, *_NETWORK}
)  # fmt: skip
"""The events :meth:`Recorder.note` reads; the hook returns at once on the others (a build
raises ~50,000 events at 200 shots, most of them ``builtins.id`` from OTIO setting metadata)."""


class Recorder:
    """What one build read, listed, wrote and ran, as the audit hook reports it."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.header = _header(argv)  # as the build starts: it may change sys.path or variables
        self.began_ns = time.time_ns()
        self.read: dict[str, Identity] = {}  # each file read, as it was just before
        self.read_ns: dict[str, int] = {}  # when it was first read
        self.listed: set[str] = set()
        self.written: set[str] = set()
        self.created: set[str] = set()  # files and folders the build brought into being
        self.programs: set[str] = set()
        self.network = False
        self.unsure = False  # an event it could not read: no stamp rather than a wrong one
        self.inputs = Inputs()  # what is checked of them so far

    def note(self, event: str, args: tuple[Any, ...]) -> None:
        """Take one audit event (see the Python audit events table)."""
        if event == "open":
            path, flags = args[0], args[2]
            if _is_path(path):
                if isinstance(flags, int) and flags > 0 and flags & _WRITES:
                    where = _absolute(path)
                    if flags & os.O_CREAT and not os.path.lexists(where):
                        self.created.add(where)
                    self.written.add(where)
                else:
                    where = _absolute(path)
                    if where not in self.read:
                        self.read[where] = _identity(where)
                        self.read_ns[where] = time.time_ns()
        elif event in ("os.listdir", "os.scandir"):
            folder = args[0] if args else None
            if folder is None or _is_path(folder):
                self.listed.add(_absolute("." if folder is None else folder))
        elif event in _CHANGES:
            if _is_path(args[0]):
                where = _absolute(args[0])
                if event == "os.mkdir" and not os.path.lexists(where):
                    self.created.add(where)
                self.written.add(where)
        elif event == _MADE:
            where = _absolute(args[0])
            self.written.add(where)
            self.created.add(where)
        elif event == _WAITING:
            self.inputs.check(self, _absolute(args[0]), [_absolute(f) for f in args[1]])
        elif event in _MOVES:
            self.written.update(_absolute(p) for p in args[:2] if _is_path(p))
            if len(args) > 1 and _is_path(args[1]):
                self.created.add(_absolute(args[1]))
        elif event == "sqlite3.connect":
            if _is_path(args[0]) and os.fsdecode(args[0]) != ":memory:":
                base = _absolute(args[0])
                self.written.update(base + tail for tail in ("", "-wal", "-shm", "-journal"))
        elif event == "subprocess.Popen":
            program = args[0] or (args[1] if isinstance(args[1], str | bytes) else args[1][0])
            self.programs.add(os.fsdecode(program))
        elif event in _NETWORK:
            self.network = True


class Inputs:
    """The build's modules and the files it read, as checked so far: identities to compare
    exactly, files to compare by content, and whether one changed while the build ran.

    They are checked when the build waits for its writers in other processes
    (:data:`_WAITING`), and what came since when it is over. A file is taken as it is at its
    check: one changing later is caught by the stamp's next use, which finds it changed."""

    def __init__(self) -> None:
        self.exact: dict[str, Identity] = {}
        self.content: dict[str, tuple[Identity, str | None]] = {}
        self.changed = False
        self._modules: set[str] = set()
        self._read: set[str] = set()

    def check(self, recorder: Recorder, out: str, work: Iterable[str]) -> set[str]:
        """Check what was not checked yet; the files read that the build made (those are
        outputs, taken as the build leaves them)."""
        late = recorder.began_ns - RACY_NS
        for module in list(sys.modules.values()):
            source = getattr(module, "__file__", None)
            if isinstance(source, str) and source not in self._modules:
                self._modules.add(source)
                seen = _identity(source)
                if seen is not None and seen[2] >= late:
                    self.changed = True
                self.exact[os.path.abspath(source)] = seen
        made = set(recorder.written)
        created = _within(recorder.created)
        working = _within(set(work))
        inside = out + os.sep
        for path, before in sorted(dict(recorder.read).items()):  # other threads may read on
            if path in self._read:
                continue
            if created(path):  # made by the build (a cache record moved into place)
                made.add(path)
                continue
            self._read.add(path)
            if not path.startswith(inside):
                seen = _identity(path)
                if seen != before or _racy(seen, recorder.read_ns.get(path, recorder.began_ns)):
                    self.changed = True  # changed while (or just before) the build read it
                if path.endswith(".pyc") or working(path):  # as exactly as module source
                    self.exact[path] = seen
                elif path not in self.exact:  # a module's source is compared by identity
                    self.content[path] = (seen, _digest(path))
        return made


def _racy(seen: Identity, read_ns: int) -> bool:
    """Whether a file's last change may share a timestamp tick with the build's read of it."""
    if seen is None:
        return False
    window = COARSE_NS if seen[1] % 1_000_000_000 == 0 == seen[2] % 1_000_000_000 else 0
    return seen[2] >= read_ns - max(RACY_NS, window)


def _is_path(value: object) -> bool:
    return isinstance(value, str | bytes | os.PathLike)


def _absolute(path: Any) -> str:
    return os.path.abspath(os.fsdecode(path))


_active: Recorder | None = None
_hooked = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in _NOTED:
        return
    recorder = _active
    if recorder is not None:
        try:
            recorder.note(event, args)
        except Exception:  # never let noting break what the build was doing
            recorder.unsure = True


def record(argv: Sequence[str]) -> Recorder:
    """Start noting what this process's build reads; drop the stamp it may answer with now."""
    global _active, _hooked
    with contextlib.suppress(OSError):
        stamp_path(argv).unlink()
    if not _hooked:  # an audit hook cannot be removed: one for the process, idle when not noting
        sys.addaudithook(_hook)
        _hooked = True
    _active = Recorder(argv)
    return _active


def recording() -> Recorder | None:
    """The recorder of the build running in this process, if the command line started one."""
    return _active


def stop() -> None:
    """Stop noting (the audit hook stays, idle)."""
    global _active
    _active = None


def stamp_path(argv: Sequence[str]) -> Path:
    """Where the stamp of ``previz build`` with these arguments, here, is kept."""
    from previz.products import products_dir  # standard library only

    place = json.dumps([os.getcwd(), sys.executable, list(argv)])
    name = hashlib.sha256(place.encode()).hexdigest()[:32]
    return products_dir() / "builds" / f"{name}.json"


def settle(
    recorder: Recorder,
    out_dir: Path,
    takes: Iterable[Path],
    stdout: str,
    stderr: str,
    *,
    searched: Iterable[Path] = (),
    work: Iterable[Path] = (),
) -> Path | None:
    """Write the stamp of a settled build; None when an input may have changed while it ran.

    ``searched`` are folders looked up by name without being listed or opened (Jinja's
    template loader checks ``os.path.isfile``, which no audit event reports): every folder
    in them counts as listed, so a file added there is a change. Files read in ``work``
    folders (previz's own state: ~400 cache records and folders, ~10 MB of sound parts) are
    compared by identity rather than hashed: previz writes them, so a touched one only costs
    a build.
    """
    stop()
    if recorder.network or recorder.unsure:
        return None
    for top in searched:
        recorder.listed.update(folder for folder, _dirs, _files in os.walk(os.path.abspath(top)))
        recorder.listed.add(os.path.abspath(top))
    out = os.path.abspath(out_dir)
    inside = out + os.sep
    checked = recorder.inputs
    made = checked.check(recorder, out, [os.path.abspath(folder) for folder in work])
    if checked.changed:
        return None
    exact, content = checked.exact, checked.content
    if not _listed(recorder, checked, out, _within({os.path.abspath(f) for f in work})):
        return None
    for path in [*made, *map(str, takes), *map(_which, recorder.programs)]:
        if path and not path.startswith(inside):
            exact[os.path.abspath(path)] = _identity(path)
            content.pop(os.path.abspath(path), None)  # read before the build wrote it
    for folder in os.environ.get("PATH", "").split(os.pathsep):  # a program found, not run
        if folder:
            exact[os.path.abspath(folder)] = _identity(folder)
    for folder, _dirs, files in os.walk(out):  # every output, as the build leaves it
        exact[folder] = _identity(folder)
        exact.update((path, _identity(path)) for path in (os.path.join(folder, f) for f in files))
    inputs = {**recorder.header, "content": content, "stdout": stdout, "stderr": stderr}
    target = stamp_path(recorder.argv)
    from previz.products import write_private  # the replay path never writes

    try:
        write_private(target, f"{json.dumps(inputs)}\n{json.dumps(exact)}\n".encode())
    except OSError:  # no stamp costs the next build its full run, never its result
        return None
    return target


def _listed(recorder: Recorder, checked: Inputs, out: str, working: Callable[[str], bool]) -> bool:
    """Add the folders the build listed (outside ``out``) to ``checked``: False when one
    changed while the build ran, not by the build's own writing."""
    parents = {os.path.dirname(path) for path in recorder.written}
    late = recorder.began_ns - RACY_NS
    for folder in sorted(recorder.listed):
        if folder != out and not folder.startswith(out + os.sep):
            seen = _identity(folder)
            if seen is not None and seen[2] >= late and folder not in parents:
                return False
            if working(folder):  # its identity changes whenever an entry is added or removed
                checked.exact[folder] = seen
            else:
                checked.content[folder] = (seen, _digest(folder))
    return True


def replay(argv: Sequence[str]) -> bool:
    """Print what the stamped build printed when nothing it depends on changed; else False.

    The stamp is two lines of JSON: the header, the files read (the scene among them) and
    what the build printed, then the ~4,000 identities compared exactly (modules, takes,
    outputs). An edited input — what usually brings a build — is found on the first line,
    without parsing nor checking the second."""
    try:
        with stamp_path(argv).open("rb") as file:
            stamp = json.loads(file.readline())
            if not isinstance(stamp, dict):
                return False
            if any(stamp.get(k) != v for k, v in _header(argv).items()):
                return False
            if not _same_content(stamp["content"]) or not _same_identity(json.loads(file.read())):
                return False
            said, warned = str(stamp["stdout"]), str(stamp["stderr"])
    except (OSError, KeyError, TypeError, ValueError, AttributeError):  # a damaged stamp: build
        return False
    sys.stdout.write(said)
    sys.stderr.write(warned)
    return True


def read(path: Path) -> dict[str, Any]:
    """A stamp's fields as one mapping (its ``exact`` identities under ``"exact"``)."""
    inputs, exact = path.read_text(encoding="utf-8").splitlines()
    return {**json.loads(inputs), "exact": json.loads(exact)}


def _same_content(content: dict[str, list[Any]]) -> bool:
    for path, (seen, digest) in content.items():
        if _identity(path) != seen and _digest(path) != digest:
            return False
    return True


def _same_identity(exact: dict[str, Identity]) -> bool:
    return all(_identity(path) == seen for path, seen in exact.items())


def _header(argv: Sequence[str]) -> dict[str, Any]:
    return {
        "scheme": SCHEME,
        "argv": list(argv),
        "cwd": os.getcwd(),
        "python": sys.executable,
        "sys_path": sys.path,
        "environment": environment_digest(os.environ),
    }


def environment_digest(environ: os._Environ[str] | dict[str, str]) -> str:
    """sha256 over every variable but :data:`SHELL_ONLY` (names and values)."""
    pairs = sorted((k, v) for k, v in environ.items() if k not in SHELL_ONLY)
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()
