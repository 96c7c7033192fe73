"""The CMX 3600 event text of one track, as ``otio_cmx3600_adapter`` writes it, in one pass.

The adapter's ``EDLWriter`` (premiere style, the one :mod:`previz.timeline.edl` uses) places
each event with ``transformed_time_range``, which sums the durations of every earlier item of
the track: O(n²) in the track's length (7.6 s for the six tracks of a 2,000-shot cut). It also
deep-copies the track and reads clip metadata through OTIO's Python mapping layer per event.

:func:`event_text` writes the same text — the same dissolve adjustment (the outgoing clip
shortened by the transition's ``in_offset``, the incoming one lengthened), the same event
lines, timecodes (``to_timecode`` with the rate's inferred drop-frame mode), reels and comment
lines, including the adapter's quirks (a clip's ``OTIO TRUNCATED REEL NAME`` comment only the
first time its comments are written; a dissolve's reel made from the incoming file's name) —
with record times from running sums. It covers the tracks previz makes: clips with file
references, gaps and single transitions, every time at the EDL's rate, no effects and no CDL
or CMX metadata on a clip. For anything else it returns ``None`` and the adapter writes the
track (``tests/unit/test_timeline_edl_events.py`` compares the two on many tracks).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange
from opentimelineio.schema import Clip, Gap, Transition

from previz.timeline import serialised
from previz.timeline.vectors import has_key, items_of

REEL_LENGTH = 8  # the adapter's default ``reelname_len``


@dataclass
class _Line:
    """One event line: reel, source and record range, dissolve length (0: a cut)."""

    reel: str
    source_in: RationalTime
    source_out: RationalTime
    record_in: RationalTime
    record_out: RationalTime
    dissolve: RationalTime | None = None


_Note = tuple[otio.core.Composable, str, bool]  # a clip, FROM or TO, its first comments


@dataclass
class _Event:
    lines: list[_Line]
    notes: list[_Note]  # whose comment lines follow the event lines, in order
    clip: otio.core.Composable  # the incoming item (what a following dissolve starts from)

    @property
    def last(self) -> _Line:
        return self.lines[-1]


@dataclass
class Events:
    """A track's events, each written on its own by :meth:`text`."""

    writer: _Writer
    events: list[_Event]
    kind: str  # the track's

    def text(self, number: int) -> str:
        """The lines of event ``number`` (from 1), each ending with a newline."""
        event = self.events[number - 1]
        lines = [self.writer.line(line, number, self.kind) for line in event.lines]
        for clip, direction, first in event.notes:
            lines += self.writer.comments(clip, direction, first)
        return "\n".join(lines) + "\n"

    def regular(self) -> bool:
        """Whether every event line reads back as one (no reel with a space or empty)."""
        return all(
            line.reel.rstrip() and " " not in line.reel.rstrip()
            for event in self.events for line in event.lines
        )  # fmt: skip

    def key(self, number: int, digests: dict[int, str]) -> tuple[object, ...]:
        """What event ``number``'s text is made of: its lines' reels, times and dissolve, and
        each commented clip (by ``digests``: the clips' own JSON digests, by ``id``)."""
        event = self.events[number - 1]
        lines = [
            (line.reel, line.source_in.value, line.source_in.rate, line.source_out.value,
             line.source_out.rate, line.record_in.value, line.record_in.rate,
             line.record_out.value, line.record_out.rate, _value(line.dissolve))
            for line in event.lines
        ]  # fmt: skip
        notes = [(digests[id(clip)], direction, first) for clip, direction, first in event.notes]
        return (number, self.kind, self.writer.rate, lines, notes)


def _value(time: RationalTime | None) -> tuple[float, float] | None:
    return None if time is None else (time.value, time.rate)


def event_text(
    items: list[otio.core.Composable], track: otio.schema.Track, rate: float, title: str
) -> str | None:
    """The adapter's text for a track holding ``items``, or ``None`` outside what this covers."""
    planned = events_of(items, track, rate)
    if planned is None:
        return None
    content = f"TITLE: {title}\n\n" if title else ""
    for number in range(1, len(planned.events) + 1):
        content += planned.text(number)
    return content


def events_of(
    items: list[otio.core.Composable], track: otio.schema.Track, rate: float,
    stored: dict[int, Any] | None = None,
) -> Events | None:  # fmt: skip
    """The events of a track holding ``items`` (none when it is disabled), or ``None`` outside
    what this covers. ``stored``: the items' JSON by ``id`` (where known), read instead of
    asking OTIO's bindings whether a clip is a plain one."""
    if not _covered(items, track, rate, stored or {}):
        return None
    children = list(items)
    if isinstance(children[-1], Transition):  # the adapter closes a last dissolve with a gap
        closing = TimeRange(start_time=children[-1].duration(), duration=RationalTime(0.0, rate))
        children.append(Gap(source_range=closing))
    # a transition takes no record time: its entry is never read
    ranges = [TimeRange() if isinstance(c, Transition) else c.source_range for c in children]
    dissolves: dict[int, RationalTime] = {}
    for index, child in enumerate(children):
        if isinstance(child, Transition):
            if index != 0:
                ranges[index - 1] = ranges[index - 1].duration_extended_by(-child.in_offset)
            after = ranges[index + 1]
            ranges[index + 1] = TimeRange(after.start_time - child.in_offset,
                                          after.duration + child.in_offset)  # fmt: skip
            dissolves[index] = child.out_offset + child.in_offset
    writer = _Writer(rate)
    events: list[_Event] = []
    record = RationalTime(0, rate)
    for index, child in enumerate(children):
        if isinstance(child, Transition):
            continue
        source = ranges[index]
        duration = source.duration
        start, record = record, record + duration  # where it is placed: start to record
        if index > 0 and isinstance(children[index - 1], Transition):
            before = events[-1] if events else None
            placed = TimeRange(start, duration)
            events.append(writer.dissolve(before, child, source, placed, dissolves[index - 1]))
        elif isinstance(child, Clip) and child.enabled:
            line = _Line("AX", source.start_time, source.end_time_exclusive(), start, record)
            events.append(_Event([line], writer.notes(child, "FROM"), child))
    return Events(writer, events if track.enabled else [], track.kind)


def _covered(
    items: list[otio.core.Composable], track: otio.schema.Track, rate: float,
    stored: dict[int, Any],
) -> bool:  # fmt: skip
    if track.source_range is not None or not items:
        return False
    for index, item in enumerate(items):
        kind = type(item)
        if kind is Transition:
            neighbours = items[max(index - 1, 0) : index] + items[index + 1 : index + 2]
            if any(type(n) is Transition for n in neighbours):
                return False
            if item.in_offset.rate != rate or item.out_offset.rate != rate:
                return False
            continue
        if kind is not Clip and kind is not Gap:
            return False
        source = item.source_range
        if source is None or source.start_time.rate != rate or source.duration.rate != rate:
            return False
        if kind is Clip and not _plain_clip(item, stored.get(id(item))):
            return False
    return True


def _plain_clip(clip: otio.schema.Clip, data: Any = None) -> bool:
    """A clip the adapter writes as an ``AX`` event: its file by URL, no reel name, effect or
    CMX/CDL metadata (read from its stored JSON ``data`` when given)."""
    if data is not None:
        reference = serialised.media_reference(data) or {}
        metadata = data.get("metadata") or {}
        return (str(reference.get("OTIO_SCHEMA", "")).startswith("ExternalReference.")
                and not reference.get("name") and bool(reference.get("target_url"))
                and not data.get("effects") and "cmx_3600" not in metadata
                and "cdl" not in metadata)  # fmt: skip
    reference = clip.media_reference
    if type(reference) is not otio.schema.ExternalReference or reference.name:
        return False
    if not reference.target_url or len(clip.effects):
        return False
    return not has_key(clip.metadata, "cmx_3600") and not has_key(clip.metadata, "cdl")


class _Writer:
    """Event lines and comment lines, formatted as the adapter formats them."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.commented: set[int] = set()  # clips whose comments were written once already

    def dissolve(
        self, before: _Event | None, incoming: otio.core.Composable, source: TimeRange,
        placed: TimeRange, length: RationalTime,
    ) -> _Event:  # fmt: skip
        """The adapter's ``DissolveEvent``: a cut line from ``before`` then the dissolve line."""
        notes: list[_Note] = []
        if before is not None:
            out, at = before.last.source_out, before.last.record_out
            cut = _Line(before.last.reel, out, out, at, at)
            notes = self.notes(before.clip, "FROM")
        else:
            zero = RationalTime(0.0, self.rate)
            cut = _Line("BL", zero, zero, zero, zero)
        line = _Line(_reel(incoming), source.start_time, source.end_time_exclusive(),
                     placed.start_time, placed.end_time_exclusive(), length)  # fmt: skip
        return _Event([cut, line], notes + self.notes(incoming, "TO"), incoming)

    def line(self, line: _Line, number: int, kind: str) -> str:
        channel = "V" if kind == otio.schema.TrackKind.Video else "A"
        rate = self.rate
        ends = (line.source_in, line.source_out, line.record_in, line.record_out)
        times = " ".join(otio.opentime.to_timecode(t, rate) for t in ends)
        if line.dissolve is not None and line.dissolve.value > 0:
            frames = int(otio.opentime.to_frames(line.dissolve, rate))
            return f"{number:03d}  {line.reel:8} {channel:5} D {frames:03d}    {times}"
        return f"{number:03d}  {line.reel:8} {channel:5} C        {times}"

    def notes(self, clip: otio.core.Composable, direction: str) -> list[_Note]:
        """``clip``'s comments to write (none but for a clip), and whether they are its first
        (the adapter names a clip's reel only the first time: later it has set the reel)."""
        if not isinstance(clip, Clip):
            return []
        first = id(clip) not in self.commented
        self.commented.add(id(clip))
        return [(clip, direction, first)]

    def comments(self, clip: otio.core.Composable, direction: str, first: bool) -> list[str]:
        """The adapter's comment lines for ``clip`` (premiere style: file names, not reels)."""
        url = clip.media_reference.target_url
        name = os.path.basename(url)
        lines = [f"* {direction} CLIP NAME:  {name}"] if name else []
        lines.append(f"* OTIO REFERENCE {direction}: {_flip(url)}")
        if first:
            lines.append(f"* OTIO TRUNCATED REEL NAME FROM: {os.path.basename(_flip(url))}")
        for marker in items_of(clip.markers):
            timecode = otio.opentime.to_timecode(marker.marked_range.start_time, self.rate)
            color = marker.color
            meta = marker.metadata.get("cmx_3600")
            if not color and meta and meta.get("color"):
                color = meta.get("color").upper()
            lines.append(f"* LOC: {timecode} {color:7} {(marker.name or '').upper()}")
        return lines


def _flip(path: str) -> str:
    return path.replace("\\", "/")


def _reel(item: otio.core.Composable) -> str:
    """The adapter's reel for the incoming side of a dissolve (``_reel_from_clip``)."""
    if isinstance(item, Gap):
        return "BL"
    reel = os.path.basename(_flip(os.path.basename(item.media_reference.target_url)))
    reel = re.sub(r"[^ a-zA-Z0-9]+", "", re.sub(r"([.][a-zA-Z]+)$", "", reel))
    return reel[:REEL_LENGTH].ljust(REEL_LENGTH)


def track_names(timeline: otio.schema.Timeline) -> list[str]:
    """One file-safe name per track, in the timeline's order ("V1", "A1", … when unnamed)."""
    names: list[str] = []
    counts = {otio.schema.TrackKind.Video: 0, otio.schema.TrackKind.Audio: 0}
    for track in timeline.tracks:
        counts[track.kind] = counts.get(track.kind, 0) + 1
        fallback = (
            f"{'A' if track.kind == otio.schema.TrackKind.Audio else 'V'}{counts[track.kind]}"
        )
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", track.name).strip("_") or fallback
        while name in names:
            name += "_"
        names.append(name)
    return names
