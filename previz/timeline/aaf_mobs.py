"""The mobs behind each AAF clip, and the event slots that carry Avid's locators.

A composition's source clip reaches its media in three steps, as the OTIO AAF adapter wrote
them: a master mob (the clip Avid shows in a bin, named after the clip, with its comments and
mark in/out), a file source mob (the media: a CDCI or PCM descriptor whose ``NetworkLocator``
holds the file's URL) and a tape source mob (a 12-hour source with a timecode track, for
Avid's source timecode). Each clip gets its own three, with new mob ids.
"""

from __future__ import annotations

import os
from typing import Any

import opentimelineio as otio
from aaf2.mobid import MobID
from aaf2.rational import AAFRational

from previz.timeline.aaf_dictionary import Definitions
from previz.timeline.aaf_store import ObjectStore
from previz.timeline.cfb import Storage

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
TWELVE_HOURS = 60 * 60 * 12
UMID_LABEL = bytes(MobID.new().bytes_le[:16])
MASTER_SLOT = {"picture": 1, "sound": 2}  # the adapter's slot per kind in every master mob
MOB = ("Name", "MobID", "CreationTime", "LastModified", "Slots")
SLOT = ("SlotID", "SlotName", "Origin", "EditRate", "Segment")
CLIP = ("DataDefinition", "Length", "StartTime", "SourceID", "SourceMobSlotID")


class ClipMobs:
    """The tape, file and master mob of every clip, in the order the adapter added them."""

    def __init__(self, store: ObjectStore, definitions: Definitions) -> None:
        self.store, self.defs = store, definitions
        self.mobs: list[tuple[bytes, Storage]] = []
        layout = store.layout
        self.mob = layout("SourceMob", *MOB, "EssenceDescription")
        self.master = layout("MasterMob", *MOB)
        self.commented = layout("MasterMob", *MOB, "UserComments")
        self.slot = layout("TimelineMobSlot", *SLOT)
        self.marked = layout("TimelineMobSlot", *SLOT, "MarkIn", "MarkOut")
        self.clip = layout("SourceClip", *CLIP)
        self.timecode = layout("Timecode", "DataDefinition", "Length", "Start", "FPS", "Drop")
        self.tape = layout("TapeDescriptor", "Locator")
        self.bare_tape = layout("TapeDescriptor")
        self.locator = layout("NetworkLocator", "URLString")
        self.comment = layout("TaggedValue", "Name", "Value")

    def new_mob_id(self) -> bytes:
        """A new basic UMID (SMPTE label, then a random UUID: pyaaf2's ``MobID.new()``)."""
        material = bytearray(os.urandom(16))  # the UUID's fields little-endian, as stored
        material[7] = (material[7] & 0x0F) | 0x40  # version 4 (high nibble of Data3)
        material[8] = (material[8] & 0x3F) | 0x80  # RFC 4122 variant
        return UMID_LABEL + bytes(material)

    def add(
        self, clip: otio.schema.Clip, kind: str, rate: float, comments: dict[str, str]
    ) -> tuple[bytes, bytes]:
        """Add ``clip``'s three mobs; return the master mob's id and slot id, encoded."""
        enc, defs = self.store.encode, self.defs
        reference = clip.media_reference
        available = reference.available_range or clip.source_range
        start, length = int(available.start_time.value), int(available.duration.value)
        url = reference.target_url if isinstance(reference, otio.schema.ExternalReference) else None
        edit_rate = enc("TimelineMobSlot", "EditRate", rate)
        zero, empty = defs.zero, defs.empty_name
        start_b, length_b = (
            enc("SourceClip", "StartTime", start),
            enc("SourceClip", "Length", length),
        )
        clip_rate = clip.visible_range().duration.rate
        whole = int(float(AAFRational(clip_rate)) * TWELVE_HOURS)
        tape_rate = enc("TimelineMobSlot", "EditRate", clip_rate)
        fps = round(clip_rate)
        tape_slots = [
            self.slot(
                enc("TimelineMobSlot", "SlotID", 1),
                empty,
                zero,
                tape_rate,
                self.clip(
                    defs.datadef["picture"],
                    enc("SourceClip", "Length", whole),
                    zero,
                    defs.no_mob,
                    defs.slot_id[0],
                ),
            ),
            self.slot(
                enc("TimelineMobSlot", "SlotID", 2),
                empty,
                zero,
                tape_rate,
                self.timecode(
                    defs.datadef["Timecode"],
                    enc("Timecode", "Length", length),
                    enc("Timecode", "Start", start),
                    enc("Timecode", "FPS", fps),
                    enc("Timecode", "Drop", clip_rate != fps),
                ),
            ),
            self.slot(
                enc("TimelineMobSlot", "SlotID", 3),
                empty,
                zero,
                edit_rate,
                self.clip(defs.datadef[kind], length_b, start_b, defs.no_mob, defs.slot_id[0]),
            ),
        ]
        title = enc("MasterMob", "Name", clip.name)
        tape_id = self.new_mob_id()
        tape = self.tape(self._locators(url)) if url else self.bare_tape()
        self.mobs.append((tape_id, self.mob(title, tape_id, defs.now, defs.now, tape_slots, tape)))
        file_id = self.new_mob_id()
        file_slot = self.slot(
            defs.slot_id[1],
            empty,
            zero,
            edit_rate,
            self.clip(defs.datadef[kind], length_b, zero, tape_id, defs.slot_id[3]),
        )
        descriptor = self._descriptor(kind, reference, available, url)
        self.mobs.append(
            (
                file_id,
                self.mob(defs.file_mob_name, file_id, defs.now, defs.now, [file_slot], descriptor),
            )
        )
        master_id = self.new_mob_id()
        slot_id = defs.slot_id[MASTER_SLOT[kind]]
        segment = self.clip(defs.datadef[kind], length_b, zero, file_id, defs.slot_id[1])
        visible = clip.visible_range()
        if visible != available:
            slot = self.marked(
                slot_id,
                empty,
                zero,
                edit_rate,
                segment,
                enc("TimelineMobSlot", "MarkIn", int(visible.start_time.value)),
                enc("TimelineMobSlot", "MarkOut", int(visible.end_time_exclusive().value)),
            )
        else:
            slot = self.slot(slot_id, empty, zero, edit_rate, segment)
        if comments:
            tags = [
                self.comment(enc("TaggedValue", "Name", k), self.defs.text(v))
                for k, v in comments.items()
            ]
            master = self.commented(title, master_id, defs.now, defs.now, [slot], tags)
        else:
            master = self.master(title, master_id, defs.now, defs.now, [slot])
        self.mobs.append((master_id, master))
        return master_id, slot_id

    def _locators(self, url: str | None) -> list[Storage]:
        return [self.locator(self.store.encode("NetworkLocator", "URLString", url))] if url else []

    def _descriptor(
        self, kind: str, reference: Any, available: otio.opentime.TimeRange, url: str | None
    ) -> Storage:
        enc, layout = self.store.encode, self.store.layout
        external = isinstance(reference, otio.schema.ExternalReference)
        if kind == "sound":
            samples = int(available.duration.rescaled_to(48000.0).value)
            names = (
                "AverageBPS",
                "BlockAlign",
                "QuantizationBits",
                "AudioSamplingRate",
                "Channels",
                "SampleRate",
                "Length",
            )
            values = [
                enc("PCMDescriptor", n, v)
                for n, v in zip(names, (96000, 2, 16, 48000.0, 1, 48000.0, samples), strict=True)
            ]
            if external:
                return layout("PCMDescriptor", "Locator", *names)(
                    [self.locator(enc("NetworkLocator", "URLString", url or ""))], *values
                )
            return layout("PCMDescriptor", *names)(*values)
        rate, length = ("24", 1)
        if external and reference.available_range:
            rate, length = available.duration.rate, int(available.duration.value)
        picture = (
            "ComponentWidth",
            "HorizontalSubsampling",
            "ImageAspectRatio",
            "StoredWidth",
            "StoredHeight",
            "FrameLayout",
            "VideoLineMap",
            "SampleRate",
            "Length",
        )
        values = [
            enc("CDCIDescriptor", n, v)
            for n, v in zip(
                picture, (8, 2, "16/9", 1920, 1080, "FullFrame", (42, 0), rate, length), strict=True
            )
        ]
        if url:
            return layout("CDCIDescriptor", *picture, "Locator")(*values, self._locators(url))
        return layout("CDCIDescriptor", *picture)(*values)


def markers_slot(
    store: ObjectStore,
    defs: Definitions,
    slot_id: int,
    described: int,
    edit_rate: bytes,
    number: bytes,
    markers: list[tuple[int, otio.schema.Marker]],
) -> Storage:
    """An event slot of Avid locators describing slot ``described`` (record frames)."""
    enc, layout = store.encode, store.layout
    marker_layout = layout(
        "DescriptiveMarker",
        "DataDefinition",
        "Length",
        "Position",
        "Comment",
        "CommentMarkerUser",
        "DescribedSlots",
        "CommentMarkerAttributeList",
    )
    colour = layout("TaggedValue", "Name", "Value")
    components = [
        marker_layout(
            defs.datadef["DescriptiveMetadata"],
            enc("DescriptiveMarker", "Length", max(round(marker.marked_range.duration.value), 1)),
            enc("DescriptiveMarker", "Position", at),
            enc("DescriptiveMarker", "Comment", marker.name),
            enc("DescriptiveMarker", "CommentMarkerUser", marker.comment or ""),
            enc("DescriptiveMarker", "DescribedSlots", frozenset({described})),
            [
                colour(
                    defs.colour_tag, defs.text(MARKER_COLOURS.get(str(marker.color).upper(), "Red"))
                )
            ],
        )
        for at, marker in markers
    ]
    sequence = layout("Sequence", "DataDefinition", "Length", "Components")(
        defs.datadef["DescriptiveMetadata"], defs.zero, components
    )
    return layout(
        "EventMobSlot", "SlotName", "EditRate", "SlotID", "PhysicalTrackNumber", "Segment"
    )(defs.empty_name, edit_rate, enc("EventMobSlot", "SlotID", slot_id), number, sequence)
