"""Every export read back through OTIO: the same clips in the same order with the same source
ranges, the markers, and the metadata wherever the format can carry it. Where OTIO's reader
for a format has its own defect, the test says so and checks what that reader can see.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from lxml import etree

from previz.timeline import FORMATS, export_timeline, fcp7
from previz.timeline.facts import plain
from tests.timeline_fixtures import RATES, Layout, assembled_cut, representative_timeline

Row = tuple[str, float, float]


@pytest.fixture(params=sorted(RATES), ids=lambda key: f"{key}fps")
def cut(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[otio.schema.Timeline, Layout]:
    key: str = request.param
    return representative_timeline(
        RATES[key], tmp_path_factory.getbasetemp() / "timeline-media" / key
    )


@pytest.fixture
def cut24(tmp_path_factory: pytest.TempPathFactory) -> tuple[otio.schema.Timeline, Layout]:
    return representative_timeline(
        RATES["24"], tmp_path_factory.getbasetemp() / "timeline-media" / "24"
    )


def rows(track: otio.schema.Track) -> list[Row]:
    """Clips as (name, source in, duration) in frames; gaps and transitions by kind and length."""
    result: list[Row] = []
    for item in track:
        if isinstance(item, otio.schema.Clip):
            source = item.trimmed_range()
            result.append((item.name, round(source.start_time.value), round(source.duration.value)))
        elif isinstance(item, otio.schema.Transition):
            result.append(("transition", round(item.in_offset.value), round(item.out_offset.value)))
        else:
            result.append(("gap", 0, round(item.duration().value)))
    return result


def all_rows(timeline: otio.schema.Timeline) -> list[list[Row]]:
    return [rows(track) for track in timeline.tracks]


def clip_markers(timeline: otio.schema.Timeline) -> list[tuple[str, str]]:
    return [(m.name, m.comment) for clip in timeline.find_clips() for m in clip.markers]


def test_otio_reads_back_identical(
    cut: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    timeline, _ = cut
    path = export_timeline(timeline, tmp_path, ["otio"])["otio"][0]
    back = otio.adapters.read_from_file(str(path))
    assert all_rows(back) == all_rows(timeline)
    assert clip_markers(back) == clip_markers(timeline)
    assert [c.metadata["previz"] for c in back.find_clips()] == [
        c.metadata["previz"] for c in timeline.find_clips()
    ]
    assert back.metadata["previz"] == timeline.metadata["previz"]
    assert back.global_start_time == timeline.global_start_time


def test_otioz_bundles_every_media_file_and_reads_back(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    timeline, _ = cut24
    path = export_timeline(timeline, tmp_path, ["otioz"])["otioz"][0]
    names = zipfile.ZipFile(path).namelist()
    back = otio.adapters.read_from_file(str(path))
    assert all_rows(back) == all_rows(timeline)
    for clip in back.find_clips():
        assert clip.media_reference.target_url in names
    assert len([n for n in names if n.startswith("media/")]) == 5


def test_fcp7_reads_back_clips_markers_and_previz_metadata(
    cut: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    timeline, _ = cut
    back = fcp7.read(export_timeline(timeline, tmp_path, ["fcp7"])["fcp7"][0])
    assert all_rows(back) == all_rows(timeline)
    assert clip_markers(back) == clip_markers(timeline)
    assert [m.name for m in back.tracks.markers] == ["cue: door slam"]
    assert [c.metadata["previz"] for c in back.find_clips()] == [
        c.metadata["previz"] for c in timeline.find_clips()
    ]
    assert back.global_start_time == timeline.global_start_time


def test_fcpxml_storyline_reads_back_and_keeps_previz_metadata(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """OTIO's FCPXML reader keeps rates as integers (so only 24 fps reads back), ignores
    transitions and <md>, drops ``tcStart`` (so the hour before the first item, which Final Cut
    places at ``tcStart``, reads back as a gap), and gathers connected clips' markers onto their
    host; the storyline, its markers and the timeline marker are what it can show."""
    timeline, _ = cut24
    path = export_timeline(timeline, tmp_path, ["fcpxml"])["fcpxml"][0]
    back = otio.adapters.read_from_file(str(path))[0]
    storyline = next(t for t in back.tracks if t.name == "0")
    expected = [row for row in rows(timeline.tracks[1]) if row[0] != "transition"]
    hour = ("gap", 0, 3600 * 24)
    assert rows(storyline) == [hour, *expected]
    first = storyline.find_clips()[0]
    assert {"sh010", "cue: door slam"} <= {m.name for m in first.markers}
    metadata = [json.loads(md.get("value", "")) for md in etree.parse(str(path)).iter("md")]
    assert sorted(map(json.dumps, metadata)) == sorted(
        json.dumps(dict(c.metadata["previz"])) for c in timeline.find_clips()
    )


def test_each_edl_reads_back_its_track(
    cut: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """CMX dissolves start at the edit: OTIO's centred dissolve (4+4 frames) reads back as an
    8-frame dissolve from 4 frames before the cut, the same picture on the same frames."""
    timeline, layout = cut
    paths = export_timeline(timeline, tmp_path, ["edl"])["edl"]
    rate = float(layout.rate)
    for path, track in zip(paths, timeline.tracks, strict=True):
        back = otio.adapters.read_from_file(str(path), rate=rate).tracks[0]
        files = [Path(c.media_reference.target_url).name for c in track.find_clips()]
        assert [c.name for c in back.find_clips()] == files
        assert back.kind == track.kind
    v1 = otio.adapters.read_from_file(str(paths[1]), rate=rate).tracks[0]
    assert [(start, length) for _, start, length in rows(v1)] == [
        (6, 24), (6, 30), (0, 12), (6, 20), (0, 8), (2, 40),
    ]  # fmt: skip
    assert [m.name for m in v1.find_clips()[0].markers] == ["SH010"]
    a1 = otio.adapters.read_from_file(str(paths[2]), rate=rate).tracks[0]
    assert [(s, n) for _, s, n in rows(a1)] == [(s, n) for _, s, n in rows(timeline.tracks[2])]


def test_aaf_reads_back_clips_dissolve_markers_and_previz_comments(
    cut: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """OTIO's AAF reader names a multi-clip track "Sequence"; the slot names are in the file."""
    timeline, _ = cut
    back = otio.adapters.read_from_file(str(export_timeline(timeline, tmp_path, ["aaf"])["aaf"][0]))
    assert all_rows(back) == all_rows(timeline)
    names = [m.name for m in back.tracks[1].find_clips()[0].markers]
    assert names == ["sh010", "cue: door slam"]
    comments = [json.loads(c.metadata["AAF"]["UserComments"]["previz"]) for c in back.find_clips()]
    assert comments == [dict(c.metadata["previz"]) for c in timeline.find_clips()]
    assert back.global_start_time == timeline.global_start_time


def test_xges_reads_back_clips_and_dissolve(
    cut: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """The xges adapter renames a clip whose name is taken ("sh010" → "sh010_1") and moves
    markers to the timeline; ranges survive our nanosecond snapping exactly."""
    timeline, _ = cut
    back = otio.adapters.read_from_file(
        str(export_timeline(timeline, tmp_path, ["xges"])["xges"][0])
    )

    def unsuffixed(track_rows: list[Row]) -> list[Row]:
        return [(name.removesuffix("_1"), s, n) for name, s, n in track_rows]

    assert [unsuffixed(r) for r in all_rows(back)] == all_rows(timeline)
    assert {"sh010", "sh020", "sh030", "sh040", "cue: door slam"} <= {
        m.name for m in back.tracks.markers
    }


def test_kdenlive_reads_back_clips_markers_and_the_dissolve(
    cut: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """The adapter's reader takes a mix's inclusive MLT ``out`` as exclusive, so the dissolve
    reads back one frame short (7, not 8) and shifts the incoming clip by one; melt renders
    the 8 frames (test_export_engines). Everything else reads back exactly."""
    timeline, _ = cut
    path = export_timeline(timeline, tmp_path, ["kdenlive"])["kdenlive"][0]
    back = otio.adapters.read_from_file(str(path))
    original = all_rows(timeline)
    read = all_rows(back)
    assert read[0] == original[0] and read[2] == original[2]
    assert read[1][:3] == original[1][:3]
    assert [name for name, _, _ in read[1]] == [name for name, _, _ in original[1]]
    assert [t.name for t in back.tracks] == [t.name for t in timeline.tracks]
    assert [m.name for m in back.tracks[1].find_clips()[0].markers] == [
        "sh010: ANNA opens the door"
    ]
    assert [m.name for m in back.tracks.markers] == ["cue: door slam: SFX door slam"]


def test_an_assembled_cut_exports_everywhere_and_fcp7_and_aaf_keep_its_nested_facts(
    write_scene: Callable[[str, str], Path], tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    """Assembled clips carry nested facts (camera, lighting, stems) and a placeholder."""
    media = tmp_path_factory.getbasetemp() / "assembled-media" / "1"
    timeline, _ = assembled_cut(write_scene, media, Fraction(24))
    files = export_timeline(timeline, tmp_path / "out", ["all"])
    assert set(files) == set(FORMATS)
    original = {c.name: plain(c.metadata["previz"]) for c in timeline.tracks[0].find_clips()}
    back = fcp7.read(files["fcp7"][0])
    read = {c.name: plain(c.metadata["previz"]) for c in back.tracks[0].find_clips()}
    assert read == original
    assert read["sh030"]["missing"] == "content policy"
    aaf_back = otio.adapters.read_from_file(str(files["aaf"][0]))
    comments = [json.loads(c.metadata["AAF"]["UserComments"]["previz"])
                for c in aaf_back.tracks[0].find_clips()]  # fmt: skip
    assert comments == list(original.values())
