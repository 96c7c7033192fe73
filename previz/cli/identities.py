"""A file's identity and content, as a build's stamp compares them (standard library only:
:mod:`previz.cli.stamp` runs before the rest of previz is imported)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

Identity = list[int] | None
"""size, mtime, ctime (ns), inode and device; None for a file that is not there."""


def identity(path: str) -> Identity:
    """What stands for ``path``'s content: it changes whenever the file is written."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


def digest(path: str) -> str | None:
    """sha256 of a file's bytes, or of a folder's sorted names; None when neither is readable."""
    hashed = hashlib.sha256()
    try:
        if os.path.isdir(path):
            hashed.update("\0".join(sorted(os.listdir(path))).encode("utf-8", "surrogateescape"))
        else:
            with open(path, "rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    hashed.update(block)
    except OSError:
        return None
    return hashed.hexdigest()


def which(program: str) -> str:
    """The file ``program`` runs from, as found on ``PATH`` (itself when not found)."""
    import shutil

    return shutil.which(program) or program


def within(made: set[str]) -> Callable[[str], bool]:
    """Whether a path or a folder above it is in ``made``; each folder is looked at once (a
    build reads ~1,300 files from a few hundred folders)."""
    known: dict[str, bool] = {}

    def under(path: str) -> bool:
        trail = []
        while path not in known:
            trail.append(path)
            parent = os.path.dirname(path)
            if path in made or parent == path:
                known[path] = path in made
                break
            path = parent
        found = known[path]
        known.update(dict.fromkeys(trail, found))
        return found

    return under
