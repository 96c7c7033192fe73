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
needs more than the header's 109 entries (:mod:`previz.timeline.cfb_tables`). Children are
ordered as MS-CFB 2.6.4 requires and hung as red-black trees
(:mod:`previz.timeline.cfb_siblings`).

A storage can also be copied from an earlier file this module wrote (:class:`Reused`): its
descendants are one run of directory entries and one run of mini sectors there (the numbering
goes depth first), so they are taken as they are and moved to where they land in the new file
(:mod:`previz.timeline.cfb_runs`; siblings that were one run there are copied as one).
"""

from __future__ import annotations

import array
import struct
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from previz.timeline.cfb_runs import Earlier as Earlier
from previz.timeline.cfb_runs import Region as Region
from previz.timeline.cfb_runs import Reused as Reused
from previz.timeline.cfb_runs import moved, run_of
from previz.timeline.cfb_siblings import (
    BLACK,
    NOSTREAM,
    RED,
    ROOT,
    SIBLINGS,
    STORAGE,
    Siblings,
    name_field,
    siblings_of,
)
from previz.timeline.cfb_tables import (
    ENDOFCHAIN,
    MINI_CUTOFF,
    MINI_SECTOR,
    SECTOR,
    Plan,
    header,
    write_difat,
)

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


def write(
    path: Path, root: Storage, file_class_id: bytes, watch: Collection[int] = ()
) -> dict[int, Region | None]:
    """Write ``root`` (the root storage, its name ignored) as the compound file ``path``;
    return where the descendants of each storage whose ``id`` is in ``watch`` ended up."""
    directory = _Directory(root, watch)
    plan = Plan.of(directory.sectors, directory.mini, len(directory.nodes))
    if directory.mini:
        directory.start[0], directory.size[0] = plan.mini_start, directory.mini * MINI_SECTOR
    with path.open("wb") as out:
        out.write(header(file_class_id, plan))
        for data in directory.big:
            _padded(out, data, SECTOR)
        if directory.mini:  # written piece by piece: no 10 MB copy of a big cut's streams
            out.writelines(directory.small)
            _padded(out, b"", SECTOR, missing=-directory.mini * MINI_SECTOR % SECTOR)
            chain = directory.chain
            _padded(out, struct.pack(f"<{len(chain)}I", *chain), SECTOR, fill=b"\xff")
        out.writelines(directory.packed())
        missing = -len(directory.nodes) * 128 % SECTOR
        _padded(out, b"", SECTOR, fill=_EMPTY_ENTRY, missing=missing)
        fat = plan.fat([len(data) for data in directory.big])
        _padded(out, struct.pack(f"<{len(fat)}I", *fat), SECTOR, fill=b"\xff")
        write_difat(out, plan)
    return directory.regions()


_PADS = [bytes(n) for n in range(MINI_SECTOR)]


class _Directory:
    """Every node as a directory entry, numbered root first, each sibling list one run of
    entries hung as a balanced tree; streams placed (large ones in sectors, small ones in the
    mini stream) in directory order. A 2,000-shot AAF has ~500,000 entries, most in sibling lists
    that repeat (every source clip is a storage holding ``properties``), so the sorting and the
    tree shape are computed once per list of names. A storage's descendants are one run of
    entries and one run of mini sectors (the numbering goes depth first), which is what lets a
    :class:`Reused` storage bring its run from an earlier file, moved."""

    def __init__(self, root: Storage, watch: Collection[int] = ()) -> None:
        nodes, child, groups, streams, spans, self.in_runs = _numbered(root, set(watch))
        self.nodes, self.child, self.groups, self.spans = nodes, child, groups, spans
        self.start, self.size = [0] * len(nodes), [0] * len(nodes)
        self.start[0] = ENDOFCHAIN
        self.big: list[bytes | memoryview] = []
        self.small: list[bytes | memoryview] = []
        self.chain: list[int] = []  # the mini FAT
        self.moved: dict[int, int] = {}  # how far each reused storage's mini sectors moved
        self.moved_large: dict[int, int] = {}  # and its sectors
        self.sectors = self.mini = 0
        bounds = {b for span in spans for b in span[3:]} | {run[3] for run in self.in_runs}
        self.at = self._place(streams, bounds)

    def _place(
        self, streams: list[int | Reused], bounds: set[int]
    ) -> dict[int, tuple[int, int, int]]:
        """Large streams in sectors, small ones in the mini stream, in directory order; the
        mini sectors, sectors and large streams before each of the ``bounds`` (positions in
        ``streams``)."""
        nodes, start, size, big, small, chain = (
            self.nodes, self.start, self.size, self.big, self.small, self.chain
        )  # fmt: skip
        sectors = mini = done = 0
        at: dict[int, tuple[int, int, int]] = {}
        for point in sorted(bounds | {len(streams)}):  # the runs between the bounds
            for n in streams[done:point]:
                if type(n) is Reused:
                    mini += self._bring(n, mini, sectors)
                    sectors += sum(-(-length // SECTOR) for length in n.region.large)
                    continue
                data = nodes[n].data  # type: ignore[union-attr,index]
                length = size[n] = len(data)  # type: ignore[index]
                if length >= MINI_CUTOFF:
                    start[n] = sectors  # type: ignore[index]
                    big.append(data)
                    sectors += -(-length // SECTOR)
                elif length:
                    used = -(-length // MINI_SECTOR)
                    start[n] = mini  # type: ignore[index]
                    small += (data, _PADS[-length % MINI_SECTOR])
                    chain += range(mini + 1, mini + used)
                    chain.append(ENDOFCHAIN)
                    mini += used
                else:
                    start[n] = ENDOFCHAIN  # type: ignore[index]
            at[point] = (mini, sectors, len(big))
            done = point
        self.sectors, self.mini = sectors, mini
        return at

    def _bring(self, node: Reused, mini: int, sectors: int) -> int:
        """A reused storage's streams from the earlier file: small ones to mini sector
        ``mini``, large ones to sector ``sectors``; returns the mini sectors used."""
        region, earlier = node.region, node.earlier
        moved = self.moved[id(node)] = mini - region.mini
        self.moved_large[id(node)] = sectors - region.sector if region.large else 0
        at = (region.sector + 1) * SECTOR
        for length in region.large:
            self.big.append(earlier.document[at : at + length])
            at += -(-length // SECTOR) * SECTOR
        low, high = region.mini, region.mini + region.mini_count
        self.small.append(earlier.mini[low * MINI_SECTOR : high * MINI_SECTOR])
        links = array.array("I")
        links.frombytes(earlier.mini_fat[low * 4 : high * 4])
        if moved:
            self.chain += [x if x == ENDOFCHAIN else x + moved for x in links]
        else:
            self.chain += links
        return region.mini_count

    def regions(self) -> dict[int, Region | None]:
        """Where each watched storage's descendants are (``None``: one is a large stream)."""
        found: dict[int, Region | None] = {}
        for node, first, end, streams_from, streams_to in self.spans:
            (mini, sectors, large), (mini_end, _end, large_end) = (
                self.at[streams_from], self.at[streams_to]
            )  # fmt: skip
            root = self.child[node] - first if end > first else NOSTREAM
            sizes = tuple(len(data) for data in self.big[large:large_end])
            found[id(self.nodes[node])] = Region(
                first, end - first, root, mini, mini_end - mini, sectors, sizes
            )
        for node, first, region, streams_at, mini in self.in_runs:
            found[id(self.nodes[node])] = Region(
                first, region.length, region.root, self.at[streams_at][0] + mini,
                region.mini_count, self.at[streams_at][1],
            )  # fmt: skip
        return found

    def packed(self) -> list[bytes | memoryview]:
        """The directory's entries, in order (a reused storage's descendants in one piece)."""
        nodes, child, start, size = self.nodes, self.child, self.start, self.size
        pack = DIRECTORY_ENTRY.pack
        root = nodes[0]
        class_id = root.class_id  # type: ignore[union-attr]
        parts: list[bytes | memoryview] = [pack(*name_field("Root Entry"), ROOT, BLACK, NOSTREAM,
                                                NOSTREAM, child[0], class_id, 0, 0, 0, start[0],
                                                size[0])]  # fmt: skip
        for first, siblings in self.groups:
            if type(siblings) is Reused:
                moves = self.moved[id(siblings)], self.moved_large[id(siblings)]
                parts.append(moved(siblings, first - siblings.region.first, *moves))
                continue
            n = first
            for name, length, kind, color, left, right in siblings.entries:  # type: ignore[union-attr]
                class_id = nodes[n].class_id if kind == STORAGE else NO_CLASS  # type: ignore[union-attr]
                parts.append(pack(
                    name, length, kind, color, first + left if left >= 0 else NOSTREAM,
                    first + right if right >= 0 else NOSTREAM, child[n], class_id, 0, 0, 0,
                    start[n], size[n],
                ))  # fmt: skip
                n += 1
        return parts


Nodes = list[Storage | Stream | Reused | None]
Groups = list[tuple[int, Siblings | Reused]]
Spans = list[tuple[int, int, int, int, int]]  # node, first entry, end, its streams' run
# a reused storage copied in a run with others: node, first entry, its region in the earlier
# file, the run's place among the streams and its mini sectors' offset in the run
InRuns = list[tuple[int, int, Region, int, int]]


Numbered = tuple[Nodes, list[int], Groups, list[int | Reused], Spans, InRuns]


def _numbered(root: Storage, watched: set[int]) -> Numbered:
    """Every node numbered root first, depth first, a sibling list (or a reused run) at a time:
    the nodes, their child pointers, the groups (first entry, shape or reused storage), the
    streams in directory order, the span of each watched storage's descendants and where
    the reused storages copied in runs are."""
    numbering = _Numbering(root, watched)
    nodes, queue, opened, spans = (
        numbering.nodes,
        numbering.queue,
        numbering.opened,
        numbering.spans,
    )
    streams = numbering.streams
    while queue:
        while opened and len(queue) == opened[-1][0]:  # its descendants are done
            _size, node_at, first_at, streams_at = opened.pop()
            spans.append((node_at, first_at, len(nodes), streams_at, len(streams)))
        parent = queue.pop()
        node = nodes[parent]
        if watched and id(node) in watched:  # (one inside another: the inner closes first)
            opened.append((len(queue), parent, len(nodes), len(streams)))
        if type(node) is Reused:
            numbering.reused(parent, node)
        else:
            numbering.children(parent, node)  # type: ignore[arg-type]
    for _size, node_at, first_at, streams_at in reversed(opened):
        spans.append((node_at, first_at, len(nodes), streams_at, len(streams)))
    return nodes, numbering.child, numbering.groups, streams, spans, numbering.in_runs


class _Numbering:
    """The state of :func:`_numbered`: what is numbered so far and what is left to do."""

    def __init__(self, root: Storage, watched: set[int]) -> None:
        self.watched = watched
        self.nodes: Nodes = [root]
        self.child = [NOSTREAM]
        self.groups: Groups = []
        self.streams: list[int | Reused] = []
        self.spans: Spans = []
        self.in_runs: InRuns = []
        self.opened: list[tuple[int, int, int, int]] = []  # queue size, node, first, streams
        self.queue = [0]

    def children(self, parent: int, node: Storage) -> None:
        """Number the children of ``node`` (``nodes[parent]``) as one sibling list."""
        nodes, child, first = self.nodes, self.child, len(self.nodes)
        children = node.children
        if len(children) == 1:  # most objects: a storage holding only its properties
            only = children[0]
            stream = type(only) is Stream
            key: tuple[tuple[str, ...], tuple[bool, ...]] = ((only.name,), (stream,))
            self.groups.append((first, SIBLINGS.get(key) or siblings_of(*key)))
            nodes.append(only)
            child[parent] = first
            child.append(NOSTREAM)
            (self.streams if stream else self.queue).append(first)
        elif children:
            key = (tuple([c.name for c in children]), tuple([type(c) is Stream for c in children]))
            siblings = SIBLINGS.get(key) or siblings_of(*key)
            self.groups.append((first, siblings))
            nodes += [children[i] for i in siblings.order]
            child[parent] = first + siblings.root
            child += siblings.nothing
            self.queue += [first + at for at in siblings.storages]
            self.streams += [first + at for at in siblings.streams]

    def reused(self, parent: int, node: Reused) -> None:
        """Number a reused storage's descendants as one run, with the reused siblings next in
        the queue that followed it in the earlier file (:func:`run_of`)."""
        nodes, child, opened, first = self.nodes, self.child, self.opened, len(self.nodes)
        own = bool(opened) and opened[-1][1] == parent  # its span just opened
        outer = opened[-2 if own else -1][0] if len(opened) > own else -1
        run = run_of(node, parent, self.queue, nodes, outer)
        if run is not None:  # siblings that were one run in the earlier file: one copy
            if own:  # where it is comes with the run's members
                opened.pop()
            node, members = run
            for member, region in members:
                at = first + region.first - node.region.first
                child[member] = at + region.root if region.length else NOSTREAM
                if id(nodes[member]) in self.watched:
                    self.in_runs.append((member, at, region, len(self.streams),
                                         region.mini - node.region.mini))  # fmt: skip
        else:
            region = node.region
            child[parent] = first + region.root if region.length else NOSTREAM
        nodes += [None] * node.region.length
        child += [NOSTREAM] * node.region.length
        self.groups.append((first, node))
        self.streams.append(node)


_EMPTY_ENTRY = DIRECTORY_ENTRY.pack(
    b"", 0, 0, RED, NOSTREAM, NOSTREAM, NOSTREAM, NO_CLASS, 0, 0, 0, 0, 0
)


def _padded(
    out: BinaryIO,
    data: bytes | memoryview,
    unit: int,
    fill: bytes = b"\0",
    missing: int | None = None,
) -> None:
    """``data`` then ``fill`` up to a multiple of ``unit`` (or ``missing`` bytes of it)."""
    out.write(data)
    missing = -len(data) % unit if missing is None else missing
    if missing:
        out.write((fill * (missing // len(fill) + 1))[:missing])


def walk(storage: Storage) -> Iterator[Storage | Stream]:
    """Every node under ``storage``, depth first."""
    for child in storage.children:
        yield child
        if isinstance(child, Storage):
            yield from walk(child)
