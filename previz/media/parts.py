"""Parts of a sequence: what each is made of (its key) and how it is encoded once.

A picture part is a run of frames of one source, or a dissolve between two (either side may be
black: a fade). It is encoded video-only at the project's size and rate with the settings every
part shares, so parts join by stream copy. A sound part is a run of samples where some sources
are summed; it is mixed to raw 32-bit float PCM, which joins by plain byte concatenation,
sample-exact. A part's key hashes everything that changes its bytes: the sources' content keys
and start points, its length, the frame, the rate and the encoder settings.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from previz.errors import MediaError
from previz.media.encoding import CONTAINER_ARGS, PIX_FMT, SAMPLE_RATE, VIDEO_CODEC_ARGS
from previz.media.ffmpeg import run_ffmpeg
from previz.media.files import replacing
from previz.timebase import rate_text, timecode

SCHEME = "sequence-1"  # raise when the way parts are drawn or mixed changes
BYTES_PER_SAMPLE = 8  # stereo 32-bit float
_PCM_TAGS = (0x0001, 0x0003)  # WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT
_EXTENSIBLE = 0xFFFE  # WAVE_FORMAT_EXTENSIBLE: the format is in its SubFormat


@dataclass(frozen=True)
class Frame:
    """The project's picture: size and exact rate, and the typeface record timecode is drawn in
    (no burn-in without one)."""

    width: int
    height: int
    fps: Fraction
    font: Path | None = None


@dataclass(frozen=True)
class Source:
    """A media file, its content identity, and where in it a part starts (frame or sample)."""

    path: Path
    key: str
    start: int = 0


@dataclass(frozen=True)
class PicturePart:
    """``frames`` frames of ``source`` (black when None); with ``dissolve``, a dissolve from
    ``source`` into ``into`` over those frames (a fade when either side is black)."""

    frames: int
    source: Source | None
    into: Source | None = None
    dissolve: bool = False
    shot_id: str = ""
    record: int | None = None  # record frame (from 00:00:00:00) of the first frame: burnt in


@dataclass(frozen=True)
class SoundSource:
    """A sound file placed in a sound part: ``at`` samples in, from sample ``source.start``."""

    source: Source
    at: int
    samples: int


@dataclass(frozen=True)
class SoundPart:
    """``samples`` samples where every source is summed at unity (silence where none plays)."""

    samples: int
    sources: tuple[SoundSource, ...] = ()
    shot_id: str = ""


def _hash(facts: dict[str, Any]) -> str:
    text = json.dumps({"scheme": SCHEME, **facts}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _identity(source: Source | None) -> list[Any] | None:
    return None if source is None else [source.key, source.start]


def picture_key(part: PicturePart, frame: Frame) -> str:
    """The content key of a picture part in ``frame``."""
    return _hash(
        {"frames": part.frames, "source": _identity(part.source), "into": _identity(part.into),
         "dissolve": part.dissolve, "size": [frame.width, frame.height],
         "record": part.record if frame.font is not None else None,
         "rate": rate_text(frame.fps), "video": VIDEO_CODEC_ARGS}
    )  # fmt: skip


def sound_key(part: SoundPart) -> str:
    """The content key of a sound part."""
    sources = [[s.source.key, s.source.start, s.at, s.samples] for s in part.sources]
    return _hash({"samples": part.samples, "sources": sources, "rate": SAMPLE_RATE})


def _chain(index: int, source: Source | None, frames: int, frame: Frame) -> str:
    """Filters bringing input ``index`` to ``frames`` frames of the project's picture."""
    rate = rate_text(frame.fps)
    w, h = frame.width, frame.height
    start = 0 if source is None else source.start
    steps = [] if source is None else [f"fps={rate}"]
    steps += [
        f"trim=start_frame={start}:end_frame={start + frames}",
        "setpts=PTS-STARTPTS",
        f"scale={w}:{h}:force_original_aspect_ratio=decrease",
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2",
        "setsar=1",
        f"format={PIX_FMT}",
    ]
    return f"[{index}:v]" + ",".join(steps) + f"[v{index}]"


def _input(source: Source | None, frames: int, frame: Frame) -> list[str]:
    if source is not None:
        return ["-i", str(source.path)]
    black = f"color=c=black:s={frame.width}x{frame.height}:r={rate_text(frame.fps)}"
    return ["-f", "lavfi", "-i", black]


def encode_picture(part: PicturePart, dest: Path, frame: Frame, *, ffmpeg: Path) -> None:
    """Encode ``part`` into ``dest``: exactly its frames, video only."""
    sides = [part.source, part.into] if part.dissolve else [part.source]
    inputs = [arg for side in sides for arg in _input(side, part.frames, frame)]
    graph = [_chain(i, side, part.frames, frame) for i, side in enumerate(sides)]
    out = "[v0]"
    if part.dissolve:
        seconds = float(part.frames / frame.fps)
        graph.append(f"[v0][v1]xfade=transition=fade:duration={seconds:.6f}:offset=0[mix]")
        out = "[mix]"
    if part.record is not None and frame.font is not None:
        graph.append(f"{out}{_record_burn_in(part.record, frame)}[rec]")
        out = "[rec]"
    with replacing(dest, shot_id=part.shot_id or None) as temp:
        run_ffmpeg(
            ["-y", *inputs, "-filter_complex", ";".join(graph), "-map", out,
             "-frames:v", str(part.frames), "-r", rate_text(frame.fps), "-an",
             *VIDEO_CODEC_ARGS, *CONTAINER_ARGS, "-f", "mp4", str(temp)],
            ffmpeg=ffmpeg,
            shot_id=part.shot_id or None,
            dest=dest,
        )  # fmt: skip


def _record_burn_in(record: int, frame: Frame) -> str:
    """drawtext running the record timecode (non-drop) from ``record``, bottom left, boxed."""
    start = timecode(record, frame.fps).replace(":", "\\:")
    size = max(8, frame.height // 24)
    font = str(frame.font).replace("\\", "/").replace("'", "")
    return (
        f"drawtext=fontfile='{font}':timecode='{start}':timecode_rate={rate_text(frame.fps)}:"
        f"fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw={size // 4}:"
        f"x={size // 2}:y=h-th-{size // 2}"
    )


def _mix_sound(part: SoundPart, dest: Path, *, ffmpeg: Path) -> None:
    """Mix ``part`` to raw stereo float PCM of exactly ``part.samples`` samples."""
    inputs: list[str] = []
    graph: list[str] = []
    for index, placed in enumerate(part.sources):
        inputs += _sound_input(placed.source.path)
        start = placed.source.start
        graph.append(
            f"[{index}:a]aresample={SAMPLE_RATE},"
            "aformat=sample_fmts=flt:channel_layouts=stereo,"
            f"atrim=start_sample={start}:end_sample={start + placed.samples},"
            f"asetpts=PTS-STARTPTS,adelay={placed.at}S:all=1,"
            f"apad=whole_len={part.samples},atrim=end_sample={part.samples}[a{index}]"
        )
    labels = "".join(f"[a{i}]" for i in range(len(part.sources)))
    if len(part.sources) > 1:
        graph.append(f"{labels}amix=inputs={len(part.sources)}:normalize=0:duration=longest[mix]")
        out = "[mix]"
    else:
        out = "[a0]"
    with replacing(dest, shot_id=part.shot_id or None) as temp:
        run_ffmpeg(
            ["-y", *inputs, "-filter_complex", ";".join(graph), "-map", out,
             "-c:a", "pcm_f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-f", "f32le", str(temp)],
            ffmpeg=ffmpeg,
            shot_id=part.shot_id or None,
            dest=dest,
        )  # fmt: skip
    if dest.stat().st_size != part.samples * BYTES_PER_SAMPLE:
        dest.unlink(missing_ok=True)
        raise MediaError(
            f"the sound of shot {part.shot_id or '?'} did not mix to {part.samples} samples",
            path=dest,
        )


def stop_if_asked(stop: threading.Event | None) -> None:
    """Raise before another ffmpeg run once ``stop`` is set: whoever waits for this work has
    failed elsewhere (the sequence's picture) and will raise its own error."""
    if stop is not None and stop.is_set():
        raise MediaError("stopped: another part of the sequence failed")


def _sound_input(path: Path) -> list[str]:
    """ffmpeg's input arguments for a sound file.

    A plain PCM WAV (its ``fmt`` chunk first, as ffmpeg, the animatic backend and most tools
    write it) says everything about its samples in its header, so ffmpeg is told the format
    and to probe no further: otherwise it reads and decodes the first 5 MB of every stem
    before mixing (~12 ms each; four stems per shot). The samples are the same either way.
    Anything else is probed in full."""
    try:
        with path.open("rb") as file:
            head = file.read(46)
    except OSError:
        return ["-i", str(path)]  # ffmpeg reports what is wrong with it
    tag = int.from_bytes(head[20:22], "little")
    if tag == _EXTENSIBLE:  # the sample format is the first two bytes of its SubFormat GUID
        tag = int.from_bytes(head[44:46], "little") if len(head) == 46 else 0
    plain = head[:4] == b"RIFF" and head[8:16] == b"WAVEfmt " and tag in _PCM_TAGS
    return ["-f", "wav", "-probesize", "32", "-i", str(path)] if plain else ["-i", str(path)]


def mix_sound_parts(
    parts: Sequence[SoundPart],
    keys: Sequence[str],
    workdir: Path,
    *,
    ffmpeg: Path,
    stop: threading.Event | None = None,
) -> tuple[list[Path | None], list[Path]]:
    """Each part's mix as raw stereo float PCM in ``workdir`` (None for a silent part), and the
    parts mixed now (the others were already there). ``stop``: see :func:`stop_if_asked`."""
    blocks: list[Path | None] = []
    mixed: list[Path] = []
    for part, key in zip(parts, keys, strict=True):
        if not part.sources:
            blocks.append(None)
            continue
        block = workdir / f"{key}.f32"
        if not block.exists():
            stop_if_asked(stop)
            _mix_sound(part, block, ffmpeg=ffmpeg)
            mixed.append(block)
        blocks.append(block)
    return blocks, mixed
