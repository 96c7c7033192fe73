"""Poster frames: one JPEG per take, pulled from the middle of the part of the take that plays.

A poster is named by the hash of its clip's bytes and the frame it shows, so a rebuild that
changed nothing finds every poster already there and decodes nothing, and a regenerated take
gets a new poster instead of a stale one. Posters no longer shown are removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from previz.errors import MediaError
from previz.generate.plan import content_hash
from previz.media import extract_frame, replacing
from previz.review.build import ReviewBuild

POSTER_WIDTH = 640
_QUALITY = 82


def poster_name(clip: Path, frame: int) -> str:
    """The poster's file name: clip hash and frame, so it changes exactly when they do."""
    return f"{content_hash(clip)[:24]}-{frame}.jpg"


def write_poster(clip: Path, seconds: float, frame: int, folder: Path) -> Path | None:
    """The poster of ``clip`` at ``seconds`` in ``folder`` (made once); None if undecodable."""
    dest = folder / poster_name(clip, frame)
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


def take_posters(build: ReviewBuild, folder: Path) -> dict[tuple[str, int], Path]:
    """A poster in ``folder`` for every take with media, keyed by (shot id, take number), from
    the middle of the part of the take the cut plays; posters no longer shown are removed."""
    made: dict[tuple[str, int], Path] = {}
    for shot in build.shots:
        for take in shot.takes:
            if take.media is None:
                continue
            middle = take.source_in + shot.frames // 2
            poster = write_poster(take.media, middle / build.fps, middle, folder)
            if poster is not None:
                made[(shot.id, take.number)] = poster
    if folder.exists():
        prune_posters(folder, made.values())
    return made
