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

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange
from opentimelineio.schema import Clip, Gap, Transition

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


@dataclass
class _Event:
    lines: list[_Line]
    comments: list[str]
    clip: otio.core.Composable  # the incoming item (what a following dissolve starts from)

    @property
    def last(self) -> _Line:
        return self.lines[-1]


def event_text(
    items: list[otio.core.Composable], track: otio.schema.Track, rate: float, title: str
) -> str | None:
    """The adapter's text for a track holding ``items``, or ``None`` outside what this covers."""
    if not _covered(items, track, rate):
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
        placed = TimeRange(record, source.duration)
        record = record + source.duration
        if index > 0 and isinstance(children[index - 1], Transition):
            before = events[-1] if events else None
            events.append(writer.dissolve(before, child, source, placed, dissolves[index - 1]))
        elif isinstance(child, Clip) and child.enabled:
            line = _Line("AX", source.start_time, source.end_time_exclusive(),
                         placed.start_time, placed.end_time_exclusive())  # fmt: skip
            events.append(_Event([line], writer.comments(child, "FROM"), child))
    content = f"TITLE: {title}\n\n" if title else ""
    if track.enabled:
        for number, event in enumerate(events, start=1):
            lines = [writer.line(line, number, track.kind) for line in event.lines]
            content += "\n".join(lines + event.comments) + "\n"
    return content


def _covered(items: list[otio.core.Composable], track: otio.schema.Track, rate: float) -> bool:
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
        if kind is Clip and not _plain_clip(item):
            return False
    return True


def _plain_clip(clip: otio.schema.Clip) -> bool:
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
        comments: list[str] = []
        if before is not None:
            out, at = before.last.source_out, before.last.record_out
            cut = _Line(before.last.reel, out, out, at, at)
            comments = self.comments(before.clip, "FROM")
        else:
            zero = RationalTime(0.0, self.rate)
            cut = _Line("BL", zero, zero, zero, zero)
        line = _Line(_reel(incoming), source.start_time, source.end_time_exclusive(),
                     placed.start_time, placed.end_time_exclusive(), length)  # fmt: skip
        return _Event([cut, line], comments + self.comments(incoming, "TO"), incoming)

    def line(self, line: _Line, number: int, kind: str) -> str:
        channel = "V" if kind == otio.schema.TrackKind.Video else "A"
        rate = self.rate
        ends = (line.source_in, line.source_out, line.record_in, line.record_out)
        times = " ".join(otio.opentime.to_timecode(t, rate) for t in ends)
        if line.dissolve is not None and line.dissolve.value > 0:
            frames = int(otio.opentime.to_frames(line.dissolve, rate))
            return f"{number:03d}  {line.reel:8} {channel:5} D {frames:03d}    {times}"
        return f"{number:03d}  {line.reel:8} {channel:5} C        {times}"

    def comments(self, clip: otio.core.Composable, direction: str) -> list[str]:
        """The adapter's comment lines for ``clip`` (premiere style: file names, not reels)."""
        if not isinstance(clip, Clip):
            return []
        url = clip.media_reference.target_url
        name = os.path.basename(url)
        lines = [f"* {direction} CLIP NAME:  {name}"] if name else []
        lines.append(f"* OTIO REFERENCE {direction}: {_flip(url)}")
        if id(clip) not in self.commented:  # later the adapter has set the clip's reel
            self.commented.add(id(clip))
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
