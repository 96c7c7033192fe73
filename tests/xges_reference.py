"""The .xges path previz used before its own serialiser: OTIO's xges adapter, then an lxml pass.

Kept only in the tests, byte for byte as it was in ``previz/timeline/xges.py`` (up to commit
594adc0), so ``tests/unit/test_timeline_xges.py`` can prove the serialiser writes the same
document for the timelines previz makes. It is slow (the adapter is quadratic in a track's
length: ~48 s of CPU at 2,000 shots), so the tests feed it small cuts.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
from lxml import etree
from otio_xges_adapter import xges as adapter  # type: ignore[import-untyped]

from previz.timeline.fades import fade_frames, without_fades
from previz.timeline.rates import timeline_rate


def write_reference(timeline: otio.schema.Timeline, path: Path, *, width: int, height: int) -> None:
    """Write ``timeline`` as .xges the old way: the adapter, then fades and caps by lxml."""
    rate = timeline_rate(timeline)
    prepared = without_fades(timeline)  # GES cannot load the empty gap a fade runs against
    prepared.tracks.metadata[adapter.META_NAMESPACE] = {"tracks": _tracks(rate, width, height)}
    otio.adapters.write_to_file(prepared, str(path), adapter_name="xges")
    fades = _fades(timeline, rate)
    if fades:
        tree = etree.parse(str(path))
        for clip in tree.iter("clip"):
            asset, start = clip.get("asset-id", ""), int(clip.get("start", "-1"))
            # the adapter sums float seconds: its start may be a few ns off ours
            fade = next((f for (url, at), f in fades.items()
                         if url == asset and abs(at - start) < 1_000_000), None)  # fmt: skip
            if fade is not None and clip.get("track-types") == "4":
                _fade_binding(clip, *fade)
        tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def _fades(
    timeline: otio.schema.Timeline, rate: Fraction
) -> dict[tuple[str, int], tuple[int, int, int, int]]:
    """Each faded picture clip by (media URL, start in ns): its in point, length, fade in and
    fade out, in nanoseconds, as the adapter writes clip times."""
    found: dict[tuple[str, int], tuple[int, int, int, int]] = {}
    for track in timeline.video_tracks():
        for clip in track.find_clips(shallow_search=True):
            fade_in, fade_out = fade_frames(track, clip)
            reference = clip.media_reference
            if not (fade_in or fade_out) or not isinstance(
                reference, otio.schema.ExternalReference
            ):
                continue
            start = _ns(clip.trimmed_range_in_parent().start_time)
            source = clip.trimmed_range()
            found[(str(reference.target_url), start)] = (
                _ns(source.start_time), _ns(source.duration),
                int(fade_in * 1_000_000_000 / rate), int(fade_out * 1_000_000_000 / rate),
            )  # fmt: skip
    return found


def _ns(time: otio.opentime.RationalTime) -> int:
    return int(time.to_seconds() * 1_000_000_000)  # how the adapter writes every time


def _fade_binding(clip: etree._Element, inpoint: int, length: int, fade_in: int, fade_out: int
                  ) -> None:  # fmt: skip
    """Key the clip's ``alpha`` (over GES's black background) from 0 up, or down to 0."""
    keys = []
    if fade_in:
        keys += [(inpoint, 0.0), (inpoint + fade_in, 1.0)]
    if fade_out:
        end = inpoint + length
        keys += [(end - fade_out, 1.0), (end, 0.0)]
    source = etree.SubElement(clip, "source", {"track-id": "0",
                                               "children-properties": "properties;"})  # fmt: skip
    etree.SubElement(source, "binding", {
        "type": "direct", "source_type": "interpolation", "property": "alpha", "mode": "1",
        "track_id": "0", "values": " " + " ".join(f"{t}:{v:g}" for t, v in keys) + " ",
    })  # fmt: skip


def _tracks(rate: Fraction, width: int, height: int) -> list[adapter.XgesTrack]:
    video = adapter.XgesTrack.new_from_track_type(adapter.GESTrackType.VIDEO)
    caps = (
        f"video/x-raw, framerate=(fraction){rate.numerator}/{rate.denominator}, "
        f"width=(int){width}, height=(int){height}"
    )
    video.properties.set("restriction-caps", "string", caps)
    audio = adapter.XgesTrack.new_from_track_type(adapter.GESTrackType.AUDIO)
    return [video, audio]
