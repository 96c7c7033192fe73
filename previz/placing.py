"""Takes placed in the output folder: ``clips/`` and ``stems/`` hold a hard link (or a copy) of
each take's files, and the timeline references those, not the cache, so a hand-off folder
stays whole when the cache is cleaned.

Where a take goes depends on the take alone (``clips/<shot>_t<take>.mp4``, its stems beside
``stems/``), so it can be worked out before anything is written (:meth:`Placement.plan`);
:meth:`Placement.place` then writes what is not there yet.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from previz.backends.base import Clip
from previz.errors import OutputError

Key = tuple[str, int]  # shot id, take number


def writable_folder(folder: Path) -> Path:
    """``folder``, created if need be; an :class:`OutputError` if it cannot be written to."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(
            f"cannot create the folder: {error.strerror}",
            path=folder,
            hint="choose a writable --out folder",
        ) from None
    if not os.access(folder, os.W_OK):
        raise OutputError(
            "the folder is not writable",
            path=folder,
            hint="choose a writable --out folder or fix its permissions",
        )
    return folder


class Placement:
    """Where a build's takes go in ``out_dir``, worked out (:meth:`plan`) and written
    (:meth:`place`)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._planned: dict[Key, tuple[Clip, Clip]] = {}  # take → (it, it as placed)

    def plan(self, clips: Mapping[Key, Clip]) -> dict[Key, Clip]:
        """``clips`` as they will be once placed (nothing is written), in key order."""
        clip_dir, stem_dir = self.out_dir / "clips", self.out_dir / "stems"
        placed = {}
        for key, clip in sorted(clips.items()):
            known = self._planned.get(key)
            if known is not None and known[0] is clip:
                placed[key] = known[1]
                continue
            name = f"{clip.shot_id}_t{clip.take}"
            video = clip_dir / f"{name}{clip.path.suffix or '.mp4'}"
            stems = {
                role: stem_dir / f"{name}_{role}{path.suffix or '.wav'}"
                for role, path in clip.stems.items()
            }
            placed[key] = replace(clip, path=video, stems=stems)
            self._planned[key] = (clip, placed[key])
        return placed

    def place(self, clips: Mapping[Key, Clip]) -> tuple[dict[Key, Clip], set[str]]:
        """Hard-link (or copy) every take and its stems into the output folder; return the
        placed clips (those :meth:`plan` gave for the same takes) and the shots of the files
        written now or found to be symbolic links (each else a file already placed)."""
        writable_folder(self.out_dir / "clips")
        writable_folder(self.out_dir / "stems")
        placed = self.plan(clips)
        moved = set()
        for key, there in placed.items():
            clip = clips[key]
            settled = _link(clip.path, there.path)
            for role, path in clip.stems.items():
                settled &= _link(path, there.stems[role])
            if not settled:
                moved.add(clip.shot_id)
        return placed, moved


def _link(source: Path, dest: Path) -> bool:
    """Place ``source`` at ``dest``; whether it was there already, as a file (not a link)."""
    try:
        with contextlib.suppress(FileNotFoundError):  # one stat each: placed by an earlier build
            found = os.lstat(dest)
            link = stat.S_ISLNK(found.st_mode)
            if os.path.samestat(os.stat(dest) if link else found, os.stat(source)):
                return not link
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copy2(source, tmp)
        os.replace(tmp, dest)
    except OSError as error:
        raise OutputError(
            f"cannot write {dest.name}: {error.strerror}",
            path=dest,
            hint="check the output folder's permissions and free space",
        ) from None
    return False
