"""Finding ffmpeg and running it, with its failures turned into previz errors.

ffmpeg comes from ``$PREVIZ_FFMPEG``, else ``PATH``, else the binary the ``imageio-ffmpeg`` wheel
ships, so ``pip install`` alone gives a working tool. A binary is only accepted once it answers
``-version``; a broken ``$PREVIZ_FFMPEG`` is reported as such rather than silently skipped, since
the user set it on purpose.

ffmpeg does not always fail when its output cannot be written: several versions exit 0 after
"No space left on device" while closing the file. So a run that reports a full disk, or leaves
its output's disk with no space at all, is treated as failed too.

A failed run becomes a :class:`~previz.errors.MediaError` naming the shot and quoting the last
lines ffmpeg wrote. A full disk or an unwritable output becomes an
:class:`~previz.errors.OutputError` instead, because the fix is the user's folder, not the media.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import importlib.util
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from previz.errors import MediaError, OutputError
from previz.media import answered

ENV_VAR = "PREVIZ_FFMPEG"
_TAIL_LINES = 12
_HINT_INSTALL = (
    "install the Python package 'imageio-ffmpeg' (it ships ffmpeg), put ffmpeg on PATH, "
    f"or point ${ENV_VAR} at an ffmpeg binary"
)


def find_ffmpeg(env: Mapping[str, str] | None = None) -> Path:
    """The ffmpeg binary to use: ``$PREVIZ_FFMPEG``, then ``PATH``, then imageio-ffmpeg's."""
    env = os.environ if env is None else env
    chosen = env.get(ENV_VAR)
    if chosen:
        problem = _broken_reason(Path(chosen))
        if problem:
            raise MediaError(
                f"${ENV_VAR} points at an ffmpeg that does not work: {problem}",
                path=chosen,
                hint=f"fix or unset ${ENV_VAR}; " + _HINT_INSTALL,
            )
        return Path(chosen)
    on_path = shutil.which("ffmpeg", path=env.get("PATH", os.defpath))
    if on_path and not _broken_reason(Path(on_path)):
        return Path(on_path)
    bundled = _imageio_ffmpeg()
    if bundled is not None and not _broken_reason(bundled):
        return bundled
    raise MediaError("no working ffmpeg found", hint=_HINT_INSTALL)


def _imageio_ffmpeg() -> Path | None:
    """imageio-ffmpeg's binary. Its own search starts the bundled binary to check it, so the
    bundled binary, once it answered, is taken from the record (:mod:`previz.media.answered`)
    while it keeps its identity: imageio-ffmpeg would return it first as long as it works. The
    package is then only located, not imported."""
    spec = importlib.util.find_spec("imageio_ffmpeg")
    if spec is None or spec.origin is None:
        return None
    package = Path(spec.origin).parent
    chosen_by_user = bool(os.environ.get("IMAGEIO_FFMPEG_EXE"))  # imageio-ffmpeg's first choice
    known = None if chosen_by_user else answered.bundled(package)
    if known is not None and answered.identity(known) in _answered():
        return known
    try:
        import imageio_ffmpeg

        binary = Path(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        return None
    found = answered.identity(binary)
    inside = not chosen_by_user and binary.is_relative_to(package)
    if inside and found is not None and not _broken_reason(binary):
        answered.remember(found, package=package)
    return binary


@functools.cache
def _answered() -> set[answered.Identity]:
    """The binaries known to answer: recorded by earlier processes, then asked by this one."""
    return answered.recorded()


def _broken_reason(binary: Path) -> str | None:
    """Why ``binary -version`` does not work, or ``None`` when it does.

    A binary that answered is remembered by its identity (inode, size, mtime, ctime), in this
    process and for later ones (:mod:`previz.media.answered`), so a build does not start it
    again; a replaced or re-permissioned file is asked anew, and a broken one every time."""
    identity = answered.identity(binary)
    if identity is not None and identity in _answered():
        return None
    problem = _version_problem(binary)
    if problem is None and identity is not None:
        _answered().add(identity)
        answered.remember(identity)
    return problem


def _version_problem(binary: Path) -> str | None:
    try:
        done = subprocess.run(
            [str(binary), "-hide_banner", "-version"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except FileNotFoundError:
        return "no such file"
    except PermissionError:
        return "not executable"
    except OSError as error:
        return error.strerror or str(error)
    except subprocess.TimeoutExpired:
        return "'-version' did not answer within 30 s"
    if done.returncode != 0:
        return f"'-version' exited with status {done.returncode}"
    if not done.stdout.startswith(b"ffmpeg version"):
        return "'-version' did not print an ffmpeg version"
    return None


def run_ffmpeg(
    args: Sequence[str],
    *,
    ffmpeg: Path,
    shot_id: str | None = None,
    cwd: Path | None = None,
    dest: Path | None = None,
) -> None:
    """Run ``ffmpeg args`` to completion; raise a previz error if it fails.

    ``args`` excludes the binary itself. ``dest`` (the main output) is named in errors about the
    output folder; ``cwd`` lets a filter graph refer to its files by short relative names.
    """
    command = [str(ffmpeg), "-nostdin", "-hide_banner", "-loglevel", "warning", *args]
    try:
        done = subprocess.run(command, capture_output=True, cwd=cwd, check=False)
    except OSError as error:
        raise _launch_error(ffmpeg, error, shot_id) from error
    if done.returncode != 0:
        raise ffmpeg_failure(done.returncode, done.stderr, shot_id=shot_id, dest=dest)
    _check_written(done.stderr, shot_id=shot_id, dest=dest)


async def run_ffmpeg_async(
    args: Sequence[str],
    *,
    ffmpeg: Path,
    shot_id: str | None = None,
    cwd: Path | None = None,
    dest: Path | None = None,
) -> None:
    """:func:`run_ffmpeg` as a subprocess the event loop waits on, so renders run in parallel."""
    command = [str(ffmpeg), "-nostdin", "-hide_banner", "-loglevel", "warning", *args]
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
        )
    except OSError as error:
        raise _launch_error(ffmpeg, error, shot_id) from error
    try:
        _, stderr = await process.communicate()
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        raise ffmpeg_failure(process.returncode or 1, stderr, shot_id=shot_id, dest=dest)
    _check_written(stderr, shot_id=shot_id, dest=dest)


def _check_written(stderr: bytes, *, shot_id: str | None, dest: Path | None) -> None:
    """Raise if a run ffmpeg called successful could not in fact write its output."""
    full = os.strerror(errno.ENOSPC) in stderr.decode("utf-8", "replace")
    if not full and dest is not None:
        try:
            stats = os.statvfs(dest.parent)
        except OSError:
            stats = None
        full = stats is not None and stats.f_blocks > 0 and stats.f_bavail == 0
    if full:
        raise ffmpeg_failure(1, stderr, shot_id=shot_id, dest=dest, disk_full=True)


def _launch_error(ffmpeg: Path, error: OSError, shot_id: str | None) -> MediaError:
    return MediaError(
        f"cannot start ffmpeg: {error.strerror or error}",
        path=ffmpeg,
        shot_id=shot_id,
        hint=_HINT_INSTALL,
    )


def ffmpeg_failure(
    status: int,
    stderr: bytes,
    *,
    shot_id: str | None,
    dest: Path | None,
    disk_full: bool = False,
) -> MediaError | OutputError:
    """The previz error for an ffmpeg run that exited with ``status`` and wrote ``stderr``."""
    text = stderr.decode("utf-8", "replace")
    tail = "\n    ".join(text.strip().splitlines()[-_TAIL_LINES:]) or "(ffmpeg printed nothing)"
    folder = dest.parent if dest is not None else None
    if disk_full or os.strerror(errno.ENOSPC) in text:
        return OutputError(
            f"the disk is full; ffmpeg could not finish writing:\n    {tail}",
            path=dest,
            shot_id=shot_id,
            hint=f"free space on the disk holding {folder or 'the output folder'} "
            "or choose another output folder",
        )
    if any(os.strerror(code) in text for code in (errno.EACCES, errno.EROFS, errno.EPERM)):
        return OutputError(
            f"the output cannot be written:\n    {tail}",
            path=dest,
            shot_id=shot_id,
            hint=f"make {folder or 'the output folder'} writable or choose another output folder",
        )
    return MediaError(
        f"ffmpeg failed (exit status {status}):\n    {tail}",
        path=dest,
        shot_id=shot_id,
        hint="the lines above are ffmpeg's own; if they name a filter or codec, "
        f"try another ffmpeg via ${ENV_VAR}",
    )


def output_error(error: OSError, *, path: Path, shot_id: str | None = None) -> OutputError:
    """An :class:`OutputError` for a Python-side write that failed (full disk, permissions)."""
    if error.errno == errno.ENOSPC:
        message, fix = "the disk is full", "free space on that disk or choose another folder"
    else:
        message = f"cannot write here: {error.strerror or error}"
        fix = "make the folder writable or choose another output folder"
    return OutputError(message, path=path, shot_id=shot_id, hint=fix)
