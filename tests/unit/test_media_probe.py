"""Probing media through PyAV: exact rates, frame counts, sizes, audio."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from previz.errors import MediaError
from previz.media import probe
from tests.unit.media_fixtures import ffmpeg_bin, make_clip

__all__ = ["ffmpeg_bin"]


def test_ntsc_rate_is_an_exact_rational(tmp_path: Path, ffmpeg_bin: Path) -> None:
    clip = make_clip(ffmpeg_bin, tmp_path / "a.mp4", seconds=1.001, rate="24000/1001")
    info = probe(clip)
    assert info.fps == Fraction(24000, 1001)
    assert info.frames == 24


def test_size_codecs_and_audio_are_reported(tmp_path: Path, ffmpeg_bin: Path) -> None:
    info = probe(make_clip(ffmpeg_bin, tmp_path / "a.mp4", size="256x144"))
    assert (info.width, info.height, info.video_codec, info.pix_fmt) == (
        256,
        144,
        "h264",
        "yuv420p",
    )
    assert info.has_audio and info.audio_codec == "aac"
    assert (info.audio_sample_rate, info.audio_channels) == (48000, 2)


def test_clip_without_sound_has_no_audio(tmp_path: Path, ffmpeg_bin: Path) -> None:
    info = probe(make_clip(ffmpeg_bin, tmp_path / "a.mp4", audio=False))
    assert not info.has_audio and info.audio_duration is None


def test_missing_file_is_a_media_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as caught:
        probe(tmp_path / "gone.mp4")
    assert caught.value.path == tmp_path / "gone.mp4"
