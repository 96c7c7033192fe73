"""The AAF writer previz had before its own (``previz.timeline.aaf``): the OTIO AAF adapter
plus a pyaaf2 marker pass. Kept for the equivalence test only: the file the new writer makes must
have the same structure as this one's (``tests/aaf_structure.py``). About 50 ms a clip.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import aaf2
import opentimelineio as otio
from aaf2.exceptions import AAFAttachError
from aaf2.properties import StrongRefVectorProperty, writeonly

from previz.timeline.facts import facts_json

VIDEO_DISSOLVE = {
    "Identification": "0c3bea41-fc2d-11d2-8a73-00805f9a3430",
    "Name": "VideoDissolve_2",
    "DataDefinition": {"Name": "Picture"},
}
AUDIO_DISSOLVE = {
    "Identification": "0c3bea43-fc2d-11d2-8a73-00805f9a3430",
    "Name": "MonoAudioDissolve_2",
    "DataDefinition": {"Name": "Sound"},
}
MARKER_COLOURS = {
    "RED": "Red", "GREEN": "Green", "BLUE": "Blue", "CYAN": "Cyan", "MAGENTA": "Magenta",
    "YELLOW": "Yellow", "BLACK": "Black", "WHITE": "White", "ORANGE": "Red", "PINK": "Magenta",
    "PURPLE": "Magenta",
}  # fmt: skip


def write_reference(timeline: otio.schema.Timeline, path: Path) -> None:
    """Write ``timeline`` as an AAF composition with master mobs, locators, timecode, markers."""
    prepared = timeline.deepcopy()
    for clip in prepared.find_clips():
        # A shot not generated yet: the adapter needs the placeholder's length on its reference.
        reference = clip.media_reference
        if isinstance(reference, otio.schema.MissingReference) and not reference.available_range:
            reference.available_range = clip.source_range
    for track in prepared.tracks:
        operation = AUDIO_DISSOLVE if track.kind == otio.schema.TrackKind.Audio else VIDEO_DISSOLVE
        for transition in track.find_children(descended_from_type=otio.schema.Transition):
            transition.metadata["AAF"] = _dissolve_metadata(transition, operation)
    for clip in prepared.find_clips():
        facts = clip.metadata.get("previz")
        if facts:  # master mob comments: Avid shows them as bin columns
            comments = {"previz": facts_json(facts)}
            comments.update(
                {k.title(): str(facts[k]) for k in ("shot", "scene", "take") if k in facts}
            )
            clip.metadata["AAF"] = {"UserComments": comments}
    with _linear_appends():
        otio.adapters.write_to_file(prepared, str(path), adapter_name="AAF", use_empty_mob_ids=True)
        _add_markers(timeline, path)


def _extend_attaching_new(self: Any, values: Iterable[Any]) -> None:
    """``StrongRefVectorProperty.extend`` that attaches only the items it appends."""
    items = list(values)
    self.index_name  # noqa: B018 - computing it sets the property's data, as extend does
    for obj in items:
        if not self.ref_classdef.isinstance(obj.classdef):
            raise TypeError(f"expected {self.ref_classdef}, got {obj.classdef}")
        if obj.root is not self.parent.root:
            raise AAFAttachError("Object is from a different root")
        if obj.dir:
            raise AAFAttachError("Object already attached")
    first = len(self.references)
    for obj in items:
        self.objects[len(self.references)] = obj
        self.references.append(self.next_free_key)
        self.next_free_key += 1
    self.add_pid_entry()
    if not self.parent.dir:
        return
    for index in range(first, len(self.references)):
        ref = self.index_ref_name(index)
        entry = self.parent.dir.get(ref) or self.parent.dir.makedir(ref)
        if self.objects[index].dir != entry:
            self.objects[index].attach(entry)


@contextlib.contextmanager
def _linear_appends() -> Iterator[None]:
    original = StrongRefVectorProperty.extend
    StrongRefVectorProperty.extend = writeonly(_extend_attaching_new)
    try:
        yield
    finally:
        StrongRefVectorProperty.extend = original


def _dissolve_metadata(
    transition: otio.schema.Transition, operation: dict[str, Any]
) -> dict[str, Any]:
    return {
        "CutPoint": round(transition.in_offset.value),
        "PointList": [{"Time": 0.0, "Value": 0.0}, {"Time": 1.0, "Value": 1.0}],
        "OperationGroup": {
            "Operation": {
                **operation,
                "Description": "",
                "IsTimeWarp": False,
                "Bypass": 1,
                "NumberInputs": 2,
                "OperationCategory": "OperationCategory_Effect",
            }
        },
    }


def _record_markers(track: otio.schema.Track) -> list[tuple[int, otio.schema.Marker]]:
    """Each clip marker of ``track`` with its record frame (track time)."""
    placed: list[tuple[int, otio.schema.Marker]] = []
    for clip in track.find_clips(shallow_search=True):
        record = clip.trimmed_range_in_parent().start_time
        source_start = clip.trimmed_range().start_time
        for marker in clip.markers:
            at = record + (marker.marked_range.start_time - source_start)
            placed.append((round(at.value), marker))
    return placed


def _add_markers(timeline: otio.schema.Timeline, path: Path) -> None:
    tracks = list(timeline.tracks)
    videos = [i for i, t in enumerate(tracks) if t.kind == otio.schema.TrackKind.Video]
    top_video = videos[-1] if videos else 0
    with aaf2.open(str(path), "rw") as handle:
        composition = next(handle.content.toplevel())
        slots = [s for s in composition.slots if s.name != "TC" and s.segment.media_kind
                 in ("Picture", "Sound")]  # fmt: skip
        numbers = {"Picture": 0, "Sound": 0}
        for slot in slots:  # Avid numbers V1, V2… and A1, A2…; markers name their track by it
            numbers[slot.segment.media_kind] += 1
            slot["PhysicalTrackNumber"].value = numbers[slot.segment.media_kind]
        next_id = max(s.slot_id for s in composition.slots) + 1
        for index, (track, slot) in enumerate(zip(tracks, slots, strict=False)):
            markers = _record_markers(track)
            if index == top_video:
                markers += [(round(m.marked_range.start_time.value), m)
                            for m in timeline.tracks.markers]  # fmt: skip
            if not markers:
                continue
            _event_slot(handle, composition, slot, next_id, sorted(markers, key=lambda m: m[0]))
            next_id += 1


def _event_slot(
    handle: Any, composition: Any, slot: Any, slot_id: int,
    markers: list[tuple[int, otio.schema.Marker]],
) -> None:  # fmt: skip
    event_slot = handle.create.EventMobSlot()
    event_slot["EditRate"].value = slot.edit_rate
    event_slot["SlotID"].value = slot_id
    event_slot["PhysicalTrackNumber"].value = slot["PhysicalTrackNumber"].value
    sequence = handle.create.Sequence(media_kind="DescriptiveMetadata")
    for at, marker in markers:
        locator = handle.create.DescriptiveMarker()
        locator["Position"].value = at
        locator["Length"].value = max(round(marker.marked_range.duration.value), 1)
        locator["Comment"].value = marker.name
        locator["CommentMarkerUser"].value = marker.comment or ""
        locator["DescribedSlots"].value = {slot.slot_id}
        attributes = aaf2.misc.TaggedValueHelper(locator["CommentMarkerAttributeList"])
        attributes["_ATN_CRM_COLOR"] = MARKER_COLOURS.get(str(marker.color).upper(), "Red")
        sequence.components.append(locator)
    event_slot.segment = sequence
    composition.slots.append(event_slot)
