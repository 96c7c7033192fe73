"""Avid locators: an AAF composition's markers, at their record frames, as event slots.

The OTIO AAF adapter wrote no markers; previz adds them as Avid does: one ``EventMobSlot`` per
marked track holding ``DescriptiveMarker`` s (record frame, length, name, comment, colour as
the ``_ATN_CRM_COLOR`` tagged value) that describe that track's slot. A clip marker's record
frame is its clip's place in the track plus its offset in the clip's source range: the places
are the items' durations summed (:func:`record_markers`, from the parts
:mod:`previz.timeline.aaf_slots` made), and a marker is read from its clip's JSON when its
times are at the cut's rate (OTIO's times then add and subtract their values), else through
OTIO. A locator alike in the last write (same record frame, length, name, comment, colour,
described slot) is copied from its file (:class:`Locators`): a one-shot change rewrites the
changed shot's locator, not the track's 200.
"""

from __future__ import annotations

from typing import NamedTuple

import opentimelineio as otio

from previz.timeline import serialised
from previz.timeline.aaf_dictionary import Definitions
from previz.timeline.aaf_memo import ClipMemo, clip_key
from previz.timeline.aaf_mobs import Placed
from previz.timeline.aaf_slots import Part, TrackItems, descendants_edit
from previz.timeline.aaf_store import ObjectStore
from previz.timeline.cfb import Reused, Storage

MARKER_COLOURS = {
    "RED": "Red",
    "GREEN": "Green",
    "BLUE": "Blue",
    "CYAN": "Cyan",
    "MAGENTA": "Magenta",
    "YELLOW": "Yellow",
    "BLACK": "Black",
    "WHITE": "White",
    "ORANGE": "Red",
    "PINK": "Magenta",
    "PURPLE": "Magenta",
}


class Mark(NamedTuple):
    """A marker as a locator shows it: its length (frames), name, comment and colour (OTIO's
    values, read from the cut's JSON or through OTIO)."""

    length: float
    name: str
    comment: str | None
    color: str | None


class Locators:
    """The composition's event slots of locators; a locator alike in the last write (same
    record frame, length, name, comment, colour and described slot) is copied from its file."""

    def __init__(self, store: ObjectStore, definitions: Definitions, memo: ClipMemo) -> None:
        self.store, self.defs, self.memo = store, definitions, memo
        self.inner: dict[int, bytes] = {}  # each locator's part of the composition's digest
        self.made: list[Storage | Reused] = []  # every locator (the memo keeps where it is)
        self.copied = 0
        # the definitions' values a locator holds, part of its key (they do not change with
        # the registration today; a change would not copy a locator wrongly)
        held = (definitions.datadef["DescriptiveMetadata"], definitions.colour_tag,
                definitions.text(""))  # fmt: skip
        self.context = clip_key(*held).hex()
        self.marker = store.layout(
            "DescriptiveMarker", "DataDefinition", "Length", "Position", "Comment",
            "CommentMarkerUser", "DescribedSlots", "CommentMarkerAttributeList",
        )  # fmt: skip

    def slot(
        self, slot_id: int, described: int, edit_rate: bytes, number: bytes,
        markers: list[tuple[int, Mark]],
    ) -> Storage:  # fmt: skip
        """An event slot of Avid locators describing slot ``described`` (record frames)."""
        enc, layout, defs = self.store.encode, self.store.layout, self.defs
        components = [self._locator(at, marker, described) for at, marker in markers]
        sequence = layout("Sequence", "DataDefinition", "Length", "Components")(
            defs.datadef["DescriptiveMetadata"], defs.zero, components
        )
        return layout(
            "EventMobSlot", "SlotName", "EditRate", "SlotID", "PhysicalTrackNumber", "Segment"
        )(defs.empty_name, edit_rate, enc("EventMobSlot", "SlotID", slot_id), number, sequence)

    def _locator(self, at: int, marker: Mark, described: int) -> Storage | Reused:
        key = clip_key("locator", at, *marker, described, self.context)
        found = self.memo.piece(key)
        locator: Storage | Reused
        if found is not None:
            self.copied += 1
            locator, inner = found
        else:
            enc, defs = self.store.encode, self.defs
            colour = MARKER_COLOURS.get(str(marker.color).upper(), "Red")
            locator = built = self.marker(
                defs.datadef["DescriptiveMetadata"],
                enc("DescriptiveMarker", "Length", max(round(marker.length), 1)),
                enc("DescriptiveMarker", "Position", at),
                enc("DescriptiveMarker", "Comment", marker.name),
                enc("DescriptiveMarker", "CommentMarkerUser", marker.comment or ""),
                enc("DescriptiveMarker", "DescribedSlots", frozenset({described})),
                [self.store.layout("TaggedValue", "Name", "Value")(
                    defs.colour_tag, defs.text(colour))],
            )  # fmt: skip
            inner = descendants_edit(built)
        self.memo.note_piece(key, locator, inner)
        self.inner[id(locator)] = inner
        self.made.append(locator)
        return locator


def record_markers(items: TrackItems, parts: list[Part]) -> list[tuple[int, Mark]]:
    """Each clip marker of a track with its record frame (track time): the items' durations
    (their ``parts``' second last value; transitions overlap, they take no time) summed in
    one pass. The cut has one rate, so the sum is the one OTIO's times give; a marker is read
    from the clip's JSON when its clip's source range and it are at that rate too (OTIO's
    times then add and subtract their values), else through OTIO."""
    placed: list[tuple[int, Mark]] = []
    track = items.track
    if track.source_range is not None:  # a trimmed track: OTIO knows its record times
        for clip in track.find_clips(shallow_search=True):
            _place(placed, clip, clip.trimmed_range_in_parent().start_time)
        return placed
    record = 0.0
    for n, (part, data) in enumerate(zip(parts, items.stored, strict=True)):
        if type(part) is not Placed and part[0] != "gap":  # a transition
            continue
        duration, rate = part[-2], part[-1]
        marked = type(part) is Placed and data.get("markers")
        if marked and not _place_stored(placed, data, record, rate):
            _place(placed, items[n], otio.opentime.RationalTime(record, rate))
        record += duration
    return placed


def _place_stored(
    placed: list[tuple[int, Mark]], clip: serialised.Data, record: float, rate: float
) -> bool:
    """Place a clip's markers from its JSON; ``False`` (nothing placed) when a time is at
    another rate or the clip has no source range."""
    source = clip.get("source_range")
    if not source or source["start_time"]["rate"] != rate:
        return False
    source_start = source["start_time"]["value"]
    marks = []
    for marker in clip["markers"]:
        marked = marker["marked_range"]
        if marked["start_time"]["rate"] != rate:
            return False
        at = record + (marked["start_time"]["value"] - source_start)
        marks.append((round(at), Mark(marked["duration"]["value"], marker["name"],
                                      marker.get("comment"), marker.get("color"))))  # fmt: skip
    placed += marks
    return True


def _place(
    placed: list[tuple[int, Mark]], clip: otio.schema.Clip, record: otio.opentime.RationalTime
) -> None:
    source_start = clip.trimmed_range().start_time
    for marker in clip.markers:
        at = record + (marker.marked_range.start_time - source_start)
        placed.append((round(at.value), mark_of(marker)))


def mark_of(marker: otio.schema.Marker) -> Mark:
    return Mark(marker.marked_range.duration.value, marker.name, marker.comment, marker.color)
