"""The sequence animatic times out exactly like the cut, whatever the clips are."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from previz.media import extract_frame, find_ffmpeg, probe
from previz.media.sequence import Segment, build_sequence


def clip(dest: Path, *, seconds: float, size: str, audio: bool) -> Path:
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] if audio else []
    subprocess.run(
        [
            str(find_ffmpeg()),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"color=c=red:s={size}:r=24",
            *sound,
            "-t",
            str(seconds),
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            str(dest),
        ],
        check=True,
    )
    return dest


@pytest.fixture
def sequence(tmp_path: Path) -> Path:
    long_silent_small = clip(tmp_path / "a.mp4", seconds=3, size="160x90", audio=False)
    segments = [Segment("a", 1.0, long_silent_small), Segment("b", 0.5, None)]
    return build_sequence(
        segments,
        tmp_path / "seq.mp4",
        ffmpeg=find_ffmpeg(),
        width=320,
        height=180,
        fps=24,
        workdir=tmp_path / "work",
    )


def test_a_long_clip_is_trimmed_and_a_missing_one_is_a_slate(sequence: Path) -> None:
    assert probe(sequence).frames == 36


def test_every_part_is_brought_to_the_project_size_with_sound(sequence: Path) -> None:
    info = probe(sequence)
    assert (info.width, info.height, info.has_audio) == (320, 180, True)


def test_the_missing_shot_is_black(sequence: Path) -> None:
    red, _, _ = extract_frame(sequence, 0.5).convert("RGB").getpixel((160, 90))
    black = extract_frame(sequence, 1.25).convert("RGB").getpixel((160, 90))
    assert red > 200 and max(black) < 20
