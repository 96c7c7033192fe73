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
