"""The sequence is joined from conformed parts: exact frames, exact samples, parts reused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from previz.errors import MediaError
from previz.media import extract_frame, find_ffmpeg, probe
from previz.media.sequence import (
    PicturePart,
    SoundPart,
    SoundSource,
    Source,
    build_sequence,
    read_product_key,
)
from tests.wav import stereo_wav

RATE = 48_000


def clip(dest: Path, *, colour: str, seconds: float, size: str = "160x90", fps: str = "24") -> Path:
    subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"color=c={colour}:s={size}:r={fps}", "-t", str(seconds), "-pix_fmt", "yuv420p",
         "-c:v", "libx264", str(dest)],
        check=True,
    )  # fmt: skip
    return dest


def click_wav(dest: Path, *, at: int, samples: int) -> Path:
    """A stereo WAV of silence with one full-scale sample at ``at``."""
    return stereo_wav(dest, f"if(eq(n,{at}),0.9,0)", samples=samples, rate=RATE, codec="pcm_s16le")


def decoded_audio(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        chunks = [f.to_ndarray() for f in container.decode(audio=0)]
    return np.concatenate(chunks, axis=1)[0]


def colour_at(path: Path, seconds: float) -> tuple[int, int, int]:
    red, green, blue = extract_frame(path, seconds).convert("RGB").getpixel((80, 45))
    return red, green, blue


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Source]:
    red = clip(tmp_path / "red.mp4", colour="red", seconds=2)
    blue = clip(tmp_path / "blue.mp4", colour="blue", seconds=2, size="320x240")
    click = click_wav(tmp_path / "click.wav", at=100, samples=RATE)
    return {
        "red": Source(red, "red"),
        "blue": Source(blue, "blue"),
        "click": Source(click, "click"),
    }


def cut(sources: dict[str, Source]) -> tuple[list[PicturePart], list[SoundPart]]:
    """Fade in 6f to red (24f in all), dissolve 8f into blue (24f), a failed shot (12f)."""
    red, blue = sources["red"], sources["blue"]
    pictures = [
        PicturePart(6, None, red, dissolve=True, shot_id="a"),
        PicturePart(18, Source(red.path, red.key, 6), shot_id="a"),
        PicturePart(8, Source(red.path, red.key, 24), blue, dissolve=True, shot_id="b"),
        PicturePart(16, Source(blue.path, blue.key, 8), shot_id="b"),
        PicturePart(12, None, shot_id="c"),
    ]
    sounds = [
        SoundPart(RATE, (SoundSource(sources["click"], at=0, samples=RATE),), shot_id="a"),
        SoundPart(RATE, (SoundSource(sources["click"], at=2000, samples=RATE - 2000),), "b"),
        SoundPart(RATE // 2, (), shot_id="c"),
    ]
    return pictures, sounds


def build(tmp_path: Path, sources: dict[str, Source], name: str = "seq.mp4"):  # type: ignore[no-untyped-def]
    pictures, sounds = cut(sources)
    return build_sequence(
        pictures, sounds, tmp_path / name, ffmpeg=find_ffmpeg(), width=160, height=90, fps=24,
        workdir=tmp_path / "work",
    )  # fmt: skip


def test_the_sequence_has_exactly_the_cuts_frames_at_the_project_size(
    tmp_path: Path, sources: dict[str, Source]
) -> None:
    info = probe(build(tmp_path, sources).path)
    assert (info.frames, info.width, info.height) == (60, 160, 90)


def test_sound_is_as_long_as_the_picture_to_the_sample(
    tmp_path: Path, sources: dict[str, Source]
) -> None:
    path = build(tmp_path, sources).path
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.duration * stream.time_base == 2.5


def test_sound_sources_land_on_their_sample(tmp_path: Path, sources: dict[str, Source]) -> None:
    audio = decoded_audio(build(tmp_path, sources).path)
    peaks = np.flatnonzero(np.abs(audio) > 0.4)
    onsets = [int(p) for p in peaks if not np.any(np.abs(audio[max(0, p - 200) : p]) > 0.4)]
    assert [abs(o - e) <= 24 for o, e in zip(onsets, (100, RATE + 2100), strict=True)] == [
        True,
        True,
    ]


def test_a_fade_in_starts_from_black(tmp_path: Path, sources: dict[str, Source]) -> None:
    path = build(tmp_path, sources).path
    assert max(colour_at(path, 0.0)) < 40 and colour_at(path, 0.5)[0] > 200


def test_a_dissolve_shows_both_shots_halfway(tmp_path: Path, sources: dict[str, Source]) -> None:
    red, _, blue = colour_at(build(tmp_path, sources).path, (24 + 4) / 24)
    assert 60 < red < 200 and 60 < blue < 200


def test_a_shot_without_media_is_black(tmp_path: Path, sources: dict[str, Source]) -> None:
    assert max(colour_at(build(tmp_path, sources).path, 2.3)) < 20


def test_an_unchanged_cut_leaves_the_file_untouched(
    tmp_path: Path, sources: dict[str, Source]
) -> None:
    first = build(tmp_path, sources)
    before = first.path.stat()
    again = build(tmp_path, sources)
    after = again.path.stat()
    assert not again.written
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_a_second_sequence_of_the_same_parts_encodes_nothing(
    tmp_path: Path, sources: dict[str, Source]
) -> None:
    build(tmp_path, sources)
    other = build(tmp_path, sources, name="other.mp4")
    assert other.written and other.encoded == []
    assert read_product_key(other.path) == other.key


def test_each_part_burns_in_the_record_timecode_of_its_frames(
    tmp_path: Path, sources: dict[str, Source]
) -> None:
    from previz.backends.animatic.fonts import TYPEFACE

    def corner(record: int, name: str) -> list[tuple[int, int, int]]:
        result = build_sequence(
            [PicturePart(12, sources["red"], record=record)], [SoundPart(24_000)],
            tmp_path / name, ffmpeg=find_ffmpeg(), width=160, height=90, fps=24,
            workdir=tmp_path / "work", font=TYPEFACE,
        )  # fmt: skip
        image = extract_frame(result.path, 0.25).convert("RGB")
        return [image.getpixel((x, y)) for x in range(2, 60, 2) for y in range(78, 88, 2)]

    plain = extract_frame(sources["red"].path, 0.25).convert("RGB").getpixel((10, 84))
    at_hour, later = corner(86_400, "a.mp4"), corner(86_400 + 3_000, "b.mp4")
    assert plain not in at_hour[:3] and at_hour != later  # lettered, and by its own time


def wrapped_ffmpeg(folder: Path, *, fail: str = "", slow: str = "") -> Path:
    """The real ffmpeg behind a script that makes runs writing into a folder named ``slow``
    half a second late, and fails runs writing into a folder named ``fail``."""
    script = folder / "ffmpeg-wrapper"
    script.write_text(
        "#!/bin/sh\nfor out; do :; done\n"
        f'case "$out" in */{slow or "-"}/*) sleep 0.5;; esac\n'
        f'case "$out" in */{fail or "-"}/*) echo "refused: $out" >&2; exit 1;; esac\n'
        f'exec "{find_ffmpeg()}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def build_with(tmp_path: Path, sources: dict[str, Source], ffmpeg: Path):  # type: ignore[no-untyped-def]
    pictures, sounds = cut(sources)
    return build_sequence(
        pictures, sounds, tmp_path / "seq.mp4", ffmpeg=ffmpeg, width=160, height=90, fps=24,
        workdir=tmp_path / "work",
    )  # fmt: skip


def test_what_was_encoded_is_listed_picture_first_then_sound(
    tmp_path: Path, sources: dict[str, Source]
) -> None:
    slow_picture = wrapped_ffmpeg(tmp_path, slow="picture")  # the sound chain finishes first
    folders = [p.parent.name for p in build_with(tmp_path, sources, slow_picture).encoded]
    assert folders == ["picture"] * 5 + ["sound"] * 2 + ["soundtrack"]


def test_a_failed_sound_mix_fails_the_sequence_and_writes_no_file(
    tmp_path: Path, sources: dict[str, Source]
) -> None:
    with pytest.raises(MediaError, match="refused") as caught:
        build_with(tmp_path, sources, wrapped_ffmpeg(tmp_path, fail="sound"))
    assert caught.value.path is not None and caught.value.path.parent.name == "sound"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "blue.mp4", "click.wav", "ffmpeg-wrapper", "red.mp4"]  # fmt: skip


def test_a_failed_picture_is_raised_after_the_sound_run_under_way_and_stops_the_next(
    tmp_path: Path, sources: dict[str, Source]
) -> None:
    ffmpeg = wrapped_ffmpeg(tmp_path, fail="picture", slow="sound")  # two mixes, 0.5 s each
    with pytest.raises(MediaError, match="refused") as caught:
        build_with(tmp_path, sources, ffmpeg)
    assert caught.value.path is not None and caught.value.path.parent.name == "picture"
    work = tmp_path / "work"
    mixes = sorted(p.name for p in (work / "sound").iterdir())
    assert len(mixes) == 1 and not mixes[0].startswith(".")  # the one under way, finished
    assert not (work / "soundtrack").exists() or not list((work / "soundtrack").iterdir())
    assert not (tmp_path / "seq.mp4").exists()


def test_when_both_chains_fail_the_pictures_failure_is_the_one_reported(
    tmp_path: Path, sources: dict[str, Source]
) -> None:
    ffmpeg = wrapped_ffmpeg(tmp_path, fail="picture/*|*/sound", slow="picture")
    with pytest.raises(MediaError, match="refused") as caught:
        build_with(tmp_path, sources, ffmpeg)
    assert caught.value.path is not None and caught.value.path.parent.name == "picture"
