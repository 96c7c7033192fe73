"""The sequence animatic: every shot's selected take, trimmed to the shot, joined into one MP4.

A generated clip may be longer than its shot (services generate at fixed lengths; the rest is
handle) and a failed shot has no clip at all. The sequence still has to time out exactly like
the cut, so long clips are trimmed to the shot and missing shots become black slates of the
right length, then everything is joined by :func:`~previz.media.concat.concat_clips`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from previz.media.concat import concat_clips
from previz.media.encoding import (
    AUDIO_CODEC_ARGS,
    CONTAINER_ARGS,
    VIDEO_CODEC_ARGS,
    frame_count,
    rate_arg,
)
from previz.media.ffmpeg import run_ffmpeg
from previz.media.files import replacing
from previz.media.probe import probe


@dataclass(frozen=True)
class Segment:
    """One shot of the sequence: its clip (None when it failed) and its length in the cut."""

    shot_id: str
    seconds: float
    clip: Path | None
    clip_in: float = 0.0  # where in the clip the shot starts (a head trim in the edit)


def build_sequence(
    segments: Sequence[Segment],
    dest: Path,
    *,
    ffmpeg: Path,
    width: int,
    height: int,
    fps: float | Fraction,
    workdir: Path,
) -> Path:
    """Write ``dest``: the segments in order, each exactly its shot's number of frames."""
    workdir.mkdir(parents=True, exist_ok=True)
    parts = [
        _fit(segment, ffmpeg=ffmpeg, width=width, height=height, fps=fps, workdir=workdir)
        for segment in segments
    ]
    return concat_clips(parts, dest, ffmpeg=ffmpeg)


def _fit(
    segment: Segment, *, ffmpeg: Path, width: int, height: int, fps: float | Fraction, workdir: Path
) -> Path:
    frames = frame_count(segment.seconds, fps)
    if segment.clip is None:
        black = [
            "-f",
            "lavfi",
            "-i",
            f"color=c=black:s={width}x{height}:r={rate_arg(fps)}",
            "-f",
            "lavfi",
            "-i",
            _SILENCE,
        ]
        return _encode(segment, "missing", black, frames, fps=fps, ffmpeg=ffmpeg, workdir=workdir)
    info = probe(segment.clip)
    fits = info.frames == frames and info.has_audio and (info.width, info.height) == (width, height)
    if fits and segment.clip_in == 0:
        return segment.clip
    # from clip_in, exactly the shot's frames, at the project's size and rate, with sound
    audio = [] if info.has_audio else ["-f", "lavfi", "-i", _SILENCE]
    seek = ["-ss", f"{segment.clip_in:.6f}"] if segment.clip_in else []
    inputs = [
        *seek,
        "-i",
        str(segment.clip),
        *audio,
        "-map",
        "0:v:0",
        "-map",
        "0:a:0" if info.has_audio else "1:a:0",
        "-vf",
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1",
        "-r",
        rate_arg(fps),
    ]
    return _encode(segment, "trim", inputs, frames, fps=fps, ffmpeg=ffmpeg, workdir=workdir)


_SILENCE = "anullsrc=channel_layout=stereo:sample_rate=48000"


def _encode(
    segment: Segment,
    kind: str,
    inputs: list[str],
    frames: int,
    *,
    fps: float | Fraction,
    ffmpeg: Path,
    workdir: Path,
) -> Path:
    """Encode ``inputs`` to exactly ``frames`` frames with the settings every clip shares."""
    dest = workdir / f"{segment.shot_id}.{kind}.mp4"
    seconds = f"{float(frames / Fraction(rate_arg(fps))):.6f}"
    with replacing(dest, shot_id=segment.shot_id) as tmp:
        run_ffmpeg(
            [
                "-y",
                *inputs,
                "-frames:v",
                str(frames),
                "-af",
                f"apad,atrim=0:{seconds}",
                "-t",
                seconds,
                *VIDEO_CODEC_ARGS,
                *AUDIO_CODEC_ARGS,
                *CONTAINER_ARGS,
                "-f",
                "mp4",
                str(tmp),
            ],
            ffmpeg=ffmpeg,
            shot_id=segment.shot_id,
        )
    return dest
