"""A damaged picture part never escapes the animatic's join as a traceback.

The MP4 reader (:func:`read_track`) refuses any malformed structure with
:class:`UnsupportedMovie` — the join then falls back to ffmpeg — and it refuses counts the
file cannot hold before it expands anything from them (no huge allocation from a hostile
table). Through the CLI, a build over a damaged part ends in a correct animatic or a clear
error with exit 2, never a traceback.
"""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from previz.cli import cli
from previz.media.mp4 import UnsupportedMovie, read_track
from tests.unit.test_media_join import decode_errors, make_parts, packets

SCENE = """
schema_version: 1
project: {{title: T, fps: 24, resolution: 160x90}}
scenes:
  - id: sc1
    heading: INT. ROOM - DAY
    shots:
      - {{id: s1, action: A door., duration: 12f}}
      - {{id: s2, action: {action}, duration: 12f}}
"""


@pytest.fixture(scope="module")
def part(tmp_path_factory: pytest.TempPathFactory) -> Path:
    (made,) = make_parts(tmp_path_factory.mktemp("part"), "24", (13,))
    return made


def damage_moov_end(path: Path) -> None:
    """The reviewer's damage: the moov's last child 12 bytes shorter, then a box header with
    a 64-bit size (size field 1) cut short by the end of the moov. The file keeps its size."""
    data = bytearray(path.read_bytes())
    moov = data.find(b"moov") - 4
    end = moov + struct.unpack_from(">I", data, moov)[0]
    at = moov + 8
    while at + struct.unpack_from(">I", data, at)[0] < end:
        at += struct.unpack_from(">I", data, at)[0]
    struct.pack_into(">I", data, at, end - at - 12)
    struct.pack_into(">I4s", data, end - 12, 1, b"free")
    path.write_bytes(bytes(data))


def patched(part: Path, folder: Path, kind: bytes, payload: bytes) -> Path:
    """A copy of ``part`` whose ``kind`` box (a full box) holds ``payload`` after its version
    and flags, padded or cut to the box's size so every other box stays where it was."""
    data = bytearray(part.read_bytes())
    at = data.find(kind) - 4
    size = struct.unpack_from(">I", data, at)[0]
    body = payload.ljust(size - 12, b"\0")
    assert len(body) == size - 12, "the payload must fit the box"
    data[at + 12 : at + size] = body
    copy = folder / f"{kind.decode()}.mp4"
    copy.write_bytes(bytes(data))
    return copy


def test_a_cut_short_64_bit_box_header_is_an_unsupported_movie(part: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(part.read_bytes())
    damage_moov_end(damaged)
    with pytest.raises(UnsupportedMovie, match=r"damaged\.mp4: a b'free' box's 64-bit size cut"):
        read_track(damaged)


def test_a_hostile_run_total_is_refused_without_allocating(part: Path, tmp_path: Path) -> None:
    """One stts run of 2^32-1 samples (32 GiB once expanded) in a 13-frame part."""
    hostile = patched(part, tmp_path, b"stts", struct.pack(">III", 1, 0xFFFFFFFF, 512))
    tracemalloc.start()
    try:
        with pytest.raises(UnsupportedMovie, match="does not cover every sample"):
            read_track(hostile)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_a_uniform_sample_size_larger_than_the_file_is_refused(part: Path, tmp_path: Path) -> None:
    hostile = patched(part, tmp_path, b"stsz", struct.pack(">II", 1 << 20, 0xFFFFFFFF))
    with pytest.raises(UnsupportedMovie, match="larger than the file"):
        read_track(hostile)


def test_a_keyframe_number_out_of_range_is_refused(part: Path, tmp_path: Path) -> None:
    """Sample number 0 used to mark the last frame as a keyframe."""
    hostile = patched(part, tmp_path, b"stss", struct.pack(">II", 1, 0))
    with pytest.raises(UnsupportedMovie, match="keyframe number 0 of 13 samples"):
        read_track(hostile)


def test_a_build_over_a_damaged_part_joins_with_ffmpeg(write_scene, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every part damaged on disk, then one shot edited: the reused part's tables cannot be
    read, so ffmpeg joins the animatic; the CLI exits 0 and the animatic is whole."""
    runner = CliRunner()
    scene = write_scene(SCENE.format(action="A hall."))
    assert runner.invoke(cli, ["build", str(scene), "-f", "otio"]).exit_code == 0
    for path in (tmp_path / ".previz" / "work" / "sequence" / "picture").glob("*.mp4"):
        damage_moov_end(path)
    scene = write_scene(SCENE.format(action="A long hall."))
    result = runner.invoke(cli, ["build", str(scene), "-f", "otio"])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    animatic = tmp_path / "out" / "scene" / "animatic.mp4"
    assert len(packets(animatic)["video"]) == 24
    assert decode_errors(animatic) == ""
