"""Installed entry points, read once per state of the installation instead of on every start.

Asking :func:`importlib.metadata.entry_points` for a group reads the metadata of every installed
distribution (~160 here: ~10 ms), and a build asked twice: for previz's backends
(:mod:`previz.backends.registry`) and, at its first model, for pydantic's plugins. What it finds
depends only on the folders on :data:`sys.path`: which ``*.dist-info`` / ``*.egg-info`` each
holds, and their ``entry_points.txt`` files. So the entry points of :data:`GROUPS` are kept in
one file beside the product records (:func:`previz.products.products_dir`) with a fingerprint of
exactly that: each folder on the path, the names of the metadata folders in it (a distribution
is named by its folder) and the identity of each one's ``entry_points.txt`` (inode, size,
modification and change times: an installer writes a new file, an edit changes its times).
Another state — a package installed, upgraded or removed, another path — means one scan, as
without the file, and the file is written again.

Only the path's folders are read this way; a path entry that is an archive or an egg, or a
finder other than Python's own that provides distributions (:data:`sys.meta_path`), means a
scan every time. A damaged file is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from previz.products import products_dir, read_private, write_private

GROUPS = ("previz.backends", "pydantic")
"""The groups kept: previz's backends and pydantic's plugins."""

FILE = "entry-points.json"
"""The file under :func:`~previz.products.products_dir` that keeps them."""

_INFO = (".dist-info", ".egg-info")
_SCHEME = 1
STATES = 4
"""How many states of the installation the file keeps."""

Found = dict[str, list[tuple[str, str]]]  # group -> [(name, "module:attribute"), ...]


def named(group: str) -> list[tuple[str, str]]:
    """The entry points of ``group`` (one of :data:`GROUPS`) as ``(name, value)``, in the
    order :func:`importlib.metadata.entry_points` gives them."""
    return list(_installed()[group])


def no_pydantic_plugins() -> bool:
    """Whether no pydantic plugin is installed: then pydantic is told so (its plugin list set
    empty), before its first model, instead of reading every distribution to find none.

    A pydantic without that list, or one that has loaded its plugins already, is left as it
    is; so is one told by ``PYDANTIC_DISABLE_PLUGINS`` what to skip."""
    if _installed()["pydantic"] or os.environ.get("PYDANTIC_DISABLE_PLUGINS") is not None:
        return False
    from pydantic.plugin import _loader

    if getattr(_loader, "_plugins", False) is not None:
        return False
    _loader._plugins = {}
    return True


def _installed() -> Found:
    """The kept entry points when the installation is as it was, else a scan (kept for next
    time, with the last few other states: a console script and ``python -m`` see other paths)."""
    fingerprint = _fingerprint()
    path = products_dir() / FILE
    states = _read(path)
    for state in states:
        if state.get("fingerprint") == fingerprint:
            groups = state.get("groups")
            if isinstance(groups, dict) and all(isinstance(groups.get(g), list) for g in GROUPS):
                return {g: [(str(n), str(v)) for n, v in groups[g]] for g in GROUPS}
    found = _scan()
    if fingerprint is not None:
        state = {"fingerprint": fingerprint, "groups": found}
        _write(path, {"scheme": _SCHEME, "states": [state, *states][:STATES]})
    return found


def _scan() -> Found:
    from importlib.metadata import entry_points

    every = entry_points()  # one pass over the distributions for every group
    return {g: [(p.name, p.value) for p in every.select(group=g)] for g in GROUPS}


def _fingerprint() -> list[Any] | None:
    """What the scan depends on, or None when it cannot be told from folders alone."""
    from importlib.machinery import PathFinder

    if any(f is not PathFinder and hasattr(f, "find_distributions") for f in sys.meta_path):
        return None
    places: list[Any] = [sys.version]
    for entry in sys.path:
        folder = os.path.abspath(entry or ".")  # a relative entry is read from the working folder
        try:
            found = os.stat(folder)
        except OSError:
            places.append([folder, None])
            continue
        if not stat.S_ISDIR(found.st_mode) or folder.lower().endswith(".egg"):
            return None  # an archive or an egg: importlib.metadata reads inside it
        # the names, not the folder's times: a working folder on the path changes all the time
        infos = sorted(name for name in os.listdir(folder) if name.lower().endswith(_INFO))
        places.append(
            [folder, [[name, _identity(os.path.join(folder, name, "entry_points.txt"))]
                      for name in infos]]
        )  # fmt: skip
    return places


def _identity(path: str) -> list[int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return [found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns]


def _read(path: Path) -> list[dict[str, Any]]:
    text = read_private(path)  # it names modules to import: only this user's own file
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return []
    if not isinstance(data, dict) or data.get("scheme") != _SCHEME:
        return []
    states = data.get("states")
    return [s for s in states if isinstance(s, dict)] if isinstance(states, list) else []


def _write(path: Path, data: dict[str, Any]) -> None:
    """Best effort, atomic: a file that cannot be written means a scan next time."""
    with contextlib.suppress(OSError):
        write_private(path, json.dumps(data).encode("utf-8"))
