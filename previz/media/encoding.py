"""The one set of encoder settings every previz clip and sequence is written with.

Clips made with the same settings can be joined without re-encoding, so the animatic backend
and the re-encoding path of concatenation share these. The settings are chosen for
reproducible bytes: x264 on one thread (its output depends on the thread count, so a fixed
count makes a clip identical on every machine), bit-exact muxing, no metadata that varies.
"""

from __future__ import annotations

from fractions import Fraction

from previz.timebase import exact_rate, frames_in, rate_text, samples_at

SAMPLE_RATE = 48_000
CHANNELS = 2
PIX_FMT = "yuv420p"

VIDEO_CODEC_ARGS: tuple[str, ...] = (
    "-c:v", "libx264",
    "-preset", "veryfast",
    "-crf", "20",
    "-pix_fmt", PIX_FMT,
    "-threads:v", "1",
    "-flags:v", "+bitexact",
)  # fmt: skip

AUDIO_CODEC_ARGS: tuple[str, ...] = (
    "-c:a", "aac",
    "-b:a", "160k",
    "-ar", str(SAMPLE_RATE),
    "-ac", str(CHANNELS),
    "-flags:a", "+bitexact",
)  # fmt: skip

CONTAINER_ARGS: tuple[str, ...] = (
    "-map_metadata", "-1",
    "-map_chapters", "-1",
    "-fflags", "+bitexact",
    "-movflags", "+faststart",
)  # fmt: skip


def exact_fps(fps: float | Fraction) -> Fraction:
    """The exact rate a project means: 23.976 → 24000/1001, 29.97 → 30000/1001, 24 → 24."""
    return exact_rate(fps)


def frame_count(seconds: float | Fraction, fps: float | Fraction) -> int:
    """Whole frames in ``seconds`` at ``fps`` (the one rule: exact rationals, half up)."""
    return frames_in(seconds, fps)


def sample_count(frames: int, fps: float | Fraction) -> int:
    """Audio samples that last exactly as long as ``frames`` video frames (nearest sample)."""
    return samples_at(frames, fps, SAMPLE_RATE)


def rate_arg(fps: float | Fraction) -> str:
    """``fps`` as ffmpeg writes a rational rate: ``24``, ``24000/1001``."""
    return rate_text(fps)
