"""The animatic joined by our own MP4 writer holds exactly the packets ffmpeg's join makes.

For each cut the parts and the chunked soundtrack are made once with the real ffmpeg; the
animatic is then joined both ways — :func:`join_animatic` and ffmpeg's concat demuxer with
stream copy (the fallback, :func:`_mux_with_ffmpeg`) — and the two files are demuxed by PyAV:
every packet's bytes, pts, dts, duration and keyframe flag per stream, and the durations the
containers declare, must be equal; ffmpeg must decode ours without a word.
"""

from __future__ import annotations

import logging
import os
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import pytest

from previz.errors import MediaError
from previz.media import find_ffmpeg, movie
from previz.media.encoding import VIDEO_CODEC_ARGS, sample_count
from previz.media.join import join_animatic, picture_samples
from previz.media.movie import write_movie
from previz.media.mp4 import UnsupportedMovie, read_track
from previz.media.parts import (
    Frame,
    PicturePart,
    SoundPart,
    SoundSource,
    Source,
    encode_picture,
    picture_key,
    sound_key,
)
from previz.media.sequence import _mux_with_ffmpeg, build_sequence, read_product_key
from previz.media.soundtrack import Soundtrack, encode_soundtrack
from tests.wav import stereo_wav

RATES = ["24", "25", "24000/1001", "30000/1001"]
LENGTHS = (1, 2, 3, 5, 13, 24, 37, 2, 1, 61)  # frames: parts with and without B-frame delay

Packet = tuple[int | None, int | None, int | None, bool, bytes]


def packets(path: Path) -> dict[str, list[Packet]]:
    found: dict[str, list[Packet]] = {"video": [], "audio": []}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size:
                found[packet.stream.type].append(
                    (packet.pts, packet.dts, packet.duration, packet.is_keyframe, bytes(packet))
                )
    return found


def samples_as_read(path: Path) -> list[Packet]:
    """Each sample of the file's picture track as our reader gives it, in packets' terms."""
    track = read_track(path)
    data = path.read_bytes()
    return [
        (pts, dts, length, bool(key), data[at : at + size])
        for pts, dts, length, key, at, size in zip(
            track.pts, track.dts, track.durations, track.keys, track.offsets, track.sizes,
            strict=True,
        )
    ]  # fmt: skip


def declared(path: Path) -> list[Fraction | int | None]:
    """The durations the file declares: the movie's, and each stream's with its frames."""
    with av.open(str(path)) as container:
        facts: list[Fraction | int | None] = [container.duration]
        for stream in container.streams:
            facts += [stream.duration * stream.time_base if stream.duration else None]
            facts += [stream.frames]
        return facts


def decode_errors(path: Path) -> str:
    run = subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return run.stderr


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Source:
    folder = tmp_path_factory.mktemp("tone")
    wav = stereo_wav(folder / "tone.wav", "0.2*sin(2*PI*330*t)", samples=48_000 * 12,
                     rate=48_000, codec="pcm_s16le")  # fmt: skip
    return Source(wav, "tone")


def colour(folder: Path, name: str, rate: str) -> Source:
    path = folder / f"{name}.mp4"
    subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"color=c={name}:s=64x36:r={rate}", "-t", "3", "-pix_fmt", "yuv420p",
         "-c:v", "libx264", str(path)],
        check=True,
    )  # fmt: skip
    return Source(path, name)


def make_parts(folder: Path, rate: str, lengths: tuple[int, ...]) -> list[Path]:
    """The parts of a cut at ``rate``: a fade in from black, plain frames of red and of black,
    a dissolve red to blue and a fade out, in the lengths given (cycled)."""
    red, blue = colour(folder, "red", rate), colour(folder, "blue", rate)
    frame = Frame(64, 36, Fraction(rate))
    shapes = [
        lambda n: PicturePart(n, None, red, dissolve=True),
        lambda n: PicturePart(n, Source(red.path, red.key, 3)),
        lambda n: PicturePart(n, None),
        lambda n: PicturePart(n, Source(red.path, red.key, 5), blue, dissolve=True),
        lambda n: PicturePart(n, blue, None, dissolve=True),
    ]
    paths = []
    for index, length in enumerate(lengths):
        part = shapes[index % len(shapes)](length)
        path = folder / f"{picture_key(part, frame)}.mp4"
        if not path.exists():
            encode_picture(part, path, frame, ffmpeg=find_ffmpeg())
        paths.append(path)
    return paths


def make_sound(
    folder: Path, tone: Source, frames: int, rate: str, chunk_frames: int = 8
) -> Soundtrack:
    """The cut's sound (a tone, then silence) in chunks of 8 AAC frames unless told: every
    shot's sound straddles chunks."""
    samples = sample_count(frames, Fraction(rate))
    half = samples // 2
    parts = [
        SoundPart(half, (SoundSource(tone, at=100, samples=half - 100),)),
        SoundPart(samples - half, ()),
    ]
    work = folder / "sound"
    work.mkdir(exist_ok=True)
    return encode_soundtrack(parts, [sound_key(p) for p in parts], folder / "cut.aac", work,
                             ffmpeg=find_ffmpeg(), chunk_frames=chunk_frames)  # fmt: skip


def frames_of(parts: list[Path]) -> int:
    return sum(len(read_track(path).sizes) for path in parts)


def both_ways(folder: Path, parts: list[Path], track: Soundtrack) -> tuple[Path, Path]:
    ours, theirs = folder / "ours.mp4", folder / "ffmpeg.mp4"
    join_animatic(parts, track, ours, comment="previz-animatic:test")
    _mux_with_ffmpeg(parts, track, theirs, "test", ffmpeg=find_ffmpeg())
    return ours, theirs


@pytest.mark.parametrize("rate", RATES)
def test_the_joined_animatic_has_ffmpegs_packets_and_durations(
    tmp_path: Path, tone: Source, rate: str
) -> None:
    parts = make_parts(tmp_path, rate, LENGTHS)
    ours, theirs = both_ways(tmp_path, parts, make_sound(tmp_path, tone, frames_of(parts), rate))
    assert packets(ours) == packets(theirs)
    assert declared(ours) == declared(theirs)
    assert decode_errors(ours) == ""


def test_a_cut_of_many_parts_keeps_ffmpegs_timing_to_the_end(tmp_path: Path, tone: Source) -> None:
    """240 parts at 29.97 (odd lengths: each part's microseconds round the same way). The
    picture's timing is the point here: the sound (~50 s) goes in chunks of 240 AAC frames,
    not 8 (~300 ffmpeg runs, most of this test's time)."""
    parts = make_parts(tmp_path, "30000/1001", (7, 1, 11)) * 80
    sound = make_sound(tmp_path, tone, frames_of(parts), "30000/1001", chunk_frames=240)
    ours, theirs = both_ways(tmp_path, parts, sound)
    assert packets(ours) == packets(theirs)
    assert declared(ours) == declared(theirs)


def test_a_one_part_cut_joins_like_ffmpeg(tmp_path: Path, tone: Source) -> None:
    parts = make_parts(tmp_path, "24", (1,))
    ours, theirs = both_ways(tmp_path, parts, make_sound(tmp_path, tone, 1, "24"))
    assert packets(ours) == packets(theirs)
    assert declared(ours) == declared(theirs)


def test_the_64_bit_layout_holds_ffmpegs_packets_and_durations(
    tmp_path: Path, tone: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the 32-bit limit forced down to 1000 the writer takes every 64-bit branch: co64
    chunk offsets, a 64-bit mdat header, version-1 mvhd/tkhd/mdhd/elst (a 24 fps movie at
    the sound's 48 kHz passes 2^32 in its timescale after ~47 minutes)."""
    parts = make_parts(tmp_path, "30000/1001", (5, 13, 24, 2))
    track = make_sound(tmp_path, tone, frames_of(parts), "30000/1001")
    ours, theirs = both_ways(tmp_path, parts, track)
    monkeypatch.setattr(movie, "_U32", 1000)
    large = tmp_path / "large.mp4"
    join_animatic(parts, track, large, comment="previz-animatic:test")
    data = large.read_bytes()
    assert data.count(b"co64") == 2 and b"stco" not in data
    assert struct.unpack_from(">I4sQ", data, data.find(b"mdat") - 4)[:2] == (1, b"mdat")
    for kind in (b"mvhd", b"tkhd", b"mdhd", b"elst"):
        assert data[data.find(kind) + 4] == 1, kind
    assert packets(large) == packets(theirs) == packets(ours)
    assert declared(large) == declared(theirs)
    assert decode_errors(large) == ""
    assert read_product_key(large) == "test"


def test_the_reader_gives_each_sample_as_ffmpeg_demuxes_it(tmp_path: Path) -> None:
    (path,) = make_parts(tmp_path, "24000/1001", (37,))
    assert samples_as_read(path) == packets(path)["video"]


def sequence(tmp_path: Path, tone: Source, lengths: tuple[int, ...]) -> Path:
    red = colour(tmp_path, "red", "24")
    pictures = [PicturePart(n, Source(red.path, red.key, i)) for i, n in enumerate(lengths)]
    samples = sample_count(sum(lengths), 24)
    sounds = [SoundPart(samples, (SoundSource(tone, at=0, samples=samples),))]
    return build_sequence(
        pictures, sounds, tmp_path / "animatic.mp4", ffmpeg=find_ffmpeg(), width=64, height=36,
        fps=24, workdir=tmp_path / "work",
    ).path  # fmt: skip


def test_a_part_the_reader_does_not_take_is_joined_by_ffmpeg(
    tmp_path: Path, tone: Source, caplog: pytest.LogCaptureFixture
) -> None:
    """A fragmented MP4 under a part's name (the same encoder settings, another container)."""
    red = colour(tmp_path, "red", "24")
    part = PicturePart(12, Source(red.path, red.key, 0))
    folder = tmp_path / "work" / "picture"
    folder.mkdir(parents=True)
    fragmented = folder / f"{picture_key(part, Frame(64, 36, Fraction(24)))}.mp4"
    subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-i", str(red.path), "-frames:v", "12",
         *VIDEO_CODEC_ARGS, "-movflags", "frag_keyframe+empty_moov", str(fragmented)],
        check=True,
    )  # fmt: skip
    with pytest.raises(UnsupportedMovie):
        read_track(fragmented)
    with caplog.at_level(logging.INFO, logger="previz.media.sequence"):
        animatic = sequence(tmp_path, tone, (12, 1))
    assert "joining the animatic with ffmpeg" in caplog.text
    assert len(packets(animatic)["video"]) == 13 and decode_errors(animatic) == ""


def test_a_failed_join_leaves_the_previous_animatic_and_no_temp_files(
    tmp_path: Path, tone: Source
) -> None:
    animatic = sequence(tmp_path, tone, (12, 5))
    before = animatic.read_bytes()
    first = PicturePart(12, Source(tmp_path / "red.mp4", "red", 0))
    part = tmp_path / "work" / "picture" / f"{picture_key(first, Frame(64, 36, Fraction(24)))}.mp4"
    with part.open("r+b") as file:  # the samples end early, the tables are whole
        file.truncate(part.stat().st_size - 200)
    with pytest.raises(MediaError, match=f"{part.name}: the file ends 200 bytes before"):
        sequence(tmp_path, tone, (12,))
    assert animatic.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_without_copy_file_range_the_join_writes_the_same_file(
    tmp_path: Path, tone: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on macOS and Windows, where ``os.copy_file_range`` does not exist."""
    parts = make_parts(tmp_path, "24", (5, 13))
    track = make_sound(tmp_path, tone, 18, "24")
    join_animatic(parts, track, tmp_path / "in-kernel.mp4", comment="previz-animatic:test")
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    join_animatic(parts, track, tmp_path / "read-write.mp4", comment="previz-animatic:test")
    assert (tmp_path / "read-write.mp4").read_bytes() == (tmp_path / "in-kernel.mp4").read_bytes()


def test_the_product_key_is_read_from_our_file_and_from_ffmpegs(
    tmp_path: Path, tone: Source
) -> None:
    parts = make_parts(tmp_path, "24", (5,))
    track = make_sound(tmp_path, tone, 5, "24")
    ours, theirs = tmp_path / "ours.mp4", tmp_path / "ffmpeg.mp4"
    join_animatic(parts, track, ours, comment="previz-animatic:ours")
    _mux_with_ffmpeg(parts, track, theirs, "theirs", ffmpeg=find_ffmpeg())  # earlier animatics
    assert (read_product_key(ours), read_product_key(theirs)) == ("ours", "theirs")
    assert read_product_key(track.path) is None  # not an MP4


def test_the_reader_follows_a_track_over_many_chunks(tmp_path: Path) -> None:
    """A part as our writer lays it out (half-second chunks: several stsc runs)."""
    (part,) = make_parts(tmp_path, "30000/1001", (61,))
    rewritten = tmp_path / "chunked.mp4"
    write_movie(rewritten, [picture_samples([part])], comment="")
    data = rewritten.read_bytes()
    assert (
        data.count(b"stsc") == 1 and struct.unpack_from(">I", data, data.find(b"stco") + 8)[0] > 3
    )
    assert samples_as_read(rewritten) == packets(rewritten)["video"] == packets(part)["video"]
