"""A head trim (``clip_in``) starts the shot later in its take: in the timeline and the animatic."""

from __future__ import annotations

import subprocess
from pathlib import Path

from previz.backends.base import Clip
from previz.media import extract_frame, find_ffmpeg, probe
from previz.media.sequence import PicturePart, SoundPart, Source, build_sequence
from previz.shotlist.loader import load
from previz.timeline import assemble
from tests.scene_text import MINIMAL


def red_then_blue(dest: Path, *, red_seconds: float, seconds: float) -> Path:
    """A clip that is red for ``red_seconds``, then blue."""
    subprocess.run(
        [
            str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi",
            "-i", f"color=c=black:s=64x36:r=24:d={seconds}",
            "-vf", f"format=rgb24,geq=r='if(lt(T,{red_seconds}),255,0)':g=0:"
            f"b='if(lt(T,{red_seconds}),0,255)',format=yuv420p",
            "-c:v", "libx264", str(dest),
        ],
        check=True,
    )  # fmt: skip
    return dest


def test_the_timeline_takes_the_shot_from_clip_in(write_scene, tmp_path: Path) -> None:
    shotlist = load(write_scene(MINIMAL.replace("Ana waits.", "Ana waits.\n        clip_in: 6f")))
    media = red_then_blue(tmp_path / "s1.mp4", red_seconds=0.25, seconds=3)
    clip = Clip(
        shot_id="s1", take=1, path=media, duration=3.0, fps=24, width=64, height=36,
        has_audio=False, backend="animatic", model="card", prompt="p", template_hash="t",
        cache_key="v1-s1",
    )  # fmt: skip
    timeline = assemble(shotlist, {("s1", 1): clip})
    v1 = next(t for t in timeline.tracks if t.name == "V1")
    first = v1.find_clips()[0]
    assert (first.source_range.start_time.value, first.source_range.duration.value) == (6, 48)


def test_the_animatic_starts_the_shot_at_clip_in(tmp_path: Path) -> None:
    media = red_then_blue(tmp_path / "s1.mp4", red_seconds=0.25, seconds=2)
    sequence = build_sequence(
        [PicturePart(24, Source(media, "s1", start=6))],
        [SoundPart(48_000)],
        tmp_path / "seq.mp4",
        ffmpeg=find_ffmpeg(),
        width=64,
        height=36,
        fps=24,
        workdir=tmp_path / "work",
    )
    red, _, blue = extract_frame(sequence.path, 0.0).convert("RGB").getpixel((32, 18))
    assert blue > 200 and red < 60
    assert probe(sequence.path).frames == 24
