"""ffmpeg binaries that answered ``-version``, remembered between processes by file identity.

:func:`previz.media.ffmpeg.find_ffmpeg` accepts a binary only once it answers ``-version``.
Asking costs a process start (~15 ms), and without ffmpeg on ``PATH`` imageio-ffmpeg starts
its bundled binary once more to find it: two starts before every build's first frame. A binary
that answered is recorded here by its identity — path, inode, size, modification and change
times, as the process already remembered it — and so is where imageio-ffmpeg's own package
keeps its binary. A binary replaced, rebuilt or re-permissioned has another identity and is
asked again; a broken one is never recorded. A file changed less than 2 s before it answered is
not recorded: its timestamps may not have ticked since (as :class:`previz.review.posters.
TakeDigests`). The record is one small JSON file beside the product records
(:func:`previz.products.products_dir`); losing or damaging it costs one ``-version`` again.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from previz.products import products_dir, settled, write_private

Identity = tuple[str, int, int, int, int]

_RECORD_NAME = "ffmpeg-answered.json"


def identity(binary: Path) -> Identity | None:
    """``binary``'s path, inode, size, modification and change times; None if it is missing."""
    try:
        stat = binary.stat()
    except OSError:
        return None
    return (str(binary), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def record_path() -> Path:
    """The JSON file the answers are kept in."""
    return products_dir() / _RECORD_NAME


def _read() -> dict[str, object]:
    try:
        data = json.loads(record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def recorded() -> set[Identity]:
    """The identities recorded as having answered (empty when there is no readable record)."""
    answered = _read().get("answered")
    if not isinstance(answered, list):
        return set()
    return {tuple(entry) for entry in answered if isinstance(entry, list) and len(entry) == 5}


def bundled(package: Path) -> Path | None:
    """The binary imageio-ffmpeg installed in ``package`` returned, if recorded."""
    found = _read().get("bundled")
    binary = found.get(str(package)) if isinstance(found, dict) else None
    return Path(binary) if isinstance(binary, str) else None


def remember(
    answered: Identity, *, package: Path | None = None, now: Callable[[], int] = time.time_ns
) -> None:
    """Record that the binary ``answered`` (imageio-ffmpeg's from ``package``, if given).

    Best effort: a record that cannot be written only means asking again next time. ``now``
    (epoch nanoseconds) is injectable for tests."""
    if not settled(max(answered[3], answered[4]), now()):
        return
    data = _read()
    known = {entry for entry in recorded() if identity(Path(entry[0])) == entry}  # drop stale
    packages = data.get("bundled")
    packages = packages if isinstance(packages, dict) else {}
    if answered in known and (package is None or packages.get(str(package)) == answered[0]):
        return
    data["answered"] = sorted(list(entry) for entry in known | {answered})
    if package is not None:  # one per installation: several environments share the record
        data["bundled"] = {**packages, str(package): answered[0]}
    with contextlib.suppress(OSError):
        write_private(record_path(), json.dumps(data, sort_keys=True).encode("utf-8"))
