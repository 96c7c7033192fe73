"""AAF for Avid Media Composer, Pro Tools and Resolve: the OTIO AAF adapter's composition, fast.

The file is the one ``otio_aaf_adapter`` 2.0 writes for a previz cut (which drew new random mob
ids, as ``use_empty_mob_ids=True`` gave it), plus what previz added after it:

- a composition mob with one slot per non-empty track (audio slots hold the adapter's "Audio
  Pan" operation group around the sequence), fillers for gaps, a timecode slot ``TC`` at the
  timeline's global start (Resolve rejects an AAF without one, OTIO #766);
- for every clip, the adapter's three mobs: a tape source mob (12-hour slot, timecode slot,
  locator), a file source mob (CDCI or PCM descriptor with a ``NetworkLocator`` holding the
  media's URL) and a master mob named after the clip whose ``UserComments`` carry the clip's
  facts (``previz`` JSON, Shot, Scene, Take: Avid shows them as bin columns);
- dissolves as ``Transition`` s with Avid's dissolve operations (VideoDissolve_2 /
  MonoAudioDissolve_2) and their cut point;
- markers as Avid locators: one ``EventMobSlot`` per track holding ``DescriptiveMarker`` s
  (record frame, name, comment, colour) that describe that track's slot (timeline markers on
  the top video track), and Avid's V1, V2…/A1, A2… physical track numbers on the slots.

The adapter built this through pyaaf2's object model at ~1 ms an object, ~25 objects a clip
(2,000 shots: ~150 s). Here the same objects are laid out with :mod:`previz.timeline.aaf_store`
(pyaaf2's encodings and definitions, compound file written in one pass: ~0.4 ms a clip). The
old path is kept in ``tests/aaf_reference.py``; ``tests/integration/test_aaf_equivalence.py``
proves the files have the same structure.

Unlike the adapter's, the file is reproducible: mob ids are derived from what each mob stands
for (a clip's media, the composition's edit: :class:`previz.timeline.aaf_mobs.MobIds`, which
says why) and every time stamp is one fixed instant, so the same cut gives the same bytes.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import opentimelineio as otio

from previz import collector
from previz.timeline import serialised
from previz.timeline.aaf_dictionary import Definitions, register, registration
from previz.timeline.aaf_markers import Locators, mark_of, record_markers
from previz.timeline.aaf_memo import ClipMemo, Fixed
from previz.timeline.aaf_mobs import ClipMobs
from previz.timeline.aaf_slots import Slot, TrackItems, TrackSlots, edit_of
from previz.timeline.aaf_store import ObjectStore, new_handle
from previz.timeline.cfb import Reused, Storage
from previz.timeline.facts import facts_json
from previz.timeline.fragments import Memo as MemoPlace


def write(timeline: otio.schema.Timeline, path: Path, memo: MemoPlace | None = None) -> Written:
    """Write ``timeline`` as an AAF composition with master mobs, locators, timecode, markers.

    With ``memo``, the clips' mobs and the tracks' slots the last write (of ``memo.document``)
    made alike are copied from that file, and where this write puts them is kept for the next
    (:mod:`previz.timeline.aaf_memo`): the bytes are the same as a write without it.
    Returns what was copied."""
    # each clip's facts, read as plain JSON, and a digest of each item's own text
    stored, digests = serialised.tracks_and_digests(timeline)
    tracks = [
        (TrackItems(track, data["children"]), digests[n] if digests else None)
        for n, (track, data) in enumerate(zip(timeline.tracks, stored, strict=True))
        if data["children"]
    ]
    # the cut's one edit rate: its first item's (every item is checked against it)
    rate = float(tracks[0][0][0].duration().rate if tracks else timeline.duration().rate)
    registered = registration([(items.kind, items.types) for items, _digests in tracks])
    with collector.paused():
        kept = ClipMemo(memo)
    fixed = kept.fixed(registered)

    def make_handle() -> Any:
        handle = new_handle()
        register(handle, registered)
        return handle

    # with the definitions from the memo, a pyaaf2 file made later still encodes them: that
    # fills its table of weak references (a stream of the file) as in a full write
    store = ObjectStore(make_handle, *((fixed.store, Definitions) if fixed else ()))
    try:
        with collector.paused():
            definitions = Definitions.from_state(store, fixed.defs) if fixed else Definitions(store)
            composition = _Composition(store, definitions, timeline.name, kept, rate)
            for items, known in tracks:
                composition.add_track(items, known)
            composition.add_timecode(timeline.global_start_time, rate)
            composition.add_markers(timeline)
            mobs = composition.mobs()
            generation = uuid.UUID(bytes_le=mobs[0][0][16:])
            regions, skeleton = store.save(
                path, mobs, generation, kept.skeleton(fixed), composition.pieces
            )
            kept.save(
                path, regions, Fixed(registered, store.state(), definitions.state(), skeleton)
            )
    finally:
        if store.built:
            store.handle.manager.remove_temp()
    copied = composition.track_slots.copied, composition.locators.copied
    return Written(kept.reused, not store.built, *copied)


class Written(NamedTuple):
    """What a write copied from the last one: how many clips' mobs, whether the fixed part
    came from it without pyaaf2 making a file, how many tracks' slots and locators."""

    clips: int
    fixed: bool
    slots: int = 0
    locators: int = 0


class _Composition:
    """The top-level composition mob, the mobs its clips reference, and its slots."""

    def __init__(
        self, store: ObjectStore, definitions: Definitions, name: str, memo: ClipMemo,
        rate: float,
    ) -> None:  # fmt: skip
        self.store, self.defs, self.rate = store, definitions, rate
        self.clip_mobs = ClipMobs(store, definitions, memo, timeline=name)
        self.track_slots = TrackSlots(store, definitions, self.clip_mobs, memo)
        self.locators = Locators(store, definitions, memo)
        self.slot_layout = self.track_slots.slot_layout
        self.name = name
        self.slots: list[Storage | Reused] = []
        self.edits: list[bytes] = []  # each slot's part of the composition's digest
        self.tracks: list[tuple[TrackItems, int, bytes, bytes, Slot]] = []  # and their slots
        self.numbers = {"picture": 0, "sound": 0}  # Avid's V1, V2… and A1, A2…

    def add_track(self, items: TrackItems, digests: list[str] | None) -> None:
        """A slot holding the sequence of a track's ``items`` (in an "Audio Pan" group for
        sound); ``digests`` of their JSON text."""
        self.numbers[items.kind] += 1
        slot_id, number = len(self.slots) + 1, self.numbers[items.kind]
        slot = self.track_slots.slot(
            items, digests, slot_id, number, lambda data: _comments(serialised.facts(data)),
            self.rate,
        )  # fmt: skip
        enc = self.store.encode
        edit_rate = enc("TimelineMobSlot", "EditRate", items[0].duration().rate)
        number_data = enc("TimelineMobSlot", "PhysicalTrackNumber", number)
        self.tracks.append((items, slot_id, edit_rate, number_data, slot))
        self.slots.append(slot.node)
        self.edits.append(slot.edit)

    @property
    def pieces(self) -> list[Storage | Reused]:
        """The tracks' slots and the locators (the memo keeps where they are)."""
        return [*self.slots[: len(self.edits)], *self.locators.made]

    def add_timecode(self, start: otio.opentime.RationalTime | None, rate: float) -> None:
        """The ``TC`` slot: the timeline's global start, counted at its nearest integer rate."""
        enc = self.store.encode
        edit_rate = start.rate if start else rate
        timecode = self.clip_mobs.timecode(
            self.defs.datadef["Timecode"],
            self.defs.timecode_length,
            enc("Timecode", "Start", int(start.value) if start else 0),
            enc("Timecode", "FPS", _nearest_timecode(edit_rate)),
            self.defs.false,
        )
        self.slots.append(
            self.slot_layout(
                enc("TimelineMobSlot", "SlotID", len(self.slots) + 1),
                enc("TimelineMobSlot", "SlotName", "TC"),
                self.defs.zero,
                enc("TimelineMobSlot", "EditRate", edit_rate),
                timecode,
                enc("TimelineMobSlot", "PhysicalTrackNumber", 1),
            )
        )

    def add_markers(self, timeline: otio.schema.Timeline) -> None:
        """An event slot of locators per marked track; timeline markers on the top video."""
        videos = [n for n, track in enumerate(self.tracks) if track[0].kind == "picture"]
        top_video = videos[-1] if videos else 0
        next_id = len(self.slots) + 1
        for n, (items, slot_id, edit_rate, number, slot) in enumerate(self.tracks):
            marks = record_markers(items, slot.parts)
            if n == top_video:
                marks += [
                    (round(m.marked_range.start_time.value), mark_of(m))
                    for m in timeline.tracks.markers
                ]
            if not marks:
                continue
            self.slots.append(
                self.locators.slot(
                    next_id, slot_id, edit_rate, number, sorted(marks, key=lambda m: m[0])
                )
            )
            next_id += 1

    def mobs(self) -> list[tuple[bytes, Storage | Reused]]:
        """The composition mob first, then every clip's mobs, each with its MobID. The
        composition's id is derived from its name and slots (what it shows), the file's
        generation id from it: the same cut is the same sequence in every write."""
        defs = self.defs
        edit = hashlib.blake2b(self.name.encode("utf-8"), digest_size=16)
        inner = self.locators.inner  # the copied locators' parts
        for at, slot in enumerate(self.slots):
            edit.update(self.edits[at] if at < len(self.edits) else edit_of(slot, inner))
        mob_id = self.clip_mobs.ids.of("composition", edit.hexdigest())
        layout = self.store.layout(
            "CompositionMob", "Name", "MobID", "CreationTime", "LastModified", "Slots", "UsageCode"
        )
        mob = layout(
            self.store.encode("CompositionMob", "Name", self.name),
            mob_id,
            defs.stamp,
            defs.stamp,
            self.slots,
            defs.top_level,
        )
        return [(mob_id, mob), *self.clip_mobs.mobs]


def _comments(facts: Any) -> dict[str, str]:
    """A clip's facts (its stored ``metadata["previz"]``) as master mob comments."""
    if not facts:
        return {}
    comments = {"previz": facts_json(facts)}
    comments.update({k.title(): str(facts[k]) for k in ("shot", "scene", "take") if k in facts})
    return dict(sorted(comments.items()))


def _nearest_timecode(rate: float) -> int:
    """The adapter's timecode rate: the nearest of 24, 25, 30, 60 (ties to the lower)."""
    return int(min((24.0, 25.0, 30.0, 60.0), key=lambda r: abs(rate - r)))
