"""Where each clip's mobs are in the last AAF written, so the next write copies them from it.

A one-shot change alters one clip of a 200-clip cut; every other clip's three mobs (tape, file,
master: ~25 storages and their property streams) would come out byte for byte as last time,
since the file is reproducible (:mod:`previz.timeline.aaf_mobs`: ids from the media, one fixed
time stamp). The memo keeps, for each clip of the last write, a key covering everything its
mobs are made of (name, kind, rate, media URL and range, the clip's range, its comments — the
facts —, the three ids) and, for each mob, where its descendants are in that file: a run of
directory entries and a run of mini sectors (:class:`~previz.timeline.cfb.Region`). A clip of
the new cut with the same key gets its mobs as :class:`~previz.timeline.cfb.Reused` storages:
the compound-file writer copies their runs from the last file, moved to where they land now.
The memo holds positions only; the bytes are the last document's own.

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

MAGIC = b"previz-aaf-memo 4\n"
Mobs = list[tuple[bytes, Any]]  # (MobID, its storage) as the writer lists them
DOCUMENT = struct.Struct("<QQQ")  # the document's size, mtime (ns) and inode
CLIP = struct.Struct("<16s" + "16s5I" * 3)  # key, then per mob: class id and its region
Record = tuple[Any, ...]  # one clip as CLIP unpacks it
LENGTH = struct.Struct("<I")
_MOVABLE = sys.byteorder == "little" and array.array("I").itemsize == 4


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
        self._now: list[tuple[bytes, Mobs]] = []
        self.reused = 0
        if place is not None and _MOVABLE:  # cfb moves entries in place, as 32-bit words
            with contextlib.suppress(OSError, ValueError, struct.error, EOFError, TypeError):
                self._earlier, self._fixed, self._before = _load(place)

    def fixed(self, registration: Any) -> Fixed | None:
        """The last write's fixed part, if it registered the same definitions."""
        kept = self._fixed
        if kept is None or self._earlier is None or kept.registration != registration:
            return None
        return kept if kept.skeleton is not None else None

    def skeleton(self, fixed: Fixed | None) -> tuple[Any, Earlier] | None:
        """The fixed part's skeleton and the file its copied subtrees are in."""
        if fixed is None or self._earlier is None:
            return None
        return fixed.skeleton, self._earlier

    def mobs(self, key: bytes, ids: tuple[bytes, ...]) -> Mobs | None:
        """The clip's mobs (``ids``) under ``key`` as reused storages of the last file, if it
        had them."""
        record = self._before.get(key)
        if record is None or self._earlier is None:
            return None
        self.reused += 1
        earlier = self._earlier
        return [
            (mob_id, Reused(record[at], earlier, Region(*record[at + 1 : at + 6])))
            for mob_id, at in zip(ids, (1, 7, 13), strict=True)
        ]

    def note(self, key: bytes, mobs: Mobs) -> None:
        """This write's clip ``key`` has ``mobs`` (kept for the next write)."""
        self._now.append((key, mobs))

    def save(self, written: Path, regions: dict[int, Region | None], fixed: Fixed) -> None:
        """Keep where this write's clips' mobs are in ``written`` (the new file, before it
        replaces the document) and its ``fixed`` part; a clip with a mob whose region is
        unknown is left out."""
        if self.place is None:
            return
        stat = written.stat()
        kept = marshal.dumps(tuple(fixed))
        parts = [DOCUMENT.pack(*identity(stat)),
                 LENGTH.pack(len(kept)), kept]  # fmt: skip
        pack = CLIP.pack
        for key, mobs in self._now:
            found = [regions.get(id(storage)) for _mob_id, storage in mobs]
            if len(mobs) == 3 and all(region and not region.large for region in found):
                fields: list[Any] = [key]
                for (_mob_id, storage), region in zip(mobs, found, strict=True):
                    fields += (storage.class_id, *(region or ())[:5])
                parts.append(pack(*fields))
        body = b"".join(parts)
        head = f"{version_line(self.place.version)}\n{hashlib.sha256(body).hexdigest()}\n"
        write_atomically(self.place.path, MAGIC, head.encode("ascii"), body)


def _load(place: MemoPlace) -> tuple[Earlier | None, Fixed | None, dict[bytes, Record]]:
    data = place.path.read_bytes()
    if not data.startswith(MAGIC):
        return None, None, {}
    version, checksum, body = data[len(MAGIC) :].split(b"\n", 2)
    if version.decode("ascii") != version_line(place.version):
        return None, None, {}
    if hashlib.sha256(body).hexdigest() != checksum.decode("ascii"):
        return None, None, {}
    with place.document.open("rb") as document:  # the file checked is the file read
        stat = os.fstat(document.fileno())
        if DOCUMENT.unpack_from(body) != identity(stat):
            return None, None, {}
        earlier = _regions(memoryview(document.read()))  # slices: no copies
    (length,) = LENGTH.unpack_from(body, DOCUMENT.size)
    start = DOCUMENT.size + LENGTH.size
    fixed = Fixed(*marshal.loads(body[start : start + length]))
    clips = {record[0]: record for record in CLIP.iter_unpack(body[start + length :])}
    regions = [Region(*record[at : at + 5]) for record in clips.values() for at in (2, 8, 14)]
    if fixed.skeleton is not None:
        regions += [Region(*region) for region in aaf_fixed.copied_regions(fixed.skeleton)]
    if not all(_inside(earlier, region) for region in regions):
        return None, None, {}
    return earlier, fixed, clips


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
