"""The AAF writer on cuts made in memory (no media): what it leaves behind besides the file."""

from __future__ import annotations

import gc
from pathlib import Path

import opentimelineio as otio
import pytest

from previz.errors import TimelineError
from previz.timeline import aaf


def _cut(rate: float = 24) -> otio.schema.Timeline:
    def span(frames: int) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(duration=otio.opentime.RationalTime(frames, rate))

    track = otio.schema.Track(name="V1")
    track.append(
        otio.schema.Clip(
            name="sh010",
            media_reference=otio.schema.ExternalReference(
                target_url="file:///media/sh010.mp4", available_range=span(48)
            ),
            source_range=span(24),
        )
    )
    track.append(otio.schema.Gap(source_range=span(12)))
    track.append(otio.schema.Clip(name="sh020", media_reference=otio.schema.MissingReference(),
                                  source_range=span(24)))  # fmt: skip
    timeline = otio.schema.Timeline(name="cut")
    timeline.tracks.append(track)
    return timeline


@pytest.mark.parametrize("enabled", [True, False])
def test_writing_leaves_the_cycle_collector_as_it_found_it(enabled: bool, tmp_path: Path) -> None:
    """The writer pauses Python's cycle collector while it allocates; it must restore it."""
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        aaf.write(_cut(), tmp_path / "cut.aaf")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_a_clip_at_another_rate_is_refused_naming_it_and_the_format(tmp_path: Path) -> None:
    timeline = _cut()
    clip = timeline.tracks[0][2]
    clip.source_range = otio.opentime.TimeRange(duration=otio.opentime.RationalTime(25, 25))
    with pytest.raises(TimelineError) as raised:
        aaf.write(timeline, tmp_path / "cut.aaf")
    assert "aaf" in str(raised.value) and "sh020" in str(raised.value)
    assert gc.isenabled()


def test_the_written_cut_reads_back_through_otio(tmp_path: Path) -> None:
    aaf.write(_cut(), tmp_path / "cut.aaf")
    back = otio.adapters.read_from_file(str(tmp_path / "cut.aaf"))
    items = [(type(i).__name__, i.name, i.duration().value) for i in back.tracks[0]]
    assert items == [("Clip", "sh010", 24), ("Gap", "Filler", 12), ("Clip", "sh020", 24)]
