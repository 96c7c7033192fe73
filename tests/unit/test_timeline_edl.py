"""EDL locators sit at the record time of their mark, in the EDL's own non-drop notation."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from previz.timebase import exact_rate
from previz.timeline import FORMATS, edl, export_timeline


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


def _no_head_cut(fps: float, media: str = "/media") -> otio.schema.Timeline:
    """A cut as ``assemble`` makes it: dissolves from the cut on the outgoing tail into clips
    whose source starts at their media's frame 0 (no head handle), fades against black between
    two shots (dropped from the EDL) and a fade out at the end (a dissolve to ``BL``)."""
    rate = float(exact_rate(fps))
    frames = otio.opentime.RationalTime
    timeline = otio.schema.Timeline(
        name="t", global_start_time=otio.opentime.from_timecode("01:00:00:00", rate)
    )

    def clip(name: str, length: int, media_frames: int) -> otio.schema.Clip:
        available = otio.opentime.TimeRange(frames(0, rate), frames(media_frames, rate))
        return otio.schema.Clip(
            name=name,
            media_reference=otio.schema.ExternalReference(
                target_url=f"file://{media}/{name}.mp4", available_range=available
            ),
            source_range=otio.opentime.TimeRange(frames(0, rate), frames(length, rate)),
        )

    def dissolve(name: str, before: int, after: int) -> otio.schema.Transition:
        return otio.schema.Transition(name=name, in_offset=frames(before, rate),
                                      out_offset=frames(after, rate))  # fmt: skip

    def black() -> otio.schema.Gap:
        return otio.schema.Gap(duration=frames(0, rate))

    track = otio.schema.Track(name="V1")
    track.extend([
        clip("sh010", 24, 30), dissolve("dissolve sh010", 0, 6), clip("sh020", 48, 54),
        dissolve("fade out sh020", 6, 0), black(), black(), dissolve("fade in sh030", 0, 6),
        clip("sh030", 24, 30), dissolve("dissolve sh030", 0, 6), clip("sh040", 24, 24),
        dissolve("fade out sh040", 12, 0), black(),
    ])  # fmt: skip
    timeline.tracks.append(track)
    return timeline


@pytest.mark.parametrize("fps", [23.976, 24, 25, 29.97])
def test_a_dissolve_into_a_clip_with_no_head_handle_reads_back_from_the_cut(fps: float) -> None:
    text = edl.render_track(_no_head_cut(fps), 0)
    read = otio.adapters.read_from_string(text, "cmx_3600", rate=float(exact_rate(fps)))
    items = list(read.tracks[0])
    dissolves = [(i, item) for i, item in enumerate(items)
                 if isinstance(item, otio.schema.Transition)]  # fmt: skip
    incoming = [items[i + 1] for i, _ in dissolves[:2]]
    assert [(d.in_offset.value, d.out_offset.value) for _, d in dissolves[:2]] == [(0, 6), (0, 6)]
    assert [c.source_range.start_time.value for c in incoming] == [0, 0]
    assert all(c.source_range.start_time.value >= 0 for c in read.find_clips())


def test_every_format_writes_a_cut_with_a_dissolve_into_a_clip_with_no_head_handle(
    tmp_path: Path,
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    for name in ("sh010", "sh020", "sh030", "sh040"):
        (media / f"{name}.mp4").write_bytes(b"bundled as bytes")  # .otioz copies, never decodes
    timeline = _no_head_cut(24, str(media))
    timeline.metadata["previz"] = {"resolution": [320, 180]}  # as assemble records it
    files = export_timeline(timeline, tmp_path / "out", ["all"])
    assert set(files) == set(FORMATS) and all(p.stat().st_size for f in files.values() for p in f)
