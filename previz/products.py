"""Outputs are products: a file is rewritten only when what it is made of changed.

An output (an export, the timeline, the animatic, the review page) has a *content key*: a hash
of everything it is made of — the cut's clips and their facts, the format, the writer's version.
:class:`ProductStore` remembers, per output folder, the key each product was last written with
and the identity of the files it wrote (size, mtime, inode). When the key is unchanged and the
files are still the ones written, the product is current and is not touched, so its mtime stays
(NLEs and sync tools notice rewrites). A file edited, replaced or deleted since is written again.

The records live outside the output folder, so a hand-off folder holds only what an editor
opens: under ``$PREVIZ_PRODUCTS_DIR``, else ``$XDG_CACHE_HOME/previz/products`` (``~/.cache``),
one small JSON file per product and folder, each replaced atomically, so products written by
different processes never race on one shared file. Losing them costs one rewrite of each
product; a stale record can never keep a wrong file, because the file's identity must match.

    key = product_key("animatic", WRITER_VERSION, [segment facts ...])
    write_product(out / "animatic.mp4", key, lambda tmp: render_to(tmp))  # False: untouched
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

PRODUCTS_ENV = "PREVIZ_PRODUCTS_DIR"

MADE_EVENT = "previz.made"
"""The audit event (one path) the build raises for a file that a process of its own other than
this one makes or rewrites (a helper, an export worker): the build's own file to its stamp
(:mod:`previz.cli.stamp`), not an input, even where this process reads it first."""
SETTLED_NS = 2_000_000_000
"""How long ago a file must have last changed before anything is remembered by its identity
(inode, size, times) instead of its bytes: a younger file may change again within one timestamp
tick and keep its identity (the coarsest timestamps, FAT's, tick every 2 s)."""


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_file_mode = 0o666 & ~_umask()  # read at import, with no other thread to see the umask change


def file_mode() -> int:
    """The mode of a file the user makes (an output written through a private temporary file,
    which ``mkstemp`` makes 0600): what the process's umask leaves of 0666."""
    return _file_mode


def umask_changed() -> None:
    """Read the umask again: a command forked by the build server takes its client's umask
    (:mod:`previz.cli.server_child`) before it runs, with no other thread."""
    global _file_mode
    _file_mode = 0o666 & ~_umask()


def settled(changed_ns: int, now_ns: int) -> bool:
    """Whether a file last changed at ``changed_ns`` is settled at ``now_ns`` (epoch ns)."""
    return now_ns - changed_ns > SETTLED_NS


def products_dir() -> Path:
    """Where product records live: ``$PREVIZ_PRODUCTS_DIR``, else the user's cache folder."""
    override = os.environ.get(PRODUCTS_ENV)
    if override:
        return Path(override)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "previz" / "products"


def read_private(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is this user's own file that no one else may write, else
    ``None`` (missing, unreadable, a link, another user's, group or other writable).

    Some of what is kept beside the product records is code (compiled templates, dataclass
    methods) or names code to import (entry points): read from a file another user could
    write — ``$PREVIZ_PRODUCTS_DIR`` pointed at a team's shared folder — it would run as
    whoever reads it. The file is opened once (not following a link) and the open file is
    checked, so nothing swapped in between is read. A file of this user's that others may not
    write cannot be changed by them, wherever its folder is. Where the system has no user
    ids (Windows), only the file's permissions are checked."""
    try:
        # not following a link, and not waiting on a FIFO planted there (refused below)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        handle = os.open(path, flags | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    with os.fdopen(handle, "rb") as file:
        found = os.fstat(file.fileno())
        mine = not hasattr(os, "getuid") or found.st_uid == os.getuid()
        if not mine or not stat.S_ISREG(found.st_mode) or found.st_mode & 0o022:
            return None
        try:
            return file.read()
        except OSError:
            return None


def write_private(path: Path, *chunks: bytes) -> None:
    """Replace ``path`` by ``chunks`` (atomically: a reader sees the old file or the whole new
    one), written to a new file only this user may read or write, under a name no one can
    foresee (``mkstemp``: a link planted beside ``path`` is never written through); the folder
    made private when missing. Raises :class:`OSError`."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.writelines(chunks)
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def fresh_beside(path: Path) -> Path:
    """A new empty file beside ``path`` for an output to be written to before it replaces
    ``path``: hidden, under a name no one can foresee (``mkstemp``: a link planted there in a
    shared folder is never written through), with the mode a file the user makes has
    (``mkstemp`` makes it private). Raises :class:`OSError`."""
    handle, name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=path.parent
    )
    os.close(handle)
    os.chmod(name, file_mode())
    return Path(name)


def product_key(*parts: Any) -> str:
    """A content key: sha256 of ``parts`` (text and bytes hashed as is, the rest as JSON)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            data = part
        elif isinstance(part, str):
            data = part.encode("utf-8")
        else:
            data = json.dumps(part, sort_keys=True, separators=(",", ":"), default=str).encode()
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def identity(stat: os.stat_result) -> tuple[int, int, int]:
    """A file's identity as products, export memos and the animatic's tables remember it:
    size, modification time (ns) and inode — any rewrite or replacement changes it."""
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _identity(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return list(identity(stat))


class ProductStore:
    """The keys and file identities of the products written into one folder."""

    def __init__(self, folder: Path, *, records: Path | None = None) -> None:
        self.folder = Path(folder).resolve()
        place = hashlib.sha256(str(self.folder).encode()).hexdigest()[:24]
        self.records = (records or products_dir()) / place

    def _record_path(self, name: str) -> Path:
        return self.records / f"{name}.json"

    def _read(self, name: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._record_path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def files(self, name: str) -> list[Path]:
        """The files product ``name`` was last written as (empty when never recorded)."""
        record = self._read(name) or {}
        return [self.folder / file for file in record.get("files", {})]

    def current(self, name: str, key: str) -> bool:
        """Whether product ``name`` was written with ``key`` and its files are untouched since."""
        return self.current_key(name) == key

    def current_key(self, name: str) -> str | None:
        """The key product ``name`` was last written with, when its files are untouched since
        (``None`` otherwise: never recorded, a file changed, moved or gone)."""
        record = self._read(name)
        if record is None or not isinstance(record.get("key"), str) or not record.get("files"):
            return None
        files: dict[str, Any] = record["files"]
        if all(_identity(self.folder / file) == seen for file, seen in files.items()):
            return str(record["key"])
        return None

    def record(self, name: str, key: str, paths: Sequence[Path]) -> None:
        """Remember that product ``name`` was just written with ``key`` as ``paths``."""
        files: dict[str, list[int] | None] = {}
        for path in paths:
            files[os.path.relpath(path, self.folder)] = _identity(path)
        target = self._record_path(name)
        record = {"folder": str(self.folder), "key": key, "files": files}
        write_private(target, json.dumps(record, sort_keys=True).encode("utf-8"))

    def forget(self, name: str) -> None:
        """Drop product ``name``'s record, so it is written again next time."""
        with contextlib.suppress(FileNotFoundError):
            self._record_path(name).unlink()


def write_product(
    path: Path, key: str, write: Callable[[Path], None], *, name: str | None = None
) -> bool:
    """Write ``path`` with ``write(tmp)`` only if its key changed; return whether it was written.

    ``write`` writes a hidden temporary file beside ``path`` that replaces ``path`` only when it
    succeeded, so a failed writer leaves the previous file (and its record) as they were.
    """
    store = ProductStore(path.parent)
    product = name or path.name
    if store.current(product, key):
        return False
    partial = fresh_beside(path)
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    store.record(product, key, [path])
    return True
