"""GStreamer Editing Services (.xges): the OTIO adapter's output, made to render frame-exact.

Two defects of ``otio_xges_adapter`` 1.0 make GES (``ges-launch-1.0``, Pitivi) render a
different cut from the one written:

- The video track's restriction caps are hard-coded to 30 fps, so GES renders at 30 fps and
  samples the wrong source frames. The adapter reads a stack's ``metadata["XGES"]["tracks"]``
  when present, so we hand it tracks whose caps carry the project's rate and frame size.
- Times are written as ``int(seconds * 1e9)``: at 23.976 fps a frame boundary is not a whole
  nanosecond, the truncation lands a hair *before* the source frame, and GES shows the previous
  frame at a cut. A post-write pass puts every clip time back on the nanosecond GES itself
  computes for that frame.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
from lxml import etree
from otio_xges_adapter import xges as adapter  # type: ignore[import-untyped]

from previz.timeline.rates import timeline_rate

GST_SECOND = 1_000_000_000


def write(timeline: otio.schema.Timeline, path: Path, *, width: int, height: int) -> None:
    """Write ``timeline`` as .xges at its own rate and ``width`` x ``height``."""
    rate = timeline_rate(timeline)
    prepared = timeline.deepcopy()
    prepared.tracks.metadata[adapter.META_NAMESPACE] = {"tracks": _tracks(rate, width, height)}
    otio.adapters.write_to_file(prepared, str(path), adapter_name="xges")
    snap_times_to_frames(path, rate)


def _tracks(rate: Fraction, width: int, height: int) -> list[adapter.XgesTrack]:
    video = adapter.XgesTrack.new_from_track_type(adapter.GESTrackType.VIDEO)
    caps = (
        f"video/x-raw, framerate=(fraction){rate.numerator}/{rate.denominator}, "
        f"width=(int){width}, height=(int){height}"
    )
    video.properties.set("restriction-caps", "string", caps)
    audio = adapter.XgesTrack.new_from_track_type(adapter.GESTrackType.AUDIO)
    return [video, audio]


def frame_time(frame: int, rate: Fraction) -> int:
    """The nanosecond GES gives frame ``frame`` (``gst_util_uint64_scale``, rounded down)."""
    return frame * GST_SECOND * rate.denominator // rate.numerator


def _to_frame(nanoseconds: int, rate: Fraction) -> int:
    return round(Fraction(nanoseconds, GST_SECOND) * rate)


def snap_times_to_frames(path: Path, rate: Fraction) -> None:
    """Rewrite every clip's start, in-point and duration onto GES's own frame times."""
    tree = etree.parse(str(path))
    for clip in tree.iter("clip"):
        start = _to_frame(int(clip.get("start", "0")), rate)
        end = start + _to_frame(int(clip.get("duration", "0")), rate)
        clip.set("start", str(frame_time(start, rate)))
        clip.set("duration", str(frame_time(end, rate) - frame_time(start, rate)))
        if clip.get("type-name") == "GESUriClip":
            inpoint = _to_frame(int(clip.get("inpoint", "0")), rate)
            clip.set("inpoint", str(frame_time(inpoint, rate) + 1))
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
