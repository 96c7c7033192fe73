"""Joining clips: packets copied when the clips match, one re-encode when they don't."""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import pytest

from previz.errors import MediaError
from previz.media import concat_clips, probe
from tests.unit.media_fixtures import ffmpeg_bin, make_clip

__all__ = ["ffmpeg_bin"]


def _video_packets(path: Path) -> list[str]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [hashlib.sha256(bytes(p)).hexdigest() for p in container.demux(stream) if p.size]


def test_matching_clips_are_joined_packet_for_packet(tmp_path: Path, ffmpeg_bin: Path) -> None:
    first = make_clip(ffmpeg_bin, tmp_path / "a.mp4", source="testsrc2")
    second = make_clip(ffmpeg_bin, tmp_path / "b.mp4", source="testsrc")
    joined = concat_clips([first, second], tmp_path / "seq.mp4", ffmpeg=ffmpeg_bin)
    assert _video_packets(joined) == _video_packets(first) + _video_packets(second)


def test_joined_sequence_keeps_sound_in_step(tmp_path: Path, ffmpeg_bin: Path) -> None:
    clips = [make_clip(ffmpeg_bin, tmp_path / f"{n}.mp4", seconds=0.5) for n in range(4)]
    info = probe(concat_clips(clips, tmp_path / "seq.mp4", ffmpeg=ffmpeg_bin))
    assert info.frames == 48
    assert info.audio_duration == pytest.approx(2.0, abs=0.03)


def test_clips_of_different_sizes_are_reencoded_to_the_first(
    tmp_path: Path, ffmpeg_bin: Path
) -> None:
    first = make_clip(ffmpeg_bin, tmp_path / "a.mp4", size="320x180")
    other = make_clip(ffmpeg_bin, tmp_path / "b.mp4", size="256x256")
    joined = concat_clips([first, other], tmp_path / "seq.mp4", ffmpeg=ffmpeg_bin)
    info = probe(joined)
    assert (info.width, info.height, info.frames) == (320, 180, 24)
    assert _video_packets(joined)[:12] != _video_packets(first)


def test_a_clip_without_sound_gets_silence_in_the_join(tmp_path: Path, ffmpeg_bin: Path) -> None:
    first = make_clip(ffmpeg_bin, tmp_path / "a.mp4")
    mute = make_clip(ffmpeg_bin, tmp_path / "b.mp4", audio=False)
    info = probe(concat_clips([first, mute], tmp_path / "seq.mp4", ffmpeg=ffmpeg_bin))
    assert info.has_audio
    assert info.audio_duration == pytest.approx(1.0, abs=0.05)


def test_failed_join_leaves_the_old_sequence_and_no_temp_file(
    tmp_path: Path, ffmpeg_bin: Path
) -> None:
    dest = tmp_path / "seq.mp4"
    dest.write_bytes(b"previous cut")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    with pytest.raises(MediaError):
        concat_clips([make_clip(ffmpeg_bin, tmp_path / "a.mp4"), broken], dest, ffmpeg=ffmpeg_bin)
    assert dest.read_bytes() == b"previous cut"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "broken.mp4", "seq.mp4"]
