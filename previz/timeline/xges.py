"""GStreamer Editing Services (.xges): the OTIO adapter's output, made to render frame-exact.

``otio_xges_adapter`` 1.0 hard-codes the video track's restriction caps to 30 fps, so GES
(``ges-launch-1.0``, Pitivi) renders a 24 fps cut at 30 fps and samples the wrong source frames.
The adapter reads a stack's ``metadata["XGES"]["tracks"]`` when present, so we hand it tracks
whose caps carry the project's exact rate (24000/1001) and frame size. That is the only fix.

Measured and found harmless in GES 1.22: the adapter writes times as ``int(seconds * 1e9)``,
truncating 23.976 fps frame boundaries by under a nanosecond; rendered frame by frame, every cut
still lands on its frame (tests/integration/test_export_engines.py). A wrong frame before a cut
does appear when GES renders through an *encoder* on a loaded machine: GES can flush the last
frame of a clip out of the encoder's queue when it switches to the next clip, and encodebin's
videorate fills the hole by repeating the next frame. That is a race inside GES, not in the
file; rendering to raw video (``-f video/x-matroska:video/x-raw``) never loses a frame.

Fades are left out: GES refuses the empty gap previz draws a fade against ("Could not add
clip"), and the adapter has no other form for a fade from or to black.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
from otio_xges_adapter import xges as adapter  # type: ignore[import-untyped]

from previz.timeline.fades import without_fades
from previz.timeline.rates import timeline_rate


def write(timeline: otio.schema.Timeline, path: Path, *, width: int, height: int) -> None:
    """Write ``timeline`` as .xges at its own rate and ``width`` x ``height``."""
    rate = timeline_rate(timeline)
    prepared = without_fades(timeline)  # GES cannot load the empty gap a fade runs against
    prepared.tracks.metadata[adapter.META_NAMESPACE] = {"tracks": _tracks(rate, width, height)}
    otio.adapters.write_to_file(prepared, str(path), adapter_name="xges")


def _tracks(rate: Fraction, width: int, height: int) -> list[adapter.XgesTrack]:
    video = adapter.XgesTrack.new_from_track_type(adapter.GESTrackType.VIDEO)
    caps = (
        f"video/x-raw, framerate=(fraction){rate.numerator}/{rate.denominator}, "
        f"width=(int){width}, height=(int){height}"
    )
    video.properties.set("restriction-caps", "string", caps)
    audio = adapter.XgesTrack.new_from_track_type(adapter.GESTrackType.AUDIO)
    return [video, audio]
