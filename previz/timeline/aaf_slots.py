"""A track's slot of the AAF composition: its sequence of components, built or copied.

A track becomes a ``TimelineMobSlot`` of the composition mob holding a ``Sequence`` of
components — a ``SourceClip`` per clip (its master mob's id, the length and start it shows), a
``Filler`` per gap, a ``Transition`` per dissolve —, audio in the adapter's "Audio Pan" group.
None of that reads a clip's facts (they are the master mob's comments): a one-shot change of
a shot's action or take changes its master mobs and leaves every slot as it was.

So a slot is keyed by what its bytes are made of (:func:`slot_key`: the track's name, kind,
rate, slot id and Avid track number, and each item's part: a clip's master id, length, start
and duration, a gap's length, a transition's), and a slot of the last write with the same key
is copied from its file (:class:`previz.timeline.aaf_memo.ClipMemo` keeps where its entries
and mini sectors are) instead of being built. The composition's id digests every slot's
nodes (:func:`edit_of`); the memo keeps a copied slot's part of that digest with it.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import opentimelineio as otio

from previz.errors import TimelineError
from previz.timeline import serialised
from previz.timeline.aaf_dictionary import Definitions
from previz.timeline.aaf_memo import ClipMemo, clip_key
from previz.timeline.aaf_mobs import MASTER_SLOT, ClipMobs, Placed
from previz.timeline.aaf_store import ObjectStore
from previz.timeline.cfb import Reused, Storage, Stream

Part = tuple[Any, ...]  # what one item's component is made of (see :func:`slot_key`)
DISSOLVE = otio.schema.TransitionTypes.SMPTE_Dissolve


class TrackItems:
    """A track's items as OTIO's JSON holds them (``stored``), each one's type read there;
    an OTIO item is fetched only when asked for (in a forked worker, the first touch of each
    item makes its Python wrapper: ~7 ms for a 1,000-item cut)."""

    def __init__(self, track: otio.schema.Track, stored: list[serialised.Data]) -> None:
        self.track, self.stored = track, stored
        self.kind = "sound" if track.kind == otio.schema.TrackKind.Audio else "picture"
        self.types = [_type_of(data, track, n) for n, data in enumerate(stored)]

    def __getitem__(self, n: int) -> otio.core.Composable:
        return self.track[n]


def _type_of(data: serialised.Data, track: otio.schema.Track, n: int) -> str:
    """``clip``, ``gap``, ``dissolve``, ``transition`` (another kind) or ``other``: from the
    item's schema, or from OTIO's class for a schema of another name."""
    schema = str(data.get("OTIO_SCHEMA", "")).partition(".")[0]
    if schema in ("Clip", "Gap"):
        return schema.lower()
    if schema == "Transition":
        return "dissolve" if data.get("transition_type") == DISSOLVE else "transition"
    item = track[n]
    if isinstance(item, otio.schema.Transition):
        return "dissolve" if item.transition_type == DISSOLVE else "transition"
    for kind, schema_class in (("clip", otio.schema.Clip), ("gap", otio.schema.Gap)):
        if isinstance(item, schema_class):
            return kind
    return "other"


class Slot(NamedTuple):
    """A track's slot (built, or copied from the last file), its part of the composition's
    digest (:func:`edit_of`) and its items' parts (a part's last two values: the item's
    duration and rate)."""

    node: Storage | Reused
    edit: bytes
    parts: list[Part]


class TrackSlots:
    """Each track's slot, copied from the last write when alike, else built."""

    def __init__(
        self, store: ObjectStore, definitions: Definitions, clip_mobs: ClipMobs, memo: ClipMemo
    ) -> None:
        self.store, self.defs, self.clip_mobs, self.memo = store, definitions, clip_mobs, memo
        self.copied = 0  # slots copied from the last write
        self.slot_layout = store.layout(
            "TimelineMobSlot", "SlotID", "SlotName", "Origin", "EditRate", "Segment",
            "PhysicalTrackNumber",
        )  # fmt: skip

    def slot(
        self, items: TrackItems, digests: list[str] | None, slot_id: int, number: int,
        comments: Callable[[serialised.Data], dict[str, str]], cut_rate: float,
    ) -> Slot:  # fmt: skip
        """The slot of a track's ``items`` (``digests`` of their JSON text), its part of the
        composition's digest and its items' parts. Every clip's mobs are added on the way
        (``comments``: a stored clip's master mob comments). Refuses an item at another rate
        than ``cut_rate`` (an AAF composition has one)."""
        track = items.track
        rate = items[0].duration().rate  # its first item's
        parts = self._parts(items, digests, rate, comments)
        _one_rate(items, parts, cut_rate)
        key = slot_key(track.name, items.kind, rate, slot_id, number, parts)
        found = self.memo.piece(key)
        if found is not None:
            self.memo.note_piece(key, *found)
            self.copied += 1
            return Slot(*found, parts)
        enc = self.store.encode
        slot = self.slot_layout(
            enc("TimelineMobSlot", "SlotID", slot_id),
            enc("TimelineMobSlot", "SlotName", track.name),
            self.defs.zero,
            enc("TimelineMobSlot", "EditRate", rate),
            self._segment(items, parts),
            enc("TimelineMobSlot", "PhysicalTrackNumber", number),
        )
        edit = edit_of(slot)
        self.memo.note_piece(key, slot, edit)
        return Slot(slot, edit, parts)

    def _parts(
        self, items: TrackItems, digests: list[str] | None, rate: float,
        comments: Callable[[serialised.Data], dict[str, str]],
    ) -> list[Part]:  # fmt: skip
        """What each item's component is made of; each clip's mobs added."""
        parts: list[Part] = []
        add, kind, stored = self.clip_mobs.add, items.kind, items.stored
        for n, (data, item_type) in enumerate(zip(stored, items.types, strict=True)):
            if item_type == "clip":
                clip = functools.partial(items.__getitem__, n)
                facts = functools.partial(comments, data)
                if digests is None:
                    parts.append(add(clip, kind, rate, facts))
                else:
                    around = _transitions_beside(items.types, digests, n)
                    parts.append(add(clip, kind, rate, facts, digests[n], around))
                continue
            item = items[n]
            if item_type == "gap":
                duration = item.duration()
                parts.append(("gap", int(item.visible_range().duration.value), duration.value,
                              duration.rate))  # fmt: skip
            elif item_type != "other":
                duration = item.duration()
                cut = round(item.in_offset.value)
                parts.append((item_type == "dissolve", int(duration.value), cut, duration.value,
                              duration.rate))  # fmt: skip
            else:
                raise TimelineError(
                    f"AAF export cannot write a {type(item).__name__} ({item.name!r}) inside a "
                    "track",
                    hint="flatten nested tracks and stacks before exporting AAF",
                )
        return parts

    def _segment(self, items: TrackItems, parts: list[Part]) -> Storage:
        """The track's sequence (in the "Audio Pan" group for sound)."""
        defs, enc, layout, kind = self.defs, self.store.encode, self.store.layout, items.kind
        components: list[Storage] = []
        master_slot = defs.slot_id[MASTER_SLOT[kind]]
        for n, part in enumerate(parts):
            if type(part) is Placed:
                components.append(self.clip_mobs.clip(
                    defs.datadef[kind], enc("SourceClip", "Length", part.length),
                    enc("SourceClip", "StartTime", part.start), part.master, master_slot,
                ))  # fmt: skip
            elif part[0] == "gap":
                length = enc("Filler", "Length", part[1])
                components.append(layout("Filler", "DataDefinition", "Length")(
                    defs.datadef[kind], length))  # fmt: skip
            elif part[0]:  # the adapter wrote no other transition than a dissolve
                components.append(self._dissolve(items[n], kind))
        sequence = layout("Sequence", "DataDefinition", "Length", "Components")
        if kind == "picture":
            return sequence(defs.datadef[kind], defs.zero, components)
        # the adapter counted transitions into an audio track's length
        length = enc("Sequence", "Length", int(sum(part[-2] for part in parts)))
        clips = [part for part in parts if type(part) is Placed]
        frames = int(clips[-1].duration) if clips else None
        return self._pan_group(length, sequence(defs.datadef[kind], length, components), frames)

    def _dissolve(self, transition: otio.schema.Transition, kind: str) -> Storage:
        """Avid's dissolve: an operation group with a linear 0 → 1 level, and its cut point."""
        enc, defs, layout = self.store.encode, self.defs, self.store.layout
        length = enc("Transition", "Length", int(transition.duration().value))
        points = [
            layout("ControlPoint", "EditHint", "Value", "Time")(
                defs.proportional, defs.point_values[v], defs.point_times[v]
            )
            for v in (0, 1)
        ]
        if kind == "sound":
            key = defs.parameter["level"]
            varying = layout("VaryingValue", "Definition", "Interpolation", "PointList")(
                key, defs.linear, points
            )
        else:
            key = defs.parameter["opacity"]
            varying = layout(
                "VaryingValue",
                "Definition",
                "VVal_Extrapolation",
                "VVal_FieldCount",
                "Interpolation",
                "PointList",
            )(key, defs.extrapolation, defs.field_count, defs.linear, points)
        group = layout("OperationGroup", "DataDefinition", "Length", "Operation", "Parameters")(
            defs.datadef[kind], length, defs.dissolve[kind], [(key, varying)]
        )
        cut = enc("Transition", "CutPoint", round(transition.in_offset.value))
        return layout("Transition", "DataDefinition", "Length", "OperationGroup", "CutPoint")(
            defs.datadef[kind], length, group, cut
        )

    def _pan_group(self, length: bytes, sequence: Storage, frames: int | None) -> Storage:
        """The adapter's "Audio Pan" around an audio track: a centre pan whose points are
        timed by the track's last clip (``frames`` long; each clip replaced the one parameter
        of the set)."""
        defs, layout = self.defs, self.store.layout
        names = ("DataDefinition", "Length", "Operation", "InputSegments")
        if frames is None:
            return layout("OperationGroup", *names)(
                defs.datadef["sound"], length, defs.pan_operation, [sequence]
            )
        points = [
            layout("ControlPoint", "Time", "Value", "ControlPointSource")(
                defs.pan_time(at, frames), defs.half, defs.pan_source
            )
            for at in (0, frames - 1)
        ]
        key = defs.parameter["pan"]
        varying = layout("VaryingValue", "Definition", "Interpolation", "PointList")(
            key, defs.linear, points
        )
        return layout("OperationGroup", *names, "Parameters")(
            defs.datadef["sound"], length, defs.pan_operation, [sequence], [(key, varying)]
        )


def _one_rate(items: TrackItems, parts: list[Part], rate: float) -> None:
    """Refuse the first item at another rate than the cut's (the adapter refused a cut with
    more than one; a copied clip's rate is the one its record kept)."""
    for n, part in enumerate(parts):
        if part[-1] != rate:
            item, track = items[n], items.track
            raise TimelineError(
                f"aaf export: {type(item).__name__} {item.name!r} on track {track.name!r} is at "
                f"{part[-1]:g} fps, the cut at {rate:g} (an AAF composition has one edit rate)",
                hint="conform the clip to the timeline's rate, or export without --format aaf",
            )


def slot_key(
    name: str, kind: str, rate: float, slot_id: int, number: int, parts: list[Part]
) -> bytes:
    """The key of a track's slot: everything its bytes are made of. A clip's part is its
    master mob's id, the length and start it shows and its duration (not its facts); a gap's
    its length and duration; a transition's whether it is a dissolve, its length, cut point
    and duration; each part's rate too."""
    pack = PLACED.pack
    items = hashlib.blake2b(digest_size=16)
    for part in parts:  # a clip's part packed (most of them), another's spelt out
        if type(part) is Placed:
            items.update(b"c" + pack(*part))
        else:
            spelt = repr(tuple(part)).encode()
            items.update(b"o" + len(spelt).to_bytes(4, "little") + spelt)
    return clip_key("slot", name, kind, rate, slot_id, number, items.hexdigest())


PLACED = struct.Struct("<32sqqdd")  # a clip's part: master id, length, start, duration, rate


def _transitions_beside(types: list[str], digests: list[str], n: int) -> tuple[str, ...]:
    """The digests of the transitions right before and after item ``n`` (a clip's visible
    range takes their overlap)."""
    before = digests[n - 1] if n and types[n - 1] in TRANSITIONS else ""
    after = digests[n + 1] if n + 1 < len(types) and types[n + 1] in TRANSITIONS else ""
    return (before, after) if before or after else ()


TRANSITIONS = ("dissolve", "transition")


def edit_of(node: Storage | Reused, inner: Mapping[int, bytes] | None = None) -> bytes:
    """A slot's part of the composition's digest: each node's name and bytes (a storage's
    class id), depth first; a copied storage's descendants are its ``inner`` part (by its
    ``id``)."""
    found: list[bytes] = []
    copied = inner or {}

    def visit(at: Storage | Stream | Reused) -> None:
        own = at.data if type(at) is Stream else at.class_id  # type: ignore[union-attr]
        found.append(at.name.encode("utf-8") + own)
        if type(at) is Storage:
            for child in at.children:
                visit(child)
        elif type(at) is Reused:
            found.append(copied[id(at)])  # a copy whose part is unknown: refused, not guessed

    visit(node)
    return b"".join(found)


def descendants_edit(node: Storage) -> bytes:
    """The part of the composition's digest a storage's descendants make (:func:`edit_of`
    without the storage's own name and class id)."""
    return edit_of(node)[len(node.name.encode("utf-8")) + len(node.class_id) :]
