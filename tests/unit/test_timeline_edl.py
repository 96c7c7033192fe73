"""EDL locators sit at the record time of their mark, in the EDL's own non-drop notation."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from previz.timebase import exact_rate
from previz.timeline import edl


def _marked_cut(fps: float) -> otio.schema.Timeline:
    rate = float(exact_rate(fps))
    timeline = otio.schema.Timeline(
        name="t", global_start_time=otio.opentime.from_timecode("01:00:00:00", rate)
    )
    track = otio.schema.Track(name="V1")
    for index, frames in enumerate((40, 33, 50, 41, 29, 60)):
        clip = otio.schema.Clip(
            name=f"sh{index}",
            media_reference=otio.schema.ExternalReference(
                target_url=f"file:///media/sh{index}.mp4",
                available_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(100, rate)
                ),
            ),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(4, rate), otio.opentime.RationalTime(frames, rate)
            ),
        )
        mark = otio.opentime.TimeRange(otio.opentime.RationalTime(4 + index, rate))
        clip.markers.append(otio.schema.Marker(name=f"m{index}", marked_range=mark))
        track.append(clip)
    timeline.tracks.append(track)
    return timeline


@pytest.mark.parametrize("fps", [23.976, 24, 25, 29.97])
def test_otio_reads_back_every_locator_of_the_edl(fps: float) -> None:
    text = edl.render_track(_marked_cut(fps), 0)
    read = otio.adapters.read_from_string(text, "cmx_3600", rate=float(exact_rate(fps)))
    assert sum(len(clip.markers) for clip in read.find_clips()) == 6


def test_locators_carry_the_record_timecode_of_their_mark() -> None:
    text = edl.render_track(_marked_cut(29.97), 0)
    locators = [line.split()[2] for line in text.splitlines() if line.startswith("* LOC:")]
    # the second shot starts 40 frames into the cut; its mark is 1 frame past its head
    assert locators[:2] == ["01:00:00:00", "01:00:01:11"]


def test_locators_at_29_97_are_written_non_drop_like_the_events() -> None:
    text = edl.render_track(_marked_cut(29.97), 0)
    assert "FCM: NON-DROP FRAME" in text and ";" not in text


def _faded_cut(fps: float) -> otio.schema.Timeline:
    """The marked cut with a fade in at its head, a dissolve and a fade out at its tail."""
    timeline = _marked_cut(fps)
    rate = float(exact_rate(fps))
    track = timeline.tracks[0]
    frames = otio.opentime.RationalTime

    def fade(name: str, before: int, after: int) -> otio.schema.Transition:
        return otio.schema.Transition(name=name, in_offset=frames(before, rate),
                                      out_offset=frames(after, rate))  # fmt: skip

    track.insert(0, otio.schema.Gap(duration=frames(0, rate)))
    track.insert(1, fade("fade in sh0", 0, 6))
    track.insert(3, fade("dissolve sh0", 0, 6))
    track.append(fade("fade out sh5", 6, 0))
    track.append(otio.schema.Gap(duration=frames(0, rate)))
    return timeline


@pytest.mark.parametrize("fps", [23.976, 24, 25, 29.97])
def test_otio_reads_back_every_locator_of_a_cut_with_fades_and_a_dissolve(fps: float) -> None:
    text = edl.render_track(_faded_cut(fps), 0)
    read = otio.adapters.read_from_string(text, "cmx_3600", rate=float(exact_rate(fps)))
    assert sorted(m.name for clip in read.find_clips() for m in clip.markers) == [
        f"M{i}" for i in range(6)
    ]


def test_a_fade_out_at_the_end_is_a_dissolve_to_black() -> None:
    events = [line.split() for line in edl.render_track(_faded_cut(24), 0).splitlines()]
    assert events_with_reel(events, "BL")[-1][1:5] == ["BL", "V", "D", "006"]


def test_a_fade_the_edl_cannot_carry_is_named_in_it() -> None:
    text = edl.render_track(_faded_cut(24), 0)
    assert "* PREVIZ: fade in sh0 not written" in text


def events_with_reel(events: list[list[str]], reel: str) -> list[list[str]]:
    return [e for e in events if len(e) > 1 and e[0].isdigit() and e[1] == reel]
