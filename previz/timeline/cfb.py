"""Compound files (Microsoft's structured storage, MS-CFB), written in one pass.

AAF is a tree of objects stored as a compound file: every object a *storage* (a folder named
after the property that holds it), its properties a small ``properties`` *stream* in it. A
2,000-shot cut is ~500,000 directory entries. pyaaf2 builds the file entry by entry, inserting
each into a red-black tree and allocating sectors as it goes (~0.1 ms an entry); here the whole
tree is known first, so the layout is computed once: every sibling list is sorted and hung as a
balanced binary tree, small streams are packed into the mini stream, large ones into sectors,
and the allocation tables describe contiguous runs.

Layout of the file written (version 4, 4,096-byte sectors, as pyaaf2 writes AAF): header, large
streams, the mini stream, the mini FAT, the directory, the FAT, then DIFAT sectors if the FAT
needs more than the header's 109 entries. Children are ordered as MS-CFB 2.6.4 requires (shorter
names first, then by upper-cased name); the nodes of the deepest level of each sibling tree are
red, every other black, which keeps the red-black invariants the spec asks readers to assume.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

SECTOR = 4096
MINI_SECTOR = 64
MINI_CUTOFF = 4096
PER_SECTOR = SECTOR // 4  # FAT entries (sector numbers) in one sector
FREESECT, ENDOFCHAIN, FATSECT, DIFSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC
NOSTREAM = 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DIRECTORY_ENTRY = struct.Struct("<64sHBBIII16sIQQIQ")
NO_CLASS = bytes(16)


class Stream:
    """A named run of bytes in a storage."""

    __slots__ = ("data", "name")

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data = name, data


class Storage:
    """A named folder of storages and streams; ``class_id`` is 16 bytes (little-endian GUID)."""

    __slots__ = ("children", "class_id", "name")

    def __init__(
        self, name: str, class_id: bytes = NO_CLASS, children: list[Storage | Stream] | None = None
    ) -> None:
        self.name, self.class_id = name, class_id
        self.children = children if children is not None else []


def write(path: Path, root: Storage, file_class_id: bytes) -> None:
    """Write ``root`` (the root storage, its name ignored) as the compound file ``path``."""
    directory = _Directory(root)
    streams = [(n, node.data) for n, node in enumerate(directory.nodes) if isinstance(node, Stream)]
    big = [(n, data) for n, data in streams if len(data) >= MINI_CUTOFF]
    small = [(n, data) for n, data in streams if 0 < len(data) < MINI_CUTOFF]
    sector = 0
    for n, data in big:
        directory.start[n], directory.size[n] = sector, len(data)
        sector += -(-len(data) // SECTOR)
    mini = 0
    chain: list[int] = []
    for n, data in small:
        directory.start[n], directory.size[n] = mini, len(data)
        used = -(-len(data) // MINI_SECTOR)
        chain += range(mini + 1, mini + used)
        chain.append(ENDOFCHAIN)
        mini += used
    mini_sectors = -(-mini * MINI_SECTOR // SECTOR)
    minifat_sectors = -(-mini * 4 // SECTOR)
    dir_sectors = -(-len(directory.nodes) * 128 // SECTOR)
    mini_start = sector
    minifat_start = mini_start + mini_sectors
    dir_start = minifat_start + minifat_sectors
    data_sectors = dir_start + dir_sectors
    fat_sectors, difat_sectors = _table_sizes(data_sectors)
    if mini:
        directory.start[0], directory.size[0] = mini_start, mini * MINI_SECTOR
    fat = _fat(
        [len(data) for _, data in big],
        mini_start,
        mini_sectors,
        minifat_start,
        minifat_sectors,
        dir_start,
        dir_sectors,
        fat_sectors,
        difat_sectors,
    )
    fat_start = data_sectors
    difat = list(range(fat_start, fat_start + fat_sectors))
    with path.open("wb") as out:
        out.write(
            _header(
                file_class_id,
                dir_sectors,
                dir_start,
                minifat_start if mini else ENDOFCHAIN,
                minifat_sectors,
                difat,
                fat_start + fat_sectors,
                difat_sectors,
            )
        )
        for _, data in big:
            _padded(out, data, SECTOR)
        if mini:
            pads = [bytes(n) for n in range(MINI_SECTOR)]
            _padded(
                out, b"".join(data + pads[-len(data) % MINI_SECTOR] for _, data in small), SECTOR
            )
            _padded(out, struct.pack(f"<{mini}I", *chain), SECTOR, fill=b"\xff")
        _padded(out, directory.packed(), SECTOR, fill=_EMPTY_ENTRY)
        _padded(out, struct.pack(f"<{len(fat)}I", *fat), SECTOR, fill=b"\xff")
        _write_difat(out, difat, fat_start + fat_sectors, difat_sectors)


class _Directory:
    """Every node as a directory entry, numbered root first, sibling trees linked (flat lists:
    a 2,000-shot AAF has ~500,000 entries)."""

    def __init__(self, root: Storage) -> None:
        self.nodes: list[Storage | Stream] = [root]
        self.left: list[int] = [NOSTREAM]
        self.right: list[int] = [NOSTREAM]
        self.child: list[int] = [NOSTREAM]
        self.color: list[int] = [BLACK]
        self.start: list[int] = [ENDOFCHAIN]
        self.size: list[int] = [0]
        queue = [0]
        while queue:
            parent = queue.pop()
            children = sorted(self.nodes[parent].children, key=_order)  # type: ignore[union-attr]
            if not children:
                continue
            first = len(self.nodes)
            root_at, shape = _shape(len(children))
            for n, (child, (left, right, color)) in enumerate(zip(children, shape, strict=True)):
                self.nodes.append(child)
                self.left.append(first + left if left >= 0 else NOSTREAM)
                self.right.append(first + right if right >= 0 else NOSTREAM)
                self.child.append(NOSTREAM)
                self.color.append(color)
                self.start.append(ENDOFCHAIN)
                self.size.append(0)
                if isinstance(child, Storage):
                    queue.append(first + n)
            self.child[parent] = first + root_at

    def packed(self) -> bytes:
        nodes, pack, names = self.nodes, DIRECTORY_ENTRY.pack, _NAMES
        parts = []
        for n, node in enumerate(nodes):
            name = names.get(node.name) or _name(node.name)
            if isinstance(node, Storage):
                kind, class_id = (ROOT if n == 0 else STORAGE), node.class_id
            else:
                kind, class_id = STREAM, NO_CLASS
            parts.append(
                pack(
                    name[0],
                    name[1],
                    kind,
                    self.color[n],
                    self.left[n],
                    self.right[n],
                    self.child[n],
                    class_id,
                    0,
                    0,
                    0,
                    self.start[n],
                    self.size[n],
                )
            )
        return b"".join(parts)


def _order(node: Storage | Stream) -> tuple[int, str]:
    return len(node.name), node.name.upper()


_SHAPES: dict[int, tuple[int, list[tuple[int, int, int]]]] = {}


def _shape(count: int) -> tuple[int, list[tuple[int, int, int]]]:
    """The balanced tree over ``count`` sorted siblings: its root and, per sibling, the
    offsets of its left and right children (-1: none) and its colour. Computed once per size."""
    found = _SHAPES.get(count)
    if found is None:
        shape = [(-1, -1, BLACK)] * count
        deepest = count.bit_length() - 1

        def hang(low: int, high: int, depth: int) -> int:
            if low >= high:
                return -1
            middle = (low + high) // 2
            left, right = hang(low, middle, depth + 1), hang(middle + 1, high, depth + 1)
            shape[middle] = (left, right, RED if depth == deepest and depth > 0 else BLACK)
            return middle

        found = _SHAPES[count] = (hang(0, count, 0), shape)
    return found


def _table_sizes(data_sectors: int) -> tuple[int, int]:
    """FAT and DIFAT sectors for ``data_sectors`` plus the tables' own sectors."""
    fat = difat = 0
    while True:
        needed_fat = -(-(data_sectors + fat + difat) // PER_SECTOR)
        needed_difat = max(0, -(-(needed_fat - 109) // (PER_SECTOR - 1)))
        if (needed_fat, needed_difat) == (fat, difat):
            return fat, difat
        fat, difat = needed_fat, needed_difat


def _fat(
    big: list[int],
    mini_start: int,
    mini_sectors: int,
    minifat_start: int,
    minifat_sectors: int,
    dir_start: int,
    dir_sectors: int,
    fat_sectors: int,
    difat_sectors: int,
) -> list[int]:
    fat: list[int] = []
    for size in big:
        fat += _chain(len(fat), -(-size // SECTOR))
    fat += _chain(mini_start, mini_sectors)
    fat += _chain(minifat_start, minifat_sectors)
    fat += _chain(dir_start, dir_sectors)
    fat += [FATSECT] * fat_sectors + [DIFSECT] * difat_sectors
    return fat + [FREESECT] * (-len(fat) % PER_SECTOR)


def _chain(start: int, count: int) -> list[int]:
    return [*range(start + 1, start + count), ENDOFCHAIN] if count else []


def _header(
    class_id: bytes,
    dir_sectors: int,
    dir_start: int,
    minifat_start: int,
    minifat_sectors: int,
    fat: list[int],
    difat_start: int,
    difat_sectors: int,
) -> bytes:
    head = [*fat[:109], *[FREESECT] * (109 - min(len(fat), 109))]
    header = (
        MAGIC
        + class_id
        + struct.pack(
            "<HHHHH6sIIIIIIIII109I",
            0x3E,
            4,
            0xFFFE,
            12,
            6,
            bytes(6),
            dir_sectors,
            len(fat),
            dir_start,
            1,
            MINI_CUTOFF,
            minifat_start,
            minifat_sectors,
            difat_start if difat_sectors else ENDOFCHAIN,
            difat_sectors,
            *head,
        )
    )
    return header + bytes(SECTOR - len(header))


def _write_difat(out: BinaryIO, fat: list[int], start: int, sectors: int) -> None:
    rest = fat[109:]
    for n in range(sectors):
        chunk = rest[n * (PER_SECTOR - 1) : (n + 1) * (PER_SECTOR - 1)]
        chunk += [FREESECT] * (PER_SECTOR - 1 - len(chunk))
        following = start + n + 1 if n + 1 < sectors else ENDOFCHAIN
        out.write(struct.pack(f"<{PER_SECTOR}I", *chunk, following))


_NAMES: dict[str, tuple[bytes, int]] = {}


def _name(name: str) -> tuple[bytes, int]:
    """A directory entry's name field: UTF-16 and its size with the terminator."""
    encoded = name.encode("utf-16le")
    if len(encoded) > 62:
        raise ValueError(f"compound-file name longer than 31 characters: {name!r}")
    _NAMES[name] = (encoded, len(encoded) + 2)
    return _NAMES[name]


_EMPTY_ENTRY = DIRECTORY_ENTRY.pack(
    b"", 0, 0, RED, NOSTREAM, NOSTREAM, NOSTREAM, NO_CLASS, 0, 0, 0, 0, 0
)


def _padded(out: BinaryIO, data: bytes, unit: int, fill: bytes = b"\0") -> None:
    out.write(data)
    missing = -len(data) % unit
    if missing:
        out.write((fill * (missing // len(fill) + 1))[:missing])


def walk(storage: Storage) -> Iterator[Storage | Stream]:
    """Every node under ``storage``, depth first."""
    for child in storage.children:
        yield child
        if isinstance(child, Storage):
            yield from walk(child)
