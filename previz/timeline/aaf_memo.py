"""Where each clip's mobs are in the last AAF written, so the next write copies them from it.

A one-shot change alters one clip of a 200-clip cut; every other clip's three mobs (tape, file,
master: ~25 storages and their property streams) would come out byte for byte as last time,
since the file is reproducible (:mod:`previz.timeline.aaf_mobs`: ids from the media, one fixed
time stamp). The memo keeps, for each clip of the last write, a key covering everything its
mobs are made of but their ids (the digest of the clip's own JSON text — name, media, ranges,
facts —, the transitions beside it, kind, rate, timeline), the identities its three ids derive
from and those ids, what its source clip in the composition showed, and for each mob where
its descendants are in that file: a run of directory entries and a run of mini sectors
(:class:`~previz.timeline.cfb.Region`). A clip of the new cut with the same key is not read
through OTIO: its identities are counted again (a repeat of the same media earlier in the cut
gives the next id), and when that gives the ids it had, its mobs are
:class:`~previz.timeline.cfb.Reused` storages: the compound-file writer copies their runs from
the last file, moved to where they land now. Each track's slot of the composition is kept the
same way, keyed by what it is made of (:mod:`previz.timeline.aaf_slots`). The memo holds
positions only; the bytes are the last document's own.

The memo is trusted only when all of this holds, else the write is a full one:

- its first line names this writer's version (the sources of its modules and pyaaf2's);
- the checksum of its body matches (a damaged or truncated memo is ignored, never half-read);
- the document it describes is still the very file written with it (size, mtime, inode): the
  memo is saved after the new file is written and before it replaces the old one, so a crash
  between the two, or a document changed since, leaves a memo that matches no document;
- every region it names lies inside that document.

The memo is written atomically (temporary file, rename) where the export call says
(:class:`previz.timeline.fragments.Memo`: beside the export's product record).
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import marshal
import os
import struct
import sys
from pathlib import Path
from typing import Any, NamedTuple

from previz.products import identity
from previz.timeline import aaf_fixed
from previz.timeline.cfb import Earlier, Region, Reused
from previz.timeline.cfb_tables import MINI_SECTOR, SECTOR
from previz.timeline.fragments import Memo as MemoPlace
from previz.timeline.fragments import key as fragment_key
from previz.timeline.fragments import version_line, write_atomically

MAGIC = b"previz-aaf-memo 5\n"
Mobs = list[tuple[bytes, Any]]  # (MobID, its storage) as the writer lists them
DOCUMENT = struct.Struct("<QQQ")  # the document's size, mtime (ns) and inode
# key, its mobs' identities and ids, what its source clip shows (length, start; the clip's
# duration and rate),
# then per mob: class id and its region
CLIP = struct.Struct("<16s" + "16s" * 3 + "32s" * 3 + "qqdd" + "16s5I" * 3)
LENGTH = struct.Struct("<I")
_MOVABLE = sys.byteorder == "little" and array.array("I").itemsize == 4


class Record(NamedTuple):
    """A clip of the last write: its mobs' identities (what their ids derive from) and ids,
    what its source clip showed (length, start; the clip's duration and rate) and its mobs'
    classes and regions (class id, then the region's five numbers, per mob)."""

    identities: tuple[bytes, ...]
    ids: tuple[bytes, ...]
    placed: tuple[int, int, float, float]
    mobs: tuple[Any, ...]

    @classmethod
    def unpacked(cls, fields: tuple[Any, ...]) -> tuple[bytes, Record]:
        """The key and record :data:`CLIP` packed."""
        return fields[0], cls(fields[1:4], fields[4:7], fields[7:11], fields[11:])


class Fixed(NamedTuple):
    """What a write needs besides the clips' mobs, kept for the next one of the same
    ``registration``: the store's layouts and encodings, the definitions' encoded values and
    the skeleton of the header, dictionary and meta-dictionary (:mod:`previz.timeline.aaf_fixed`,
    with the file's class id last; ``None`` when it could not be kept)."""

    registration: Any
    store: Any
    defs: Any
    skeleton: Any


def clip_key(*parts: object) -> bytes:
    """The key of a clip's mobs: a digest of everything they are made of (a fragment key)."""
    return bytes.fromhex(fragment_key(*parts))


class ClipMemo:
    """The last write's clips (when its memo can be trusted) and this write's, for the next."""

    def __init__(self, place: MemoPlace | None) -> None:
        self.place = place
        self._earlier: Earlier | None = None
        self._before: dict[bytes, Record] = {}
        self._fixed: Fixed | None = None
        self._same_registration = False  # set by :meth:`fixed`
        self._now: list[tuple[bytes, Mobs, tuple[bytes, ...], tuple[bytes, ...], Any]] = []
        self._slots: dict[bytes, tuple[bytes, tuple[int, ...], bytes]] = {}
        self._slots_now: list[tuple[bytes, Any, bytes]] = []
        self.reused = 0
        if place is not None and _MOVABLE:  # cfb moves entries in place, as 32-bit words
            with contextlib.suppress(OSError, ValueError, struct.error, EOFError, TypeError):
                self._earlier, self._fixed, self._before, self._slots = _load(place)

    def fixed(self, registration: Any) -> Fixed | None:
        """The last write's fixed part, if it registered the same definitions (asked before
        any piece: a piece is copied only then, see :meth:`piece`)."""
        kept = self._fixed
        self._same_registration = (
            kept is not None and self._earlier is not None and kept.registration == registration
        )
        if not self._same_registration or kept is None:
            return None
        return kept if kept.skeleton is not None else None

    def skeleton(self, fixed: Fixed | None) -> tuple[Any, Earlier] | None:
        """The fixed part's skeleton and the file its copied subtrees are in."""
        if fixed is None or self._earlier is None:
            return None
        return fixed.skeleton, self._earlier

    def record(self, key: bytes) -> Record | None:
        """The last write's clip of key ``key``, if it had one."""
        return self._before.get(key) if self._earlier is not None else None

    def mobs(self, record: Record) -> Mobs:
        """The clip's mobs as storages reused from the last file (the ids must be the
        record's: the caller counted them again)."""
        self.reused += 1
        earlier, mobs = self._earlier, record.mobs
        return [
            (mob_id, Reused(mobs[at], earlier, Region(*mobs[at + 1 : at + 6])))  # type: ignore[arg-type]
            for mob_id, at in zip(record.ids, (0, 6, 12), strict=True)
        ]

    def piece(self, key: bytes) -> tuple[Reused, bytes] | None:
        """The last write's piece of the composition (a track's slot, a locator) of key
        ``key`` as a storage reused from its file, and its part of the composition's digest,
        if it had one."""
        # A slot holds weak references by their index in the file's table, which the
        # registered definitions decide (a picture dissolve's parameters come before the
        # sound's interpolation): a piece is copied only into a file registering the same ones.
        same = self._earlier is not None and self._same_registration
        found = self._slots.get(key) if same else None
        if found is None:
            return None
        class_id, region, edit = found
        return Reused(class_id, self._earlier, Region(*region)), edit  # type: ignore[arg-type]

    def note_piece(self, key: bytes, piece: Any, edit: bytes) -> None:
        """This write's piece of the composition ``key`` is ``piece`` (kept for the next
        write, with its part ``edit`` of the composition's digest)."""
        self._slots_now.append((key, piece, edit))

    def note(
        self, key: bytes, mobs: Mobs, identities: tuple[bytes, ...], ids: tuple[bytes, ...],
        placed: tuple[int, int, float, float],
    ) -> None:  # fmt: skip
        """This write's clip ``key`` has ``mobs`` (kept for the next write)."""
        self._now.append((key, mobs, identities, ids, placed))

    def save(self, written: Path, regions: dict[int, Region | None], fixed: Fixed) -> None:
        """Keep where this write's clips' mobs are in ``written`` (the new file, before it
        replaces the document) and its ``fixed`` part; a clip with a mob whose region is
        unknown is left out."""
        if self.place is None:
            return
        stat = written.stat()
        slots = {}
        for key, slot, edit in self._slots_now:
            region = regions.get(id(slot))
            if region is not None and not region.large:
                slots[key] = (slot.class_id, tuple(region[:5]), edit)
        kept = marshal.dumps((tuple(fixed), slots))
        parts = [DOCUMENT.pack(*identity(stat)),
                 LENGTH.pack(len(kept)), kept]  # fmt: skip
        pack = CLIP.pack
        for key, mobs, identities, ids, placed in self._now:
            found = [regions.get(id(storage)) for _mob_id, storage in mobs]
            if len(mobs) == 3 and all(region and not region.large for region in found):
                fields: list[Any] = [key, *identities, *ids, *placed]
                for (_mob_id, storage), region in zip(mobs, found, strict=True):
                    fields += (storage.class_id, *(region or ())[:5])
                parts.append(pack(*fields))
        body = b"".join(parts)
        head = f"{version_line(self.place.version)}\n{hashlib.sha256(body).hexdigest()}\n"
        write_atomically(self.place.path, MAGIC, head.encode("ascii"), body)


Loaded = tuple[Earlier | None, Fixed | None, dict[bytes, Record], dict[bytes, Any]]


def _load(place: MemoPlace) -> Loaded:
    data = place.path.read_bytes()
    if not data.startswith(MAGIC):
        return None, None, {}, {}
    version, checksum, body = data[len(MAGIC) :].split(b"\n", 2)
    if version.decode("ascii") != version_line(place.version):
        return None, None, {}, {}
    if hashlib.sha256(body).hexdigest() != checksum.decode("ascii"):
        return None, None, {}, {}
    with place.document.open("rb") as document:  # the file checked is the file read
        stat = os.fstat(document.fileno())
        if DOCUMENT.unpack_from(body) != identity(stat):
            return None, None, {}, {}
        earlier = _regions(memoryview(document.read()))  # slices: no copies
    (length,) = LENGTH.unpack_from(body, DOCUMENT.size)
    start = DOCUMENT.size + LENGTH.size
    kept, slots = marshal.loads(body[start : start + length])
    fixed = Fixed(*kept)
    records = list(CLIP.iter_unpack(body[start + length :]))
    regions = [Region(*region) for _class_id, region, _edit in slots.values()]
    if fixed.skeleton is not None:
        regions += [Region(*region) for region in aaf_fixed.copied_regions(fixed.skeleton)]
    if not _clips_inside(earlier, records) or not all(_inside(earlier, r) for r in regions):
        return None, None, {}, {}
    return earlier, fixed, dict(map(Record.unpacked, records)), slots


def _inside(earlier: Earlier, region: Region) -> bool:
    """Whether ``region`` lies inside the earlier file."""
    entries, minis = len(earlier.directory) // 128, len(earlier.mini_fat) // 4
    large = sum(-(-size // SECTOR) for size in region.large)
    return (
        region.first > 0
        and region.first + region.length <= entries
        and region.mini + region.mini_count <= minis
        and (region.sector + 1 + large) * SECTOR <= len(earlier.document)
    )


def _clips_inside(earlier: Earlier, records: list[tuple[Any, ...]]) -> bool:
    """:func:`_inside` for every mob of the clip ``records`` (:data:`CLIP` as unpacked: each
    mob's region from field 12, 18 and 24 on; no large streams), without a region each."""
    entries, minis = len(earlier.directory) // 128, len(earlier.mini_fat) // 4
    if len(earlier.document) < SECTOR:
        return False
    for record in records:
        for at in (12, 18, 24):
            first, count, _root, mini, mini_count = record[at : at + 5]
            if first <= 0 or first + count > entries or mini + mini_count > minis:
                return False
    return True


def _regions(document: memoryview) -> Earlier:
    """The directory, mini stream and mini FAT of a file :func:`previz.timeline.cfb.write`
    wrote (each one contiguous run of sectors there)."""
    directory_sectors, _fat, directory_start = struct.unpack_from("<III", document, 0x28)
    mini_fat_start, mini_fat_sectors = struct.unpack_from("<II", document, 0x3C)
    directory = document[(directory_start + 1) * SECTOR :
                         (directory_start + 1 + directory_sectors) * SECTOR]  # fmt: skip
    mini_start, mini_size = struct.unpack_from("<IQ", directory, 116)
    mini_sectors = mini_size // MINI_SECTOR
    if not mini_fat_sectors or len(directory) != directory_sectors * SECTOR:
        raise ValueError("not a file this writer lays out")
    mini = document[(mini_start + 1) * SECTOR : (mini_start + 1) * SECTOR + mini_size]
    mini_fat = document[(mini_fat_start + 1) * SECTOR :
                        (mini_fat_start + 1) * SECTOR + mini_sectors * 4]  # fmt: skip
    if len(mini) != mini_size or len(mini_fat) != mini_sectors * 4:
        raise ValueError("truncated")
    return Earlier(document, directory, mini, mini_fat)
