"""The mobs behind each AAF clip (tape, file, master), and their ids.

A composition's source clip reaches its media in three steps, as the OTIO AAF adapter wrote
them: a master mob (the clip Avid shows in a bin, named after the clip, with its comments and
mark in/out), a file source mob (the media: a CDCI or PCM descriptor whose ``NetworkLocator``
holds the file's URL) and a tape source mob (a 12-hour source with a timecode track, for
Avid's source timecode). Each clip gets its own three.

Mob ids are derived from what the mob stands for, not drawn at random (:class:`MobIds`): a clip's
three mobs from its media (kind, URL, the media's range; a clip without media by the timeline's
name and its own), so the same take gets the same master clip in every build — an editor who
relinks or re-imports a new build in Avid finds the master clips already in the bin instead of
duplicates — and the whole file is reproducible (same cut, same bytes), which is what lets a
write reuse the parts of the previous one. Two clips of one cut that show the same media still
get mobs of their own (the n-th such clip's ids are derived from the first's and n), so ids
never repeat in a file, and two different media never share one.

What an editor may notice, all consequences of "the id is the media" (before, ids were random
and two builds' master clips never met):

- Repeats are numbered by cut order: the first use of a take gets its base ids, the second the
  next ones. Removing the first use moves the base id (so the bin's master clip) to the second
  use, whose master mob may carry another name, comments and marks.
- Renaming a shot, or changing its facts, keeps its master id (the media did not change): on
  re-import the bin's master clip is the same one, with the new name and comments.
- The same take file used in two scenes (or two AAFs imported into one Avid project) gives the
  same master id in both, with each file's own name and comments: Avid treats them as one
  master clip. A clip without media (a failed shot's placeholder) is identified by the
  timeline's name with its own name and range, so placeholders of two scenes do not meet;
  two builds of one timeline do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple

import opentimelineio as otio

from previz.timeline.aaf_dictionary import Definitions
from previz.timeline.aaf_memo import ClipMemo, clip_key
from previz.timeline.aaf_store import ObjectStore
from previz.timeline.cfb import Reused, Storage

UMID_LABEL = bytes.fromhex("060a2b340101010501010f2013000000")
"""A basic UMID's first half as pyaaf2's ``MobID.new()`` writes it (``aaf2.mobid``: SMPTE
label, material type 0x0f, UUID/UL number creation 0x20, length 0x13, instance 0)."""
MASTER_SLOT = {"picture": 1, "sound": 2}  # the adapter's slot per kind in every master mob
PCM = ("AverageBPS", "BlockAlign", "QuantizationBits", "AudioSamplingRate", "Channels",
       "SampleRate", "Length")  # fmt: skip
PCM_DEFAULTS = (96000, 2, 16, 48000.0, 1, 48000.0)
CDCI = ("ComponentWidth", "HorizontalSubsampling", "ImageAspectRatio", "StoredWidth",
        "StoredHeight", "FrameLayout", "VideoLineMap", "SampleRate", "Length")  # fmt: skip
CDCI_DEFAULTS = (8, 2, "16/9", 1920, 1080, "FullFrame", (42, 0))
MOB = ("Name", "MobID", "CreationTime", "LastModified", "Slots")
SLOT = ("SlotID", "SlotName", "Origin", "EditRate", "Segment")
CLIP = ("DataDefinition", "Length", "StartTime", "SourceID", "SourceMobSlotID")
MOB_ROLES = ("tape", "file", "master")


class MobIds:
    """Mob ids (basic UMIDs: pyaaf2's SMPTE label, then a UUID) derived from what each mob
    stands for: the same ``identity`` gives the same id in every write, its n-th repeat within
    one write an id of its own."""

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def of(self, *identity: object) -> bytes:
        """The id of the mob ``identity`` describes (strings, numbers, ``None``)."""
        return self.of_text(repr(identity))

    def roles(self, roles: tuple[str, ...], *identity: object) -> tuple[bytes, ...]:
        """``of(role, *identity)`` for each of ``roles`` (the identity spelt out once)."""
        return self.counted(identities_of(roles, *identity))

    def of_text(self, identity: str) -> bytes:
        """The id of the mob whose identity, as a tuple's ``repr``, is ``identity``."""
        return self.counted((_digest(identity),))[0]

    def counted(self, digests: tuple[bytes, ...]) -> tuple[bytes, ...]:
        """The ids of the mobs whose identities have ``digests`` (:func:`identities_of`), each
        counted as seen once more in this write (its repeats get ids of their own)."""
        found = []
        seen = self._seen
        for digest in digests:
            repeat = seen.get(digest, 0)
            seen[digest] = repeat + 1
            if repeat:
                digest = hashlib.blake2b(digest + repeat.to_bytes(8, "little"),
                                         digest_size=16).digest()  # fmt: skip
            material = bytearray(digest)  # the UUID's fields little-endian, as stored
            material[7] = (material[7] & 0x0F) | 0x80  # version 8: RFC 9562's own derivation
            material[8] = (material[8] & 0x3F) | 0x80  # RFC 4122 variant
            found.append(UMID_LABEL + bytes(material))
        return tuple(found)


def identities_of(roles: tuple[str, ...], *identity: object) -> tuple[bytes, ...]:
    """The digest of ``(role, *identity)`` for each of ``roles``: what :class:`MobIds` counts
    and derives the ids from (a write's memo keeps them, so an unchanged clip's ids are
    counted again without spelling its identity out)."""
    rest = repr(identity)[1:-1] if len(identity) > 1 else repr(identity[0])
    return tuple(_digest(f"({role!r}, {rest})") for role in roles)


def _digest(identity: str) -> bytes:
    return hashlib.blake2b(identity.encode("utf-8"), digest_size=16).digest()


class Placed(NamedTuple):
    """What a clip's source clip in the composition shows: its master mob (``master``, the
    id), ``length`` frames of it from ``start``; and the clip's own ``duration`` and its
    ``rate`` (an audio track's length and pan count the one, the cut must have one rate)."""

    master: bytes
    length: int
    start: int
    duration: float
    rate: float


def _ranges(clip: otio.schema.Clip) -> tuple[otio.opentime.TimeRange, otio.opentime.TimeRange]:
    """The clip's range with its transitions' overlap, and its media's (a placeholder's is
    its own range)."""
    return clip.visible_range(), clip.media_reference.available_range or clip.source_range


def _spelt(visible: otio.opentime.TimeRange) -> tuple[float, float, float]:
    return visible.start_time.value, visible.duration.value, visible.duration.rate


class ClipMobs:
    """The tape, file and master mob of every clip, in the order the adapter added them."""

    def __init__(
        self, store: ObjectStore, definitions: Definitions, memo: ClipMemo, timeline: str = ""
    ) -> None:
        self.store, self.defs, self.memo = store, definitions, memo
        self.timeline = timeline  # a clip without media is known by its name in this timeline
        self.mobs: list[tuple[bytes, Storage | Reused]] = []
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
        self._descriptors: dict[tuple[str, tuple[Any, ...]], list[bytes]] = {}
        self._tape_slots: dict[tuple[str, float, bytes, tuple[bytes, bytes]], list[Storage]] = {}
        self.ids = MobIds()

    def add(
        self, clip_of: Callable[[], otio.schema.Clip], kind: str, rate: float,
        comments_of: Callable[[], dict[str, str]], digest: str | None = None,
        around: tuple[str, ...] = (),
    ) -> Placed:  # fmt: skip
        """Add the three mobs of the clip ``clip_of()`` gives (copied from the last write when
        its memo has them); return where its source clip points. ``comments_of()``: the
        master mob's comments (asked only when the mobs are built or no ``digest`` of the
        clip's own JSON text is known); ``around``: the digests of the transitions beside it
        (they widen the range it shows). A clip known to the memo is neither read through
        OTIO nor spelt out: its identities are counted again, and when that gives the ids it
        had, its mobs are the last write's."""
        comments = visible = available = None
        if digest is None:  # no text of the clip: what the key stands for, spelt out
            clip = clip_of()
            visible, available = _ranges(clip)
            comments = comments_of()
            key = clip_key(kind, rate, self.timeline, *_spelt(visible), *self._media(clip, kind,
                           available), clip.name, clip.media_reference.available_range is None,
                           sorted(comments.items()))  # fmt: skip
        else:  # the clip's own JSON (name, ranges, media, facts) and what is beside it
            key = clip_key(kind, rate, self.timeline, digest, around)
        record = self.memo.record(key)
        if record is not None:
            identities, ids = record.identities, self.ids.counted(record.identities)
            if ids == record.ids:  # no repeat of its media moved before it: the same mobs
                kept = self.memo.mobs(record)
                self.mobs += kept
                self.memo.note(key, kept, identities, ids, record.placed)
                return Placed(ids[2], *record.placed)
        if visible is None or available is None:
            clip = clip_of()
            visible, available = _ranges(clip)
        url, media = self._media(clip, kind, available)
        if record is None:
            identities = identities_of(MOB_ROLES, *media)  # tape, file, master
            ids = self.ids.counted(identities)
        duration = clip.duration()
        placed = (int(visible.duration.value),
                  int((visible.start_time - available.start_time).value),
                  float(duration.value), float(duration.rate))  # fmt: skip
        first = len(self.mobs)
        comments = comments_of() if comments is None else comments
        self._build(clip, kind, rate, comments, visible, available, url, ids)
        self.memo.note(key, self.mobs[first:], identities, ids, placed)
        return Placed(ids[2], *placed)

    def _media(
        self, clip: otio.schema.Clip, kind: str, available: otio.opentime.TimeRange
    ) -> tuple[str | None, tuple[Any, ...]]:
        """The clip's media URL and what identifies its media (a placeholder's: its name in
        this timeline, and its own range)."""
        reference = clip.media_reference
        url = reference.target_url if isinstance(reference, otio.schema.ExternalReference) else None
        return url, (kind, url, type(reference).__name__, available.start_time.value,
                     available.duration.value, available.duration.rate,
                     None if url else (self.timeline, clip.name))  # fmt: skip

    def _build(
        self, clip: otio.schema.Clip, kind: str, rate: float, comments: dict[str, str],
        visible: otio.opentime.TimeRange, available: otio.opentime.TimeRange, url: str | None,
        ids: tuple[bytes, ...],
    ) -> None:  # fmt: skip
        """Build ``clip``'s three mobs (``ids``: tape, file, master)."""
        tape_id, file_id, master_id = ids
        reference = clip.media_reference
        enc = self.store.encode
        title = enc("MasterMob", "Name", clip.name)
        edit_rate = enc("TimelineMobSlot", "EditRate", rate)
        source = (enc("SourceClip", "StartTime", int(available.start_time.value)),
                  enc("SourceClip", "Length", int(available.duration.value)))  # fmt: skip
        locators = self._locators(url)  # one storage, under both the tape's and the file's
        self._tape(tape_id, visible.duration.rate, kind, available, locators, title, edit_rate,
                   source)  # fmt: skip
        self._file(file_id, kind, reference, available, locators, edit_rate, source[1], tape_id)
        self._master(
            master_id, visible, kind, available, comments, title, edit_rate, source[1], file_id
        )

    def _tape(
        self, tape_id: bytes, clip_rate: float, kind: str, available: otio.opentime.TimeRange,
        locators: list[Storage], title: bytes, edit_rate: bytes, source: tuple[bytes, bytes],
    ) -> None:  # fmt: skip
        """The tape source mob: a 12-hour picture slot, the media's timecode, its range."""
        key = (kind, clip_rate, edit_rate, source)
        slots = self._tape_slots.get(key)
        if slots is None:  # the same for every clip of this range and rate: built once
            enc, defs = self.store.encode, self.defs
            zero, empty = defs.zero, defs.empty_name
            whole = defs.frames_in_twelve_hours(clip_rate)
            tape_rate = enc("TimelineMobSlot", "EditRate", clip_rate)
            fps = round(clip_rate)
            timecode = self.timecode(
                defs.datadef["Timecode"], enc("Timecode", "Length", int(available.duration.value)),
                enc("Timecode", "Start", int(available.start_time.value)),
                enc("Timecode", "FPS", fps), enc("Timecode", "Drop", clip_rate != fps),
            )  # fmt: skip
            slots = self._tape_slots[key] = [
                self.slot(defs.slot_id[1], empty, zero, tape_rate, self.clip(
                    defs.datadef["picture"], enc("SourceClip", "Length", whole), zero,
                    defs.no_mob, defs.slot_id[0])),
                self.slot(defs.slot_id[2], empty, zero, tape_rate, timecode),
                self.slot(defs.slot_id[3], empty, zero, edit_rate, self.clip(
                    defs.datadef[kind], source[1], source[0], defs.no_mob, defs.slot_id[0])),
            ]  # fmt: skip
        tape = self.tape(locators) if locators else self.bare_tape()
        stamp = self.defs.stamp
        self.mobs.append((tape_id, self.mob(title, tape_id, stamp, stamp, slots, tape)))

    def _file(
        self, file_id: bytes, kind: str, reference: Any, available: otio.opentime.TimeRange,
        locators: list[Storage], edit_rate: bytes, length: bytes, tape_id: bytes,
    ) -> None:  # fmt: skip
        """The file source mob: the media's descriptor and locator, reading the tape."""
        defs = self.defs
        segment = self.clip(defs.datadef[kind], length, defs.zero, tape_id, defs.slot_id[3])
        slot = self.slot(defs.slot_id[1], defs.empty_name, defs.zero, edit_rate, segment)
        descriptor = self._descriptor(kind, reference, available, locators)
        mob = self.mob(defs.file_mob_name, file_id, defs.stamp, defs.stamp, [slot], descriptor)
        self.mobs.append((file_id, mob))

    def _master(
        self, master_id: bytes, visible: otio.opentime.TimeRange, kind: str,
        available: otio.opentime.TimeRange, comments: dict[str, str], title: bytes,
        edit_rate: bytes, length: bytes, file_id: bytes,
    ) -> None:  # fmt: skip
        """The master mob: the clip's name, comments and, when trimmed, mark in and out."""
        enc, defs = self.store.encode, self.defs
        slot_id = defs.slot_id[MASTER_SLOT[kind]]
        segment = self.clip(defs.datadef[kind], length, defs.zero, file_id, defs.slot_id[1])
        head = (slot_id, defs.empty_name, defs.zero, edit_rate, segment)
        if visible != available:
            mark_in = enc("TimelineMobSlot", "MarkIn", int(visible.start_time.value))
            mark_out = enc("TimelineMobSlot", "MarkOut", int(visible.end_time_exclusive().value))
            slot = self.marked(*head, mark_in, mark_out)
        else:
            slot = self.slot(*head)
        if comments:
            tags = [self.comment(enc("TaggedValue", "Name", k), defs.text(v))
                    for k, v in comments.items()]  # fmt: skip
            master = self.commented(title, master_id, defs.stamp, defs.stamp, [slot], tags)
        else:
            master = self.master(title, master_id, defs.stamp, defs.stamp, [slot])
        self.mobs.append((master_id, master))

    def _locators(self, url: str | None) -> list[Storage]:
        return [self.locator(self.store.encode("NetworkLocator", "URLString", url))] if url else []

    def _descriptor(
        self, kind: str, reference: Any, available: otio.opentime.TimeRange,
        locators: list[Storage],
    ) -> Storage:  # fmt: skip
        """The file's essence descriptor, with the adapter's defaults (PCM 48 kHz mono 16-bit;
        CDCI 1920x1080 4:2:2, at the media's rate and length when it is known)."""
        external = isinstance(reference, otio.schema.ExternalReference)
        if kind == "sound":
            samples = int(available.duration.rescaled_to(48000.0).value)
            values = self._descriptor_values("PCMDescriptor", PCM, (*PCM_DEFAULTS, samples))
            if not external:
                return self.store.layout("PCMDescriptor", *PCM)(*values)
            if not locators:  # the adapter gave an external reference a locator even unnamed
                locators = [self.locator(self.store.encode("NetworkLocator", "URLString", ""))]
            return self.store.layout("PCMDescriptor", "Locator", *PCM)(locators, *values)
        rate, length = ("24", 1)
        if external and reference.available_range:
            rate, length = available.duration.rate, int(available.duration.value)
        values = self._descriptor_values("CDCIDescriptor", CDCI, (*CDCI_DEFAULTS, rate, length))
        if locators:
            return self.store.layout("CDCIDescriptor", *CDCI, "Locator")(*values, locators)
        return self.store.layout("CDCIDescriptor", *CDCI)(*values)

    def _descriptor_values(
        self, class_name: str, names: tuple[str, ...], values: tuple[Any, ...]
    ) -> list[bytes]:
        key = (class_name, values)
        found = self._descriptors.get(key)
        if found is None:
            enc = self.store.encode
            found = self._descriptors[key] = [
                enc(class_name, n, v) for n, v in zip(names, values, strict=True)
            ]
        return found
