"""One build at a time per project: an advisory lock on ``.previz/build.lock``.

Two builds of one project would submit the same takes twice and write the same cache entries
and output files at once. The first build takes an exclusive ``flock`` on the lock file and
writes its pid there; a second one waits up to :data:`LOCK_WAIT` seconds for it, then stops
with :class:`~previz.errors.ProjectLocked` naming the holder's pid (the CLI exits 2). With
``wait=None`` (``previz build --wait``) it queues behind the holder for as long as it takes.
The kernel drops the lock when its holder exits, however it exits, so a killed build never
leaves a stale lock behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from previz.errors import ProjectLocked

LOCK_NAME = "build.lock"
LOCK_WAIT = 10.0
"""Seconds a second build waits for the first before giving up (without ``--wait``)."""
_POLL = 0.2


@contextlib.asynccontextmanager
async def project_lock(
    state_dir: Path,
    *,
    wait: float | None = LOCK_WAIT,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[Path]:
    """Hold the project's build lock for the block; ``wait=None`` waits without limit."""
    path = state_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        await _acquire(fd, path, wait, sleep)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


async def _acquire(
    fd: int, path: Path, wait: float | None, sleep: Callable[[float], Awaitable[None]]
) -> None:
    start = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if wait is not None and time.monotonic() - start >= wait:
                raise ProjectLocked(
                    f"another previz build (pid {holder(path) or 'unknown'}) is running in this "
                    f"project; waited {wait:g}s for it",
                    path=path.parent.parent,
                    hint="let it finish, or run with --wait to start as soon as it ends",
                ) from None
            await sleep(_POLL)


def holder(path: Path) -> int | None:
    """The pid written by the build holding the lock at ``path``, if one is recorded."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
