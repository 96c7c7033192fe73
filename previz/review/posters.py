"""Poster frames: one JPEG per take, pulled from the middle of the part of the take that plays.

A poster is named by the hash of its clip's bytes and the frame it shows, so a rebuild that
changed nothing finds every poster already there and decodes nothing, and a regenerated take
gets a new poster instead of a stale one. Posters no longer shown are removed.

Hashing every take on every build reads every clip (and the build stamp then hashes them all
again), so :class:`TakeDigests` remembers each take's hash between builds by the file's
identity — device, inode, size, modification and change times, as git's index does: a take
rewritten, replaced or re-linked has another identity and is hashed again.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from previz.errors import MediaError, OutputError
from previz.generate.plan import content_hash
from previz.media import extract_frame, replacing
from previz.products import settled
from previz.review.build import ReviewBuild

POSTER_WIDTH = 640
_QUALITY = 82


class TakeDigests:
    """sha256 of take files, kept in ``path`` (JSON) between builds by each file's identity.

    A file changed less than 2 s before it was hashed is not remembered: its timestamps may not
    have ticked since. ``now`` (epoch nanoseconds) is injectable for tests."""

    def __init__(self, path: Path, *, now: Callable[[], int] = time.time_ns) -> None:
        self.path = path
        self._now = now
        try:
            known = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}  # missing or damaged: every take is hashed, as without this file
        self._known: dict[str, list[object]] = known if isinstance(known, dict) else {}
        self._seen: dict[str, list[object]] = {}

    def __call__(self, clip: Path) -> str:
        """The sha256 of ``clip``'s bytes."""
        stat = os.stat(clip)
        identity: list[object] = [
            stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns
        ]  # fmt: skip
        name = os.fspath(clip)
        known = self._known.get(name)
        if isinstance(known, list) and known[:-1] == identity and isinstance(known[-1], str):
            self._seen[name] = known
            return known[-1]
        digest = content_hash(clip)
        if settled(max(stat.st_mtime_ns, stat.st_ctime_ns), self._now()):
            self._seen[name] = [*identity, digest]
        return digest

    def save(self) -> None:
        """Keep the digests of the takes looked up since loading (best effort)."""
        if self._seen == self._known:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with replacing(self.path) as temp:
                temp.write_text(json.dumps(self._seen, sort_keys=True), encoding="utf-8")
        except (OSError, OutputError):
            pass  # not kept: the next build hashes the takes again


def poster_name(clip: Path, frame: int, digest: Callable[[Path], str] = content_hash) -> str:
    """The poster's file name: clip hash and frame, so it changes exactly when they do."""
    return f"{digest(clip)[:24]}-{frame}.jpg"


def write_poster(
    clip: Path, seconds: float, frame: int, folder: Path,
    digest: Callable[[Path], str] = content_hash,
) -> Path | None:  # fmt: skip
    """The poster of ``clip`` at ``seconds`` in ``folder`` (made once); None if undecodable."""
    dest = folder / poster_name(clip, frame, digest)
    if dest.exists():
        return dest
    try:
        image = extract_frame(clip, seconds)
    except MediaError:
        return None  # a take that cannot be decoded shows no picture rather than stopping review
    if image.width > POSTER_WIDTH:
        image = image.resize((POSTER_WIDTH, round(image.height * POSTER_WIDTH / image.width)))
    folder.mkdir(parents=True, exist_ok=True)
    with replacing(dest) as temp:
        image.convert("RGB").save(temp, format="JPEG", quality=_QUALITY, optimize=True)
    return dest


def prune_posters(folder: Path, keep: Iterable[Path]) -> None:
    """Remove posters in ``folder`` that are not in ``keep`` (takes no longer in the build)."""
    wanted = {path.name for path in keep}
    for path in folder.glob("*.jpg"):
        if path.name not in wanted:
            path.unlink(missing_ok=True)


def take_posters(
    build: ReviewBuild, folder: Path, digests: TakeDigests | None = None
) -> dict[tuple[str, int], Path]:
    """A poster in ``folder`` for every take with media, keyed by (shot id, take number), from
    the middle of the part of the take the cut plays; posters no longer shown are removed.
    ``digests`` remembers the takes' hashes between builds (they are hashed otherwise)."""
    digest = digests or content_hash
    made: dict[tuple[str, int], Path] = {}
    for shot in build.shots:
        for take in shot.takes:
            if take.media is None:
                continue
            middle = take.source_in + shot.frames // 2
            poster = write_poster(take.media, middle / build.fps, middle, folder, digest)
            if poster is not None:
                made[(shot.id, take.number)] = poster
    if folder.exists():
        prune_posters(folder, made.values())
    if digests is not None:
        digests.save()
    return made
