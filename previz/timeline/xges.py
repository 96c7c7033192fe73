"""GStreamer Editing Services (.xges), written in one pass by our own serialiser.

The document is the one ``otio_xges_adapter`` 1.0 writes for a previz cut, with previz's two
fixes, byte for byte (``tests/unit/test_timeline_xges.py`` compares it with the old path, kept in
``tests/xges_reference.py``); the adapter deep-copies the timeline, searches its assets and
names per clip and pretty-prints through minidom: 48 s of CPU at 2,000 shots, this 0.4 s.

- **Layers**: one per OTIO track, the last track first (GES gives layer 0 the top priority);
  a clip is a ``GESUriClip`` of its media's ``<asset>``, a dissolve a ``crossfade``
  ``GESTransitionClip`` overlapping its neighbours, a gap or a placeholder (a
  ``MissingReference``) no clip at all. Times are nanoseconds as the adapter writes them,
  ``int(seconds * 1e9)`` summed along the layer: this truncates 23.976 fps frame boundaries by
  under a nanosecond, and GES 1.22 still renders every cut on its frame
  (tests/integration/test_export_engines.py).
- **Caps**: the adapter hard-codes the video track's restriction caps to 30 fps, so GES
  (``ges-launch-1.0``, Pitivi) rendered a 24 fps cut at 30 fps and sampled the wrong source
  frames; the caps here carry the project's exact rate (24000/1001) and frame size.
- **Fades**: GES refuses the empty gap previz draws a fade against ("Could not add clip"), so
  fades and their gaps are left out of the layers and each faded clip gets GES's own form of a
  fade: its ``alpha`` keyed from 0 to 1 (or 1 to 0) over the black background, as a
  ``<binding>``. The old path added these in an lxml pass over the adapter's file, so a
  document with fades is laid out as lxml re-wrote it (its declaration, no final newline).
- **Markers**: every clip's and track's markers move to the timeline (record time), into one
  ``GESMarkerList`` ordered by position; a marker with a length marks both its ends. (The old
  path lost a *track's* markers: its fade pass rebuilt each track without them. previz puts
  none there; an editor's are kept.)

Only what a previz timeline holds is written; anything else (effects, nested stacks, image
sequences, trimmed tracks, metadata from a read .xges, a picture and a sound track the adapter
would have merged into one layer) is a :class:`TimelineError`, not a quietly different
project. GES cannot play speed changes (``TimeEffect``): they are left out, as the adapter did.
A wrong frame before a cut can appear when GES renders through an *encoder* on a loaded machine
(a race inside GES: it flushes a clip's last frame when it switches clips); rendering to raw
video (``-f video/x-matroska:video/x-raw``) never loses a frame.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import opentimelineio as otio

from previz.errors import TimelineError
from previz.timeline import gst, serialised, xges_stored
from previz.timeline.fades import items_without_fades, track_fade_frames
from previz.timeline.rates import timeline_rate
from previz.timeline.xges_stored import GST_SECOND, media_end
from previz.timeline.xges_stored import time_ns as _ns

TRACK_TYPES = {otio.schema.TrackKind.Video: 4, otio.schema.TrackKind.Audio: 2}  # GESTrackType
_CONTROL = re.compile(r"[\x00-\x1f]")
_EMPTY = ' properties="properties;" metadatas="metadatas;"'


def write(timeline: otio.schema.Timeline, path: Path, *, width: int, height: int) -> None:
    """Write ``timeline`` as .xges at its own rate and ``width`` x ``height``."""
    path.write_bytes(document(timeline, width=width, height=height).encode("utf-8"))


def document(timeline: otio.schema.Timeline, *, width: int, height: int) -> str:
    """The .xges document of ``timeline``: the adapter's, with exact caps and fade bindings."""
    stack = timeline.tracks
    if stack.source_range is not None or stack.effects:
        raise _unsupported("a trimmed top-level stack or an effect on it")
    rate = timeline_rate(timeline)
    stored = serialised.tracks(timeline)  # each plain clip read from it (xges_stored)
    tracks = [_track(child, stored[n] if len(stored) == len(stack) else None)
              for n, child in enumerate(stack)]  # fmt: skip
    _refuse_merged(tracks)
    layers, assets, faded = _Layers(rate).write(tracks)
    name = timeline.name or stack.name
    project = f"metadatas, name=(string){gst.string(name)};" if name else "metadatas;"
    markers = _markers(stack, tracks)
    head = [
        '<ges version="0.6">',
        f'  <project properties="properties;" metadatas="{gst.attribute(project)}">',
        *(["    <ressources>", *assets, "    </ressources>"] if assets else ["    <ressources/>"]),
        f'    <timeline properties="properties;" metadatas="{gst.attribute(markers)}">',
        *_caps(rate, width, height),
    ]
    tail = ["    </timeline>", "  </project>", "</ges>"]
    if faded:  # laid out as lxml re-wrote the adapter's file in the old fade pass
        return "<?xml version='1.0' encoding='UTF-8'?>\n" + "\n".join(head + layers + tail)
    return '<?xml version="1.0" ?>\n' + "\n".join(head + layers + tail) + "\n"


def _unsupported(what: str) -> TimelineError:
    return TimelineError(
        f"the .xges writer does not support {what}",
        hint="export a timeline previz assembled (or another format: .otio keeps everything)",
    )


class _Track(NamedTuple):
    """A track and the children GES gets: all but fades and the empty gaps they run against;
    the fades of each of its clips, in order; each child as stored (``None``: unknown)."""

    track: otio.schema.Track
    items: list[otio.core.Composable]
    fades: list[tuple[int, int]]
    data: list[serialised.Data | None]


def _track(child: otio.core.Composable, stored: serialised.Data | None) -> _Track:
    if not isinstance(child, otio.schema.Track) or child.source_range is not None:
        raise _unsupported(f"{child.schema_name()} {child.name!r} directly in the stack")
    if child.kind not in TRACK_TYPES or child.effects or _from_xges(child):
        raise _unsupported(f"track {child.name!r} (kind {child.kind}, effects or GES metadata)")
    video = child.kind == otio.schema.TrackKind.Video
    children = list(child)
    items = items_without_fades(child, children)
    data: list[serialised.Data | None] = [None] * len(items)
    if stored is not None and len(stored["children"]) == len(children):  # each by its place
        places = {id(item): n for n, item in enumerate(children)}
        data = [stored["children"][places[id(item)]] for item in items]
    return _Track(child, items, track_fade_frames(child) if video else [], data)


def _refuse_merged(tracks: Sequence[_Track]) -> None:
    """Refuse neighbouring tracks the adapter made one layer of: of different kinds but
    otherwise the same (a clip's picture and its sound, as some NLEs lay them out)."""
    for upper, lower in zip(tracks[1:], tracks, strict=False):
        if upper.track.kind == lower.track.kind or upper.track.name != lower.track.name:
            continue
        if _bare(upper).is_equivalent_to(_bare(lower)):
            raise _unsupported(f"a picture and a sound track that are both {upper.track.name!r}")


def _bare(layer: _Track) -> otio.schema.Track:
    """The track as the adapter compared it: its name and items, without their metadata."""
    copy = otio.schema.Track(name=layer.track.name)
    for item in layer.items:
        clone = item.deepcopy()
        clone.metadata.clear()
        copy.append(clone)
    return copy


def _caps(rate: Fraction, width: int, height: int) -> list[str]:
    """The video and audio ``<track>``: the adapter's defaults, the video's restriction caps
    at the project's exact rate and frame size."""
    restriction = (
        f"video/x-raw, framerate=(fraction){rate.numerator}/{rate.denominator}, "
        f"width=(int){width}, height=(int){height}"
    )
    video = f"properties, mixing=(boolean)true, restriction-caps=(string){gst.string(restriction)};"
    return [
        f'      <track caps="video/x-raw(ANY)" track-type="4" track-id="0" '
        f'properties="{gst.attribute(video)}" metadatas="metadatas;"/>',
        '      <track caps="audio/x-raw(ANY)" track-type="2" track-id="1" '
        'properties="properties, mixing=(boolean)true;" metadatas="metadatas;"/>',
    ]


class _Layers:
    """The ``<layer>`` elements, the ``<asset>`` of each media file, in the adapter's order."""

    def __init__(self, rate: Fraction) -> None:
        self.rate = rate
        self.assets: list[str] = []
        self.asset_ids: set[str] = set()
        self.names: set[str] = set()
        self.next_suffix: dict[str, int] = {}
        self.clip_id = 0
        self.faded = False

    def write(self, tracks: Sequence[_Track]) -> tuple[list[str], list[str], bool]:
        """The layers (lines), the assets (lines) and whether a clip fades."""
        lines: list[str] = []
        for priority, track in enumerate(reversed(tracks)):
            clips = self._layer(track, priority)
            open_tag = f'      <layer priority="{priority}"{_EMPTY}'
            lines += [open_tag + ">", *clips, "      </layer>"] if clips else [open_tag + "/>"]
        return lines, self.assets, self.faded

    def _layer(self, layer: _Track, priority: int) -> list[str]:
        track, kept = layer.track, layer.items
        fades = iter(layer.fades)
        lines: list[str] = []
        end = 0
        for position, item in enumerate(kept):
            before = kept[position - 1] if position else None
            after = kept[position + 1] if position + 1 < len(kept) else None
            url = xges_stored.plain_clip(layer.data[position])  # then read from its JSON
            plain = layer.data[position] if url is not None else None
            own = xges_stored.trimmed(plain) if plain is not None else None
            start, duration, inpoint, end = _times(item, before, after, end, own)
            fade = next(fades, (0, 0)) if isinstance(item, otio.schema.Clip) else (0, 0)
            asset, kind = ((self._media_asset(item, url, plain), "GESUriClip") if plain is not None
                           else self._asset(item, before, after))  # fmt: skip
            if asset is None:
                continue
            name = self._unique_name(plain["name"] or "Clip" if plain is not None
                                     else item.name or item.schema_name())  # fmt: skip
            line = (
                f'        <clip id="{self.clip_id}" asset-id="{gst.attribute(asset)}" '
                f'type-name="{kind}" '
                f'track-types="{TRACK_TYPES[track.kind]}" layer-priority="{priority}" '
                f'start="{start}" rate="0" inpoint="{inpoint}" duration="{duration}" '
                f'properties="{gst.attribute(f"properties, name=(string){gst.string(name)};")}" '
                f'metadatas="metadatas;"'
            )
            self.clip_id += 1
            fade = fade if kind == "GESUriClip" else (0, 0)
            lines.append(line + (_fade_binding(item, *fade, self.rate) if any(fade) else "/>"))
            self.faded = self.faded or any(fade)
        return lines

    def _asset(
        self, item: otio.core.Composable, before: object, after: object
    ) -> tuple[str | None, str]:
        """The clip's asset id and GES type; no id for a gap (no clip is written)."""
        if isinstance(item, otio.schema.Transition):
            if _from_xges(item):
                raise _unsupported(f"GES metadata on transition {item.name!r}")
            # the adapter's two-way map: any other transition type becomes a crossfade
            asset = "SMPTE_Dissolve" if item.transition_type == "crossfade" else "crossfade"
            return asset, "GESTransitionClip"
        if isinstance(item, otio.schema.Clip) and not _is_placeholder(item):
            return self._media_asset(item), "GESUriClip"
        if not isinstance(item, otio.schema.Gap | otio.schema.Clip):
            raise _unsupported(f"{item.schema_name()} {item.name!r} in a track")
        _check_item(item)
        if isinstance(before, otio.schema.Transition) or isinstance(after, otio.schema.Transition):
            return "GESTitleClip", "GESTitleClip"  # GES transitions need a clip on each side
        return None, ""

    def _media_asset(
        self, clip: otio.schema.Clip, url: str | None = None, data: serialised.Data | None = None
    ) -> str:
        """The clip's asset id: ``url`` of a plain clip ``data``, else checked and read."""
        if url is None or data is None:
            _check_item(clip)
            url = str(clip.media_reference.target_url)
        if url not in self.asset_ids:
            if _CONTROL.search(url):  # minidom wrote it raw: the old path's file was not XML
                raise _unsupported(f"a control character in the media URL of clip {clip.name!r}")
            self.asset_ids.add(url)
            duration = (xges_stored.media_duration(data) if data is not None
                        else media_end(clip.media_reference.available_range))  # fmt: skip
            properties = "properties;"
            if duration is not None:
                properties = f"properties, duration=(guint64){duration};"
            self.assets.append(
                f'      <asset id="{gst.attribute(url)}" extractable-type-name="GESUriClip" '
                f'properties="{properties}" metadatas="metadatas;"/>'
            )
        return url

    def _unique_name(self, name: str) -> str:
        """``name``, or ``name_1``, ``name_2``… (the first not taken in the project)."""
        if name not in self.names:
            self.names.add(name)
            return name
        suffix = self.next_suffix.get(name, 1)
        while f"{name}_{suffix}" in self.names:
            suffix += 1
        self.next_suffix[name] = suffix + 1
        self.names.add(f"{name}_{suffix}")
        return f"{name}_{suffix}"


def _is_placeholder(clip: otio.schema.Clip) -> bool:
    """A shot with no media (failed, not generated): a gap to GES."""
    reference = clip.media_reference
    if isinstance(reference, otio.schema.MissingReference):
        return True
    if type(reference) is not otio.schema.ExternalReference:
        raise _unsupported(f"the {reference.schema_name()} of clip {clip.name!r}")
    return False


def _check_item(item: otio.core.Item) -> None:
    """Effects GES could play and metadata from a read .xges are not written: refuse them."""
    effects = item.effects
    if effects and any(not isinstance(effect, otio.schema.TimeEffect) for effect in effects):
        raise _unsupported(f"an effect on {item.name!r}")
    if _from_xges(item) or (
        isinstance(item, otio.schema.Clip) and _from_xges(item.media_reference)
    ):
        raise _unsupported(f"GES metadata on {item.name!r} (from a read .xges)")


def _from_xges(thing: otio.core.SerializableObjectWithMetadata) -> bool:
    """True when ``thing`` carries the adapter's metadata (it was read from a .xges)."""
    metadata = thing.metadata
    size = len(metadata)  # a missing key costs OTIO ~20 µs (a C++ exception): ask only if needed
    return not (size == 0 or (size == 1 and "previz" in metadata)) and "XGES" in metadata


def _times(
    item: otio.core.Composable, before: object, after: object, end: int,
    own: tuple[int, int] | None = None,
) -> tuple[int, int, int, int]:  # fmt: skip
    """Start, duration and in point of ``item``'s clip, and where the item ends (all in ns):
    a clip overlaps a transition on either side, which starts ``in_offset`` before the cut.
    ``own``: the item's in point and duration when known already."""
    if isinstance(item, otio.schema.Transition):
        in_offset = _ns(item.in_offset)
        return end - in_offset, in_offset + _ns(item.out_offset), 0, end
    if own is None:
        trimmed = item.trimmed_range()
        own = _ns(trimmed.start_time), _ns(trimmed.duration)
    start, duration, inpoint = end, own[1], own[0]
    end += duration
    if isinstance(before, otio.schema.Transition):
        in_offset = _ns(before.in_offset)
        start, duration, inpoint = start - in_offset, duration + in_offset, inpoint - in_offset
    if isinstance(after, otio.schema.Transition):
        duration += _ns(after.out_offset)
    return start, duration, inpoint, end


def _fade_binding(clip: otio.schema.Clip, fade_in: int, fade_out: int, rate: Fraction) -> str:
    """Key the clip's ``alpha`` (over GES's black background) from 0 up, or down to 0."""
    source = clip.trimmed_range()
    inpoint, length = _ns(source.start_time), _ns(source.duration)
    keys: list[tuple[int, float]] = []
    if fade_in:
        keys += [(inpoint, 0.0), (inpoint + int(fade_in * GST_SECOND / rate), 1.0)]
    if fade_out:
        keys += [(inpoint + length - int(fade_out * GST_SECOND / rate), 1.0),
                 (inpoint + length, 0.0)]  # fmt: skip
    values = " " + " ".join(f"{t}:{v:g}" for t, v in keys) + " "
    return (
        '><source track-id="0" children-properties="properties;"><binding type="direct" '
        'source_type="interpolation" property="alpha" mode="1" track_id="0" '
        f'values="{values}"/></source></clip>'
    )


def _markers(stack: otio.schema.Stack, tracks: Sequence[_Track]) -> str:
    """The timeline's metadatas: every marker of the stack, its tracks and their items, at
    record time, as one GESMarkerList (none: an empty structure)."""
    found: list[gst.Marker] = []
    seen: set[gst.Marker] = set()

    def add(marker: otio.schema.Marker, start: otio.opentime.RationalTime) -> None:
        if marker.color not in gst.MARKER_ARGB:
            raise _unsupported(f"marker {marker.name!r} of colour {marker.color!r}")
        at, length = _ns(start), _ns(marker.marked_range.duration)
        for position in (at, at + length) if length else (at,):
            if position < 0:
                raise TimelineError(
                    f"marker {marker.name!r} lies {-position / GST_SECOND:.3f} s before the "
                    "timeline starts: GES cannot hold it",
                    hint="move the marker inside its clip's trimmed range, or remove it",
                )
            key = (position, marker.color, marker.name or None)
            if key not in seen:  # the adapter keeps one marker per position, colour and name
                seen.add(key)
                found.append(key)

    for marker in stack.markers:
        add(marker, marker.marked_range.start_time)
    for index, (track, items, _fades, _data) in enumerate(tracks):
        offset = stack.range_of_child_at_index(index).start_time
        track_start = track.trimmed_range().start_time
        for marker in track.markers:
            add(marker, marker.marked_range.start_time - track_start + offset)
        for item, at in _item_starts(items):
            for marker in item.markers:
                in_track = (
                    marker.marked_range.start_time - item.trimmed_range().start_time + at
                    if at is not None
                    else item.transformed_time(marker.marked_range.start_time, track)
                )
                add(marker, in_track - track_start + offset)
    if not found:
        return "metadatas;"
    found.sort(key=lambda marker: marker[0])  # stable: GESMarkerList.add keeps arrival order
    return f"metadatas, markers=(GESMarkerList){gst.marker_list(found)};"


def _item_starts(
    items: Sequence[otio.core.Composable],
) -> list[tuple[otio.core.Item, otio.opentime.RationalTime | None]]:
    """Each item with markers and where it starts in its track, summed as OTIO's
    ``range_of_child`` sums it (None once the items' rates differ: OTIO is asked instead)."""
    starts: list[tuple[otio.core.Item, otio.opentime.RationalTime | None]] = []
    value, rate, uniform = 0.0, None, True
    for item in items:
        if isinstance(item, otio.schema.Transition):
            continue
        duration = item.duration()
        uniform = uniform and rate in (None, duration.rate)
        rate = duration.rate
        if item.markers:
            at = otio.opentime.RationalTime(value, rate) if uniform else None
            starts.append((item, at))
        value += duration.value
    return starts
