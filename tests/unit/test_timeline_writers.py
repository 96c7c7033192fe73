"""Per-format fixes checked on small hand-built timelines (no media, no engine needed)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from lxml import etree

from previz.errors import TimelineError
from previz.timeline import edl, kdenlive, xges
from previz.timeline.media import anchored, local_path, media_url
from previz.timeline.rates import exact_rate, frames_of, timeline_rate

RATE = 24000 / 1001


def _clip(name: str, start: int, frames: int, rate: float = RATE) -> otio.schema.Clip:
    return otio.schema.Clip(
        name=name,
        media_reference=otio.schema.ExternalReference(
            target_url=f"file:///media/{name}.mp4",
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(100, rate)
            ),
        ),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, rate), otio.opentime.RationalTime(frames, rate)
        ),
    )


def _timeline(*items: otio.core.Composable, rate: float = RATE) -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(
        name="t", global_start_time=otio.opentime.from_timecode("01:00:00:00", rate)
    )
    track = otio.schema.Track(name="V1")
    for item in items:
        track.append(item)
    timeline.tracks.append(track)
    return timeline


@pytest.mark.parametrize(("fps", "exact"), [(23.976, Fraction(24000, 1001)), (24, Fraction(24)),
                                            (25, Fraction(25)), (29.97, Fraction(30000, 1001)),
                                            (59.94, Fraction(60000, 1001))])  # fmt: skip
def test_project_rates_become_exact_fractions(fps: float, exact: Fraction) -> None:
    assert exact_rate(fps) == exact


def test_the_timeline_rate_is_the_start_timecodes() -> None:
    assert timeline_rate(_timeline(_clip("a", 0, 10))) == Fraction(24000, 1001)


def test_times_round_to_the_nearest_whole_frame() -> None:
    assert frames_of(otio.opentime.RationalTime(1.001, 1), RATE) == 24


def test_media_urls_are_absolute_by_default_and_relative_on_request(tmp_path: Path) -> None:
    media = tmp_path / "clips" / "sh010.mp4"
    assert media_url(str(media), None) == media.as_uri()
    assert media_url(media.as_uri(), tmp_path / "out") == "../clips/sh010.mp4"


def test_a_remote_url_is_refused_with_a_hint() -> None:
    with pytest.raises(TimelineError) as raised:
        local_path("https://example.com/clip.mp4")
    assert raised.value.hint


def test_relative_media_is_anchored_to_the_folder_it_was_saved_in(tmp_path: Path) -> None:
    timeline = _timeline(_clip("a", 0, 10))
    timeline.find_clips()[0].media_reference.target_url = "clips/a.mp4"
    url = anchored(timeline, tmp_path).find_clips()[0].media_reference.target_url
    assert url == (tmp_path / "clips" / "a.mp4").as_uri()


def test_xges_adapter_alone_renders_at_30fps_and_ours_at_the_project_rate(tmp_path: Path) -> None:
    """GES renders at the video track's restriction caps: the adapter hard-codes 30/1."""
    timeline = _timeline(_clip("a", 6, 24))
    raw = otio.adapters.write_to_string(timeline, "xges")
    assert "framerate\\=\\(fraction\\)30/1" in raw
    path = tmp_path / "t.xges"
    xges.write(timeline, path, width=320, height=180)
    caps = etree.parse(str(path)).find(".//track[@track-type='4']")
    assert caps is not None
    assert "24000/1001" in caps.get("properties", "") and "320" in caps.get("properties", "")


def test_kdenlive_black_track_lasts_exactly_the_cut(tmp_path: Path) -> None:
    """The adapter's black track had no length: melt rendered 15,000+ frames."""
    path = tmp_path / "t.kdenlive"
    kdenlive.write(_timeline(_clip("a", 0, 24), _clip("b", 0, 30)), path, width=320, height=180)
    root = etree.parse(str(path)).getroot()
    black = root.find("producer[@id='black_track']")
    assert black is not None and black.get("out") == "53"
    profile = root.find("profile")
    assert profile is not None
    assert (profile.get("frame_rate_num"), profile.get("frame_rate_den")) == ("24000", "1001")
    assert (profile.get("width"), profile.get("height")) == ("320", "180")


def test_kdenlive_dissolve_from_the_cut_puts_the_incoming_clip_on_the_second_lane(
    tmp_path: Path,
) -> None:
    dissolve = otio.schema.Transition(
        in_offset=otio.opentime.RationalTime(0, RATE),
        out_offset=otio.opentime.RationalTime(8, RATE),
    )
    path = tmp_path / "t.kdenlive"
    kdenlive.write(_timeline(_clip("a", 0, 24), dissolve, _clip("b", 0, 30)), path,
                   width=320, height=180)  # fmt: skip
    root = etree.parse(str(path)).getroot()
    lanes = root.findall("playlist")[-2:]
    assert [(e.get("in"), e.get("out")) for e in lanes[0].findall("entry")] == [("0", "31")]
    assert lanes[1].find("blank").get("length") == "24"  # type: ignore[union-attr]
    mix = root.find(".//tractor/transition")
    assert mix is not None and (mix.get("in"), mix.get("out")) == ("24", "31")


def test_edl_track_names_are_safe_unique_file_names() -> None:
    timeline = _timeline(_clip("a", 0, 5))
    timeline.tracks.append(otio.schema.Track(name="V1"))
    timeline.tracks.append(otio.schema.Track(name="A1 / dialogue", kind="Audio"))
    assert edl.track_names(timeline) == ["V1", "V1_", "A1_dialogue"]


def test_an_edl_turns_a_placeholder_into_black_and_keeps_later_record_times() -> None:
    placeholder = otio.schema.Clip(
        name="sh020",
        media_reference=otio.schema.MissingReference(),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)
        ),
    )
    text = edl.render_track(_timeline(_clip("a", 0, 24, 24), placeholder,
                                      _clip("b", 0, 24, 24), rate=24), 0)  # fmt: skip
    events = [line.split() for line in text.splitlines() if line[:3].isdigit()]
    assert [e[-2:] for e in events] == [["01:00:00:00", "01:00:01:00"],
                                        ["01:00:02:00", "01:00:03:00"]]  # fmt: skip
