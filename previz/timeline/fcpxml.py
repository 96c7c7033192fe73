"""Final Cut Pro X XML (FCPXML 1.8), written here, valid against Apple's DTD at every rate.

``otio_fcpx_xml_adapter`` 1.0 cannot write a previz cut: it crashes at 24000/1001 (it keeps
rates as integers), crashes when a track below the storyline ends before the others, drops
transitions and timeline markers, writes a ``<format>`` without width/height (it runs ffprobe on
the media at export time to name it), no library or event, and ``uid=""``. So this module
writes the document itself, in the shape Final Cut and Resolve import:

- ``resources``: one ``format`` with the project's exact frame duration (1001/24000s) and size;
  one ``asset`` per media file, with ``src`` (file URL or relative path), describing the file
  itself: a WAV stem has no video format, a video file with sound says ``hasAudio="1"``;
- the first spine item sits at ``offset`` = the sequence's ``tcStart`` (01:00:00:00 → 3600s),
  as Final Cut writes it;
- sound clips carry their role (``audioRole``: dialogue, effects, music, with subroles);
- ``library`` → ``event`` → ``project`` → ``sequence`` (timecode start, NDF) → ``spine``;
- the top video track (the selected takes) is the primary storyline; dissolves are
  ``transition`` elements between its clips; gaps are ``gap`` elements; a fade in or out at
  the storyline's start or end is a ``transition`` there (Final Cut's fade from/to black);
- every other track is connected to the storyline *below* it (negative lanes): first the
  lower video tracks (alternate takes, hidden under the storyline), then the audio tracks;
- clip markers stay on their clip; a timeline marker goes on the storyline item under it (FCP
  has no sequence markers); a marker's comment is its ``note``;
- each clip's ``metadata["previz"]`` is kept as JSON in ``<metadata><md key="previz">``.

Version 1.8 keeps ``src`` on the asset, which OTIO's reader (and older Final Cut) understands.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz.timeline import fcpxml_assets, serialised
from previz.timeline.facts import facts_json
from previz.timeline.fades import is_black
from previz.timeline.fcpxml_assets import Asset
from previz.timeline.fragments import Fragments, key
from previz.timeline.rates import frames_of, timeline_rate
from previz.timeline.vectors import items_of
from previz.timeline.xmltree import Element, Verbatim, lines_of, pretty_document, sub_element

Data = serialised.Data

VERSION = "1.8"


@dataclass
class _Document:
    rate: Fraction
    resources: Element
    relative_to: Path | None
    assets: dict[str, Asset] = field(default_factory=dict)  # by src
    times: dict[int, str] = field(default_factory=dict)  # frames -> time string
    fragments: Fragments = field(default_factory=lambda: Fragments(None))
    per_second: float = 0.0  # the rate as a float, for frames_of

    def __post_init__(self) -> None:
        self.per_second = float(self.rate)

    def time(self, frames: int) -> str:
        """``frames`` as an FCPXML rational time string."""
        text = self.times.get(frames)
        if text is None:
            text = self.times[frames] = self._time(frames)
        return text

    def _time(self, frames: int) -> str:
        if frames == 0:
            return "0s"
        value = Fraction(frames) / self.rate
        if value.denominator == 1:
            return f"{value.numerator}s"
        return f"{frames * self.rate.denominator}/{self.rate.numerator}s"

    def frames(self, time: otio.opentime.RationalTime) -> int:
        return frames_of(time, self.per_second)


def write(
    timeline: otio.schema.Timeline,
    path: Path,
    *,
    width: int,
    height: int,
    relative_to: Path | None = None,
    fragments: Fragments | None = None,
) -> None:
    """Write ``timeline`` as FCPXML 1.8 at its own rate and ``width`` x ``height``; each
    storyline item (with what is connected to it) is a fragment reused from ``fragments``."""
    rate = timeline_rate(timeline)
    root = Element("fcpxml", version=VERSION)
    resources = sub_element(root, "resources")
    document = _Document(rate, resources, relative_to)
    sub_element(
        resources, "format", id="r1", name=f"previz {width}x{height} {float(rate):.3f}",
        frameDuration=document.time(1), width=str(width), height=str(height),
    )  # fmt: skip
    library = sub_element(root, "library")
    event = sub_element(library, "event", name=timeline.name or "previz")
    project = sub_element(event, "project", name=timeline.name or "previz")
    start = timeline.global_start_time
    sequence = sub_element(
        project, "sequence", format="r1",
        duration=document.time(document.frames(timeline.tracks.duration())),
        tcStart=document.time(document.frames(start) if start is not None else 0),
        tcFormat="NDF", audioLayout="stereo", audioRate="48k",
    )  # fmt: skip
    spine = sub_element(sequence, "spine")
    stored, digests = serialised.tracks_and_digests(timeline)
    # without the items' digests nothing can be keyed: every fragment is rendered
    document.fragments = fragments if fragments is not None and digests else Fragments(None)
    storyline, connected = _arrange(timeline, stored, digests)
    # Final Cut places the first spine item at the sequence's tcStart, not at 0
    first = document.frames(start) if start is not None else 0
    total = document.frames(timeline.tracks.duration())
    index = _Storyline(_write_storyline(document, spine, storyline, first, total))
    for lane, track, stored_track, own in connected:
        _connect_track(document, index, track, stored_track, own, lane, first)
    for marker in timeline.tracks.markers:
        _attach_marker(document, index, marker, first)
    path.write_bytes(pretty_document(root, "<!DOCTYPE fcpxml>"))


_Track = tuple[otio.schema.Track, Data, list[str]]  # a track, as stored, its items' digests


def _arrange(
    timeline: otio.schema.Timeline, stored: list[Data], digests: list[list[str]] | None
) -> tuple[_Track | None, list[tuple[int, otio.schema.Track, Data, list[str]]]]:
    """The storyline (top video track) and every other track with its lane below it, each
    with its items as OTIO's JSON holds them (``stored``: the timeline's tracks, in order) and
    their digests."""
    own = digests if digests is not None else [[""] * len(t["children"]) for t in stored]
    tracks = list(zip(timeline.tracks, stored, own, strict=True))
    video = [t for t in tracks if t[0].kind == otio.schema.TrackKind.Video]
    audio = [t for t in tracks if t[0].kind != otio.schema.TrackKind.Video]
    storyline = video[-1] if video else None
    below = list(reversed(video[:-1])) + audio
    return storyline, [(-(index + 1), *track) for index, track in enumerate(below)]


ROLES = {"dialogue": "dialogue.dialogue-1", "sfx": "effects.effects-1",
         "ambience": "effects.ambience", "music": "music.music-1"}  # fmt: skip


def _role(track: otio.schema.Track) -> str | None:
    """The audio role of a sound track, from its name ("A1 dialogue" → dialogue)."""
    words = track.name.lower().split()
    return next((ROLES[w] for w in words if w in ROLES), None)


def _clip_element(
    document: _Document, clip: otio.schema.Clip, facts: Any, offset: int, lane: int | None,
    audio: bool, asset_id: str | None, role: str | None = None,
) -> Element:  # fmt: skip
    """``clip`` (whose ``metadata["previz"]`` is ``facts``, read from the stored cut) at
    ``offset``: an ``asset-clip`` of its file (``asset_id``), or a gap where it has none."""
    source = clip.trimmed_range()
    attributes = {
        "name": clip.name,
        "offset": document.time(offset),
        "start": document.time(document.frames(source.start_time)),
        "duration": document.time(document.frames(source.duration)),
    }
    if lane is not None:
        attributes["lane"] = str(lane)
    if asset_id is None:  # a shot not generated yet: a gap of the right length keeps the timing
        element = Element("gap", attributes)
    else:
        element = Element("asset-clip", {"ref": asset_id, **attributes})
        element.set("srcEnable", "audio" if audio else "video")
        element.set("tcFormat", "NDF")
        if role is not None:
            element.set("audioRole", role)
    for marker in items_of(clip.markers):
        _marker_element(document, element, marker, document.frames(marker.marked_range.start_time))
    if facts:
        metadata = sub_element(element, "metadata")
        sub_element(metadata, "md", key="previz", value=facts_json(facts))
    return element


def _marker_element(
    document: _Document, parent: Element, marker: otio.schema.Marker, at: int
) -> None:
    frames = max(document.frames(marker.marked_range.duration), 1)
    element = Element("marker", start=document.time(at), duration=document.time(frames),
                            value=marker.name)  # fmt: skip
    if marker.comment:
        element.set("note", marker.comment)
    metadata = parent.find("metadata")
    if metadata is not None:  # the DTD wants markers before a clip's metadata
        metadata.addprevious(element)
    else:
        parent.append(element)


class _Host(Verbatim):
    """A storyline item (a clip or a gap) with the clips connected to it and the timeline
    markers on it, written as one fragment: its key holds everything its lines are made of
    (the items' stored JSON by digest, offsets, lanes, roles, asset ids, the rate, the
    indent), so lines kept from the last write under the same key are these lines."""

    __slots__ = ("at", "document", "keys", "make", "parts", "start")

    def __init__(self, document: _Document, at: int, start: int,
                 make: Callable[[], Element], key: tuple[object, ...]) -> None:  # fmt: skip
        super().__init__("host")
        self.document, self.at, self.start, self.make = document, at, start, make
        self.keys: list[object] = [key]
        self.parts: list[Callable[[Element], None]] = []  # connected clips, then markers

    def add(self, key: tuple[object, ...], part: Callable[[Element], None]) -> None:
        self.keys.append(key)
        self.parts.append(part)

    def render(self, indent: str | None) -> str:
        fragment = key(str(self.document.rate), indent, *self.keys)
        return self.document.fragments.render(fragment, lambda: self._lines(indent or ""))

    def _lines(self, indent: str) -> str:
        element = self.make()
        for part in self.parts:
            part(element)
        return lines_of(element, indent)


def _write_storyline(
    document: _Document, spine: Element, storyline: _Track | None, first: int, total: int
) -> list[_Host]:
    """The storyline's items into ``spine``; its clips and gaps as hosts, in record order."""
    hosts: list[_Host] = []
    position = first
    items = list(storyline[0]) if storyline is not None else []
    stored = storyline[1]["children"] if storyline is not None else []
    own = storyline[2] if storyline is not None else []
    for index, item in enumerate(items):
        if is_black(item) and index in (0, len(items) - 1):
            continue  # a fade at the storyline's ends is a transition there, as FCP writes it
        if isinstance(item, otio.schema.Transition):
            before = document.frames(item.in_offset)
            length = before + document.frames(item.out_offset)
            sub_element(spine, "transition", name="Cross Dissolve",
                             offset=document.time(position - before),
                             duration=document.time(length))  # fmt: skip
            continue
        length = document.frames(item.duration())
        if isinstance(item, otio.schema.Clip):
            hosts.append(_clip_host(document, item, stored[index], own[index], position))
        else:
            hosts.append(_gap_host(document, position, length))
        spine.append(hosts[-1])
        position += length
    if position < first + total:  # connected clips need a storyline item under them
        hosts.append(_gap_host(document, position, first + total - position))
        spine.append(hosts[-1])
    return hosts


def _clip_host(
    document: _Document, clip: otio.schema.Clip, stored: Data, digest: str, position: int
) -> _Host:
    facts = serialised.facts(stored)
    asset_id = fcpxml_assets.asset_id(document, clip, stored, digest, False, facts)
    own_start = document.frames(clip.trimmed_range().start_time)
    return _Host(document, position, own_start,
                 lambda: _clip_element(document, clip, facts, position, None, False, asset_id),
                 ("clip", digest, position, asset_id))  # fmt: skip


def _gap_host(document: _Document, position: int, length: int) -> _Host:
    return _Host(document, position, 0,
                 lambda: Element("gap", name="Gap", offset=document.time(position), start="0s",
                                 duration=document.time(length)),
                 ("gap", position, length))  # fmt: skip


class _Storyline:
    """The storyline's items in record order, to find the one under a record frame quickly."""

    def __init__(self, hosts: list[_Host]) -> None:
        self.offsets = [host.at for host in hosts]
        self.hosts = hosts

    def host(self, at: int) -> tuple[_Host, int]:
        """The storyline item under record frame ``at``, and ``at`` in that item's own time."""
        index = max(bisect.bisect_right(self.offsets, at) - 1, 0)
        host = self.hosts[index]
        return host, host.start + at - host.at


def _connect_track(
    document: _Document, storyline: _Storyline, track: otio.schema.Track, stored: Data,
    own: list[str], lane: int, first: int,
) -> None:  # fmt: skip
    audio = track.kind == otio.schema.TrackKind.Audio
    role = _role(track) if audio else None
    items = stored["children"]
    for clip, index, start in _placed_clips(track):
        host, local = storyline.host(first + document.frames(start))
        facts = serialised.facts(items[index])
        asset_id = fcpxml_assets.asset_id(document, clip, items[index], own[index], audio, facts)
        host.add(("connected", own[index], local, lane, audio, role, asset_id),
                 functools.partial(_connect, document, clip, facts, local, lane, audio,
                                   asset_id, role))  # fmt: skip


def _connect(
    document: _Document, clip: otio.schema.Clip, facts: Any, local: int, lane: int,
    audio: bool, asset_id: str | None, role: str | None, host: Element,
) -> None:  # fmt: skip
    element = _clip_element(document, clip, facts, local, lane, audio, asset_id, role)
    markers = host.find("marker")
    anchor = markers if markers is not None else host.find("metadata")
    if anchor is not None:  # connected clips come before the host's markers and metadata
        anchor.addprevious(element)
    else:
        host.append(element)


def _placed_clips(
    track: otio.schema.Track,
) -> list[tuple[otio.schema.Clip, int, otio.opentime.RationalTime]]:
    """Each clip of ``track``, its index among the track's items, and where it starts in the
    track (``trimmed_range_in_parent``), from a running sum: asking OTIO per clip sums every
    earlier item again (O(n²) in the track)."""
    children = list(track)
    durations = [None if isinstance(c, otio.schema.Transition) else c.duration() for c in children]
    if track.source_range is not None or len({d.rate for d in durations if d is not None}) > 1:
        return [(c, n, c.trimmed_range_in_parent().start_time)
                for n, c in enumerate(children) if isinstance(c, otio.schema.Clip)]  # fmt: skip
    placed = []
    position: otio.opentime.RationalTime | None = None
    for index, (child, duration) in enumerate(zip(children, durations, strict=True)):
        if duration is None:
            continue  # a transition overlaps its neighbours and takes no time of its own
        position = otio.opentime.RationalTime(0, duration.rate) if position is None else position
        if isinstance(child, otio.schema.Clip):
            placed.append((child, index, position))
        position = position + duration
    return placed


def _attach_marker(
    document: _Document, storyline: _Storyline, marker: otio.schema.Marker, first: int
) -> None:
    host, local = storyline.host(first + document.frames(marker.marked_range.start_time))
    duration = document.frames(marker.marked_range.duration)
    host.add(("marker", marker.name, marker.comment, duration, local),
             lambda element: _marker_element(document, element, marker, local))  # fmt: skip
