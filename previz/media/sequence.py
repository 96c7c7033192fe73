"""The sequence animatic: the cut's picture joined from conformed parts, its sound mixed once.

A cut is described as two lists that tile its length:

- :class:`PicturePart` — a run of frames showing one source (or black), or dissolving from one
  source (or black) into another: a dissolve, a fade in, a fade out are each such a short part;
- :class:`SoundPart` — a run of samples where some sources (the shot's stems) are summed.

Each picture part is encoded once, to the project's size and rate with the settings every
part shares, into ``workdir`` under a name that is the hash of what it is made of. Each sound
part is mixed once, and the cut's sound is encoded to AAC in chunks of ~20 s that join by stream
copy frame for frame as one encode would (:mod:`previz.media.soundtrack`: no priming or drift
between chunks, picture and sound in sync over any length). The picture chain (parts) and the
sound chain (mixes, chunks) run side by side, each waiting on its own ffmpeg; building the
sequence then joins the picture parts and the sound chunks by copying their packets into an MP4
of our own (:mod:`previz.media.join`: ffmpeg's packets without ffmpeg's per-packet cost; ffmpeg
joins only parts that reader does not take). A one-shot change
therefore re-encodes only the parts that shot's frames are in and the sound chunk or two its
sound falls in. A failure in either chain is raised once both have stopped (the picture's
first, as it comes first in the cut; a failed picture stops the sound before its next ffmpeg
run), and leaves the sequence file as it was.

The output is a product with a key (the hash of all part keys and the settings), written into
the MP4's ``comment`` tag; when the key is unchanged the file is not touched at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from previz.errors import MediaError
from previz.media import soundtrack
from previz.media.encoding import AUDIO_CODEC_ARGS, CONTAINER_ARGS
from previz.media.ffmpeg import run_ffmpeg
from previz.media.files import replacing
from previz.media.join import JOIN, join_animatic
from previz.media.mp4 import Track, UnsupportedMovie, read_comment, read_track
from previz.media.parts import (
    SCHEME,
    Frame,
    PicturePart,
    SoundPart,
    SoundSource,
    Source,
    encode_picture,
    picture_key,
    sound_key,
)
from previz.media.soundtrack import encode_chunks, encode_soundtrack
from previz.media.tables import TableMemo
from previz.timebase import exact_rate, rate_text

KEY_PREFIX = "previz-animatic:"

log = logging.getLogger(__name__)


@dataclass
class SequenceResult:
    """What building the sequence did: the file, whether it was rewritten, what was encoded."""

    path: Path
    key: str
    written: bool
    encoded: list[Path] = field(default_factory=list)


def build_sequence(
    pictures: Sequence[PicturePart],
    sounds: Sequence[SoundPart],
    dest: Path,
    *,
    ffmpeg: Path,
    width: int,
    height: int,
    fps: float | Fraction,
    workdir: Path,
    font: Path | None = None,
) -> SequenceResult:
    """Write ``dest`` from the parts, or leave it untouched when it already holds this cut.

    With ``font``, each part burns in the record timecode of its frames (``PicturePart.record``).
    """
    if not pictures or sum(p.frames for p in pictures) < 1:
        raise MediaError("nothing to join: the cut has no frames", path=dest)
    frame = Frame(width, height, exact_rate(fps), font)
    keys = [picture_key(part, frame) for part in pictures]
    sound_keys = [sound_key(part) for part in sounds]
    key = _product_key(keys, sound_keys, frame)
    if read_product_key(dest) == key:
        return SequenceResult(dest, key, written=False)
    video_dir, sound_dir = workdir / "picture", workdir / "sound"
    for folder in (video_dir, sound_dir):
        folder.mkdir(parents=True, exist_ok=True)
    # Each animatic keeps its own memos of the work files' tables (the work folder is shared
    # by a project's scenes, and a memo keeps only the files of the build that wrote it).
    tag = memo_tag(dest)
    with replacing(dest) as temp:
        # The sound chain (mix, encode chunks) runs in a thread beside the picture chain
        # (encode parts): each mostly waits on its own ffmpeg. Leaving the
        # block waits for the sound whatever happened, so nothing runs on after a failure.
        stop = threading.Event()  # set when the picture fails: the sound stops early
        with ThreadPoolExecutor(1, thread_name_prefix="previz-sound") as pool:
            sound = pool.submit(
                encode_soundtrack, sounds, sound_keys, None, sound_dir,
                ffmpeg=ffmpeg, stop=stop, memo=workdir / f"soundtrack-{tag}.tables",
            )  # fmt: skip
            try:
                files, encoded = _picture(pictures, keys, frame, workdir, ffmpeg)
            except BaseException:
                stop.set()
                raise
        track = sound.result()  # the picture's failure, if any, came first
        _mux(files, track, temp, key, ffmpeg=ffmpeg, tables=workdir / f"picture-{tag}.tables")
    return SequenceResult(dest, key, written=True, encoded=[*encoded, *track.encoded])


def encode_parts(
    pictures: Sequence[PicturePart],
    sounds: Sequence[SoundPart],
    frame: Frame,
    workdir: Path,
    *,
    ffmpeg: Path,
) -> list[Path]:
    """Encode the picture parts, sound mixes and sound chunks of a cut that ``workdir`` does
    not hold yet, without joining anything; the files made. ``sounds`` empty: no sound at
    all; else every sound part of the cut, for the chunks' keys.

    A build does it for the parts it foresees while it assembles the cut
    (:mod:`previz.timeline.ahead`), on the core the assembling leaves idle: so one ffmpeg at
    a time, the sound first (its mix and chunk take longest), where :func:`build_sequence`
    runs both chains at once."""
    made: list[Path] = []
    if sounds:
        sound_dir = workdir / "sound"
        sound_dir.mkdir(parents=True, exist_ok=True)
        keys = [sound_key(part) for part in sounds]
        made += encode_chunks(sounds, keys, sound_dir, ffmpeg=ffmpeg)[1]
    if pictures:
        (workdir / "picture").mkdir(parents=True, exist_ok=True)
        keys = [picture_key(part, frame) for part in pictures]
        made += _picture(pictures, keys, frame, workdir, ffmpeg)[1]
    return made


def memo_tag(dest: Path) -> str:
    """What names the memos kept for the animatic ``dest`` in the work folder it shares with
    the project's other scenes (a memo keeps only the files of the build that wrote it)."""
    return hashlib.blake2b(str(dest.absolute()).encode(), digest_size=8).hexdigest()


def _picture(
    pictures: Sequence[PicturePart],
    keys: list[str],
    frame: Frame,
    workdir: Path,
    ffmpeg: Path,
) -> tuple[list[Path], list[Path]]:
    """The cut's picture parts in order, and those encoded now (the missing ones)."""
    encoded: list[Path] = []
    files = []
    for part, part_key in zip(pictures, keys, strict=True):
        path = workdir / "picture" / f"{part_key}.mp4"
        if not path.exists():
            encode_picture(part, path, frame, ffmpeg=ffmpeg)
            encoded.append(path)
        files.append(path)
    return files, encoded


def _product_key(pictures: list[str], sounds: list[str], frame: Frame) -> str:
    text = json.dumps(
        {"scheme": SCHEME, "pictures": pictures, "sounds": sounds, "rate": rate_text(frame.fps),
         "audio": AUDIO_CODEC_ARGS, "soundtrack": soundtrack.SCHEME, "container": CONTAINER_ARGS,
         "join": JOIN},
        sort_keys=True,
    )  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_product_key(path: Path) -> str | None:
    """The key a sequence file was written for, or None (no file, not ours, unreadable)."""
    if not path.is_file():
        return None
    comment = read_comment(path) or ""
    return comment[len(KEY_PREFIX) :] if comment.startswith(KEY_PREFIX) else None


def _mux(
    parts: list[Path],
    track: soundtrack.Soundtrack,
    dest: Path,
    key: str,
    *,
    ffmpeg: Path,
    tables: Path,
) -> None:
    """Join the picture parts and the sound into ``dest``: by copying their packets into a
    movie of our own (:mod:`previz.media.join`; the parts' sample tables from the memo
    ``tables`` while a part is the same file), or with ffmpeg for a part that reader does not
    take (the same packets, ~0.3 s more for a 200-shot cut)."""
    memo = TableMemo(tables, Track)
    try:
        join_animatic(
            parts, track, dest, comment=KEY_PREFIX + key,
            read=lambda path: memo.read(path, lambda: read_track(path)),
        )  # fmt: skip
        memo.save()
    except UnsupportedMovie as error:
        log.info("joining the animatic with ffmpeg: %s", error)
        _mux_with_ffmpeg(parts, track, dest, key, ffmpeg=ffmpeg)
    except OSError as error:
        raise MediaError(f"cannot join the animatic: {error}", path=dest) from error


def _mux_with_ffmpeg(
    parts: list[Path], track: soundtrack.Soundtrack, dest: Path, key: str, *, ffmpeg: Path
) -> None:
    audio = dest.with_name(dest.name + ".aac")
    with _listing(parts, dest) as listing, _removed(audio):
        track.write_adts(audio)
        run_ffmpeg(
            [
                "-y",
                # the parts share one encoder setup, so their packets follow each other as they are
                "-f", "concat", "-safe", "0", "-auto_convert", "0", "-i", str(listing),
                "-f", "aac", "-i", str(audio),
                "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
                *soundtrack.copy_args(track), *CONTAINER_ARGS,
                "-metadata", f"comment={KEY_PREFIX}{key}",
                "-f", "mp4", str(dest),
            ],
            ffmpeg=ffmpeg,
            dest=dest,
        )  # fmt: skip


@contextlib.contextmanager
def _listing(parts: list[Path], beside: Path) -> Iterator[Path]:
    """A concat demuxer script naming ``parts``, next to ``beside``, removed afterwards."""
    listing = beside.with_name(beside.name + ".txt")
    try:
        listing.write_text(
            "".join(f"file '{_concat_quote(path.resolve())}'\n" for path in parts), "utf-8"
        )
        yield listing
    finally:
        listing.unlink(missing_ok=True)


@contextlib.contextmanager
def _removed(path: Path) -> Iterator[None]:
    """Remove ``path`` (if it was made) when the block ends, whatever happened."""
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _concat_quote(path: Path) -> str:
    """A path inside single quotes as the concat demuxer reads them."""
    return str(path).replace("'", "'\\''")


__all__ = [
    "Frame",
    "PicturePart",
    "SequenceResult",
    "SoundPart",
    "SoundSource",
    "Source",
    "build_sequence",
    "encode_parts",
    "memo_tag",
    "read_product_key",
]
