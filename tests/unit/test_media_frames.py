"""Pulling single frames out of clips."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

from previz.media import extract_frame, last_frame
from previz.media.encoding import CONTAINER_ARGS, VIDEO_CODEC_ARGS
from tests.unit.media_fixtures import ffmpeg_bin

__all__ = ["ffmpeg_bin"]


def _red_then_blue(ffmpeg: Path, dest: Path) -> Path:
    graph = "color=c=red:s=64x64:r=24:d=1[a];color=c=blue:s=64x64:r=24:d=1[b];[a][b]concat"
    subprocess.run(
        [str(ffmpeg), "-v", "error", "-y", "-filter_complex", graph,
         *VIDEO_CODEC_ARGS, *CONTAINER_ARGS, str(dest)],
        check=True,
    )  # fmt: skip
    return dest


def _dominant(image: Image.Image) -> str:
    r, _, b = image.convert("RGB").getpixel((32, 32))
    return "red" if r > b else "blue"


def test_frame_at_a_moment_is_the_one_on_screen(tmp_path: Path, ffmpeg_bin: Path) -> None:
    clip = _red_then_blue(ffmpeg_bin, tmp_path / "c.mp4")
    assert _dominant(extract_frame(clip, 0.95)) == "red"
    assert _dominant(extract_frame(clip, 1.05)) == "blue"


def test_last_frame_is_written_as_png(tmp_path: Path, ffmpeg_bin: Path) -> None:
    clip = _red_then_blue(ffmpeg_bin, tmp_path / "c.mp4")
    png = last_frame(clip, tmp_path / "last.png")
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert _dominant(image) == "blue"
