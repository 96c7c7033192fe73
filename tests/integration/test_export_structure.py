"""What each export must contain for the editors that import it (Premiere, Resolve, Final Cut,
Avid), checked in the written files: FCPXML against Apple's DTD at four rates, FCP7 structure,
AAF read back with pyaaf2, one EDL per track, atomic writes and the media path policy.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import aaf2
import opentimelineio as otio
import pytest
from lxml import etree
from PIL import Image

from previz.errors import TimelineError
from previz.timeline import FORMATS, export_timeline
from previz.timeline.export import resolve_formats
from tests.timeline_fixtures import RATES, Layout, representative_timeline

DTD_DIRS = (
    Path(__file__).resolve().parents[1] / "data" / "fcpxml-dtd",
    Path(__file__).resolve().parents[3] / "shared" / "data" / "fcpxml-dtd",
)
MORE_RATES = {**RATES, "25": RATES["24"] * 25 / 24, "29.97": RATES["23.976"] * 30 / 24}


def _cut(factory: pytest.TempPathFactory, key: str) -> tuple[otio.schema.Timeline, Layout]:
    return representative_timeline(MORE_RATES[key], factory.getbasetemp() / "timeline-media" / key)


@pytest.fixture
def cut24(tmp_path_factory: pytest.TempPathFactory) -> tuple[otio.schema.Timeline, Layout]:
    return _cut(tmp_path_factory, "24")


def _dtd() -> Path:
    for folder in DTD_DIRS:
        if (folder / "FCPXMLv1_8.dtd").exists():
            return folder / "FCPXMLv1_8.dtd"
    pytest.skip("Apple's FCPXML DTDs are not in tests/data/fcpxml-dtd or ../shared/data")


@pytest.mark.parametrize("key", sorted(MORE_RATES))
def test_fcpxml_is_valid_against_apples_dtd_at_each_project_rate(
    key: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """The adapter crashes at 24000/1001; ours must validate at 23.976, 24, 25 and 29.97."""
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        pytest.skip("xmllint is not installed (apt: libxml2-utils)")
    timeline, _ = _cut(tmp_path_factory, key)
    document = export_timeline(timeline, tmp_path, ["fcpxml"])["fcpxml"][0]
    result = subprocess.run([xmllint, "--noout", "--dtdvalid", str(_dtd()), str(document)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    rate = MORE_RATES[key]
    fmt = etree.parse(str(document)).find("resources/format")
    assert fmt is not None
    assert fmt.get("frameDuration") == f"{rate.denominator}/{rate.numerator}s"


def test_fcpxml_has_frame_size_library_event_project_and_every_marker(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    timeline, _ = cut24
    root = etree.parse(str(export_timeline(timeline, tmp_path, ["fcpxml"])["fcpxml"][0]))
    fmt = root.find("resources/format")
    assert fmt is not None and (fmt.get("width"), fmt.get("height")) == ("320", "180")
    assert root.find("library/event/project/sequence/spine") is not None
    values = [m.get("value") for m in root.iter("marker")]
    assert "cue: door slam" in values  # the timeline marker the adapter dropped
    assert {"sh010", "sh020", "sh030", "sh040"} <= set(values)
    assert [t.get("duration") for t in root.iter("transition")] == ["8/24s"]


def test_fcp7_sequence_has_the_format_duration_and_track_states_premiere_and_resolve_need(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """Empty <format> opens a blank sequence in Resolve (OTIO #839); no <duration> (#2154)."""
    timeline, layout = cut24
    root = etree.parse(str(export_timeline(timeline, tmp_path, ["fcp7"])["fcp7"][0]))
    sequence = root.find(".//sequence")
    assert sequence is not None
    assert sequence.findtext("duration") == str(layout.total)
    characteristics = sequence.find("media/video/format/samplecharacteristics")
    assert characteristics is not None
    assert characteristics.findtext("width") == "320"
    assert characteristics.findtext("height") == "180"
    assert characteristics.findtext("rate/timebase") == "24"
    tracks = sequence.findall("media/video/track") + sequence.findall("media/audio/track")
    assert len(tracks) == 3
    assert all(t.findtext("enabled") == "TRUE" and t.findtext("locked") == "FALSE"
               for t in tracks)  # fmt: skip


def test_fcp7_audio_clipitems_are_full_clips_with_their_own_file_reference(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """The adapter wrote empty <clipitem id/> back-references, empty clips in Premiere."""
    timeline, _ = cut24
    root = etree.parse(str(export_timeline(timeline, tmp_path, ["fcp7"])["fcp7"][0]))
    audio = root.findall(".//media/audio/track/clipitem")
    assert len(audio) == 4
    for clipitem in audio:
        assert clipitem.find("file") is not None and clipitem.find("file").get("id")
        assert clipitem.findtext("in") and clipitem.findtext("out") and clipitem.findtext("start")
        assert clipitem.findtext("sourcetrack/mediatype") == "audio"
    ids = [c.get("id") for c in root.iter("clipitem")]
    assert len(ids) == len(set(ids))


def test_fcp7_markers_follow_the_clip_in_and_out_and_keep_their_comment(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """Readers taking the first <in> (OpenShot) trimmed each clip to its marker."""
    timeline, _ = cut24
    root = etree.parse(str(export_timeline(timeline, tmp_path, ["fcp7"])["fcp7"][0]))
    for clipitem in root.iter("clipitem"):
        tags = [child.tag for child in clipitem]
        assert tags.index("out") < tags.index("marker")
    marker = next(root.iter("clipitem")).find("marker")
    assert marker is not None
    assert [c.tag for c in marker] == ["name", "comment", "in", "out"]


def test_aaf_has_composition_master_mobs_locators_timecode_and_markers(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """Without use_empty_mob_ids the adapter failed; markers and timecode (OTIO #766)."""
    timeline, _ = cut24
    path = export_timeline(timeline, tmp_path, ["aaf"])["aaf"][0]
    with aaf2.open(str(path)) as handle:
        composition = next(handle.content.toplevel())
        assert composition.name == "sc01 previz"
        slots = {s.name: s for s in composition.slots}
        assert {"V0 alternates", "V1", "A1", "TC"} <= set(slots)
        timecode = slots["TC"].segment
        assert (timecode.start, timecode.fps) == (86400, 24)
        masters = {m.name for m in handle.content.mastermobs()}
        assert {"sh010", "sh020", "sh030", "sh040", "sh010 take 2"} <= masters
        locators = {
            locator["URLString"].value
            for mob in handle.content.sourcemobs()
            if "Locator" in mob.descriptor
            for locator in mob.descriptor["Locator"].value
        }
        expected = {c.media_reference.target_url for c in timeline.find_clips()}
        assert expected <= locators
        comments = [
            marker["Comment"].value
            for slot in composition.slots
            if isinstance(slot, aaf2.mobslots.EventMobSlot)
            for marker in slot.segment.components
        ]
        assert {"sh010", "sh020", "sh030", "sh040", "cue: door slam"} <= set(comments)


def test_each_track_gets_its_own_edl_with_record_timecode_from_the_timeline_start(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """The adapter wrote only one video track, from 00:00:00:00, without an FCM line."""
    timeline, _ = cut24
    edls = export_timeline(timeline, tmp_path, ["edl"])["edl"]
    assert [p.name for p in edls] == [
        "timeline.V0_alternates.edl", "timeline.V1.edl", "timeline.A1.edl",
    ]  # fmt: skip
    audio = edls[2].read_text().splitlines()
    assert audio[1] == "FCM: NON-DROP FRAME"
    events = [line.split() for line in audio if line[:3].isdigit()]
    assert [e[1:3] for e in events] == [["AX", "A"]] * 4
    assert events[0][-2:] == ["01:00:00:00", "01:00:01:00"]
    video = [line.split() for line in edls[1].read_text().splitlines() if line[:3].isdigit()]
    assert all(e[1] == "AX" for e in video)  # the dissolve's incoming reel was mangled


def test_a_format_that_fails_leaves_no_partial_file_and_names_itself(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """AAF refuses a clip whose rate differs from the timeline's, and used to leave a file."""
    timeline, _ = cut24
    broken = timeline.deepcopy()
    clip = broken.tracks[1].find_clips()[0]
    clip.source_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(6, 25), otio.opentime.RationalTime(24, 25)
    )
    with pytest.raises(TimelineError) as raised:
        export_timeline(broken, tmp_path, ["aaf"])
    assert "aaf" in str(raised.value)
    assert raised.value.hint
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_lists_the_formats_there_are() -> None:
    with pytest.raises(TimelineError) as raised:
        resolve_formats(["premiere"])
    assert "fcp7" in str(raised.value) and "kdenlive" in str(raised.value)


def test_all_means_every_format_once() -> None:
    assert resolve_formats(["otio", "all"]) == list(FORMATS)


def test_media_is_absolute_file_urls_by_default_and_relative_on_request(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    timeline, _ = cut24
    absolute = export_timeline(timeline, tmp_path / "abs", ["otio"])["otio"][0]
    urls = {c.media_reference.target_url
            for c in otio.adapters.read_from_file(str(absolute)).find_clips()}  # fmt: skip
    assert all(url.startswith("file:///") for url in urls)
    out = tmp_path / "rel"
    relative = export_timeline(timeline, out, ["otio", "kdenlive"], relative_to=out)
    for clip in otio.adapters.read_from_file(str(relative["otio"][0])).find_clips():
        url = clip.media_reference.target_url
        assert not url.startswith(("file:", "/")) and (out / url).resolve().exists()


def test_a_relative_kdenlive_project_moved_elsewhere_still_finds_its_media(
    cut24: tuple[otio.schema.Timeline, Layout], tmp_path: Path
) -> None:
    """A ``root`` pinned to the export folder made a moved project render black in melt."""
    melt = shutil.which("melt")
    if melt is None:
        pytest.skip("melt is not installed (apt: see .ci/run)")
    timeline, _ = cut24
    out = tmp_path / "project" / "out"
    media = tmp_path / "project" / "media"
    shutil.copytree(Path(timeline.find_clips()[0].media_reference.target_url[7:]).parent, media)
    moved = otio.schema.Timeline(name=timeline.name, global_start_time=timeline.global_start_time)
    copy = timeline.deepcopy()
    for clip in copy.find_clips():
        clip.media_reference.target_url = (
            media / Path(clip.media_reference.target_url).name
        ).as_uri()
    moved = copy
    export_timeline(moved, out, ["kdenlive"], relative_to=out)
    shutil.move(str(tmp_path / "project"), str(tmp_path / "elsewhere"))
    project = tmp_path / "elsewhere" / "out" / "timeline.kdenlive"
    frame = tmp_path / "frame.png"
    subprocess.run(
        [melt, str(project), "-quiet", "in=30", "out=30", "-consumer", f"avformat:{frame}",
         "vcodec=png", "frames=1"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    red, green, blue = Image.open(frame).convert("RGB").getpixel((160, 90))
    assert max(red, green, blue) > 150  # a shot's colour, not black
