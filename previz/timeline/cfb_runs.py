"""Storages copied from an earlier compound file: where their descendants were, moved runs.

:func:`previz.timeline.cfb.write` numbers directory entries depth first, so a storage's
descendants are one run of entries and one run of mini sectors (and its large streams, in
order). A :class:`Reused` storage names such a run of an :class:`Earlier` file (its
:class:`Region`); the writer copies it and moves the entry numbers and sector numbers in it
(:func:`moved`). Siblings whose runs followed each other in the earlier file are copied as one
run (:func:`run_of`): an AAF whose unchanged clips' mobs are copied makes a few copies, not
one per mob.
"""

from __future__ import annotations

import array
from typing import Any, NamedTuple

from previz.timeline.cfb_siblings import NOSTREAM, STREAM
from previz.timeline.cfb_tables import MINI_CUTOFF


class Region(NamedTuple):
    """Where a storage's descendants are in a file :mod:`~previz.timeline.cfb` wrote: its entries
    (``first``, ``length``; the storage's own child pointer ``root`` counted from ``first``),
    their small streams in the mini stream (``mini``, ``mini_count`` sectors) and their large
    streams from sector ``sector`` on (``large``: each one's size, in order)."""

    first: int
    length: int
    root: int
    mini: int
    mini_count: int
    sector: int = 0
    large: tuple[int, ...] = ()


class Earlier:
    """An earlier file (``document``) and its directory, mini stream and mini FAT, which
    reused storages are copied from."""

    def __init__(
        self, document: memoryview, directory: memoryview, mini: memoryview, mini_fat: memoryview
    ) -> None:
        self.document, self.directory, self.mini, self.mini_fat = (
            document,
            directory,
            mini,
            mini_fat,
        )


class Reused:
    """A storage whose descendants are copied from an earlier file, where they were at
    ``region``: a write moves them (entry numbers, mini sectors) without rebuilding them."""

    __slots__ = ("class_id", "earlier", "name", "region")

    def __init__(self, class_id: bytes, earlier: Earlier, region: Region) -> None:
        self.name, self.class_id, self.earlier, self.region = "", class_id, earlier, region


def run_of(
    node: Reused, at: int, queue: list[int], nodes: list[Any], closing: int
) -> tuple[Reused, list[tuple[int, Region]]] | None:
    """The reused storage ``node`` (``nodes[at]``) and the reused siblings next in ``queue``
    whose descendants followed its own in the earlier file (entries and mini sectors, no
    large streams), taken off the queue as one run; ``None`` when none follows. A run stops
    where a watched storage's descendants end (the queue back to size ``closing``)."""
    region = node.region
    members = [(at, region)]
    end, mini_end = region.first + region.length, region.mini + region.mini_count
    while queue and len(queue) != closing and not region.large:
        following = nodes[queue[-1]]
        if type(following) is not Reused or following.earlier is not node.earlier:
            break
        region = following.region
        if region.first != end or region.mini != mini_end or region.large:
            break
        members.append((queue.pop(), region))
        end, mini_end = end + region.length, mini_end + region.mini_count
    if len(members) == 1:
        return None
    first = members[0][1]
    whole = Region(first.first, end - first.first, 0, first.mini, mini_end - first.mini)
    return Reused(node.class_id, node.earlier, whole), members


def moved(node: Reused, moved: int, mini_moved: int, large_moved: int) -> bytes | memoryview:
    """A reused storage's directory entries from the earlier file, their entry numbers moved
    by ``moved``, their mini sectors by ``mini_moved`` and their sectors by ``large_moved``."""
    region = node.region
    entries = node.earlier.directory[region.first * 128 : (region.first + region.length) * 128]
    if not moved and not mini_moved and not large_moved:
        return entries
    fields = array.array("I")  # 32 per entry: left 17, right 18, child 19, start 29
    fields.frombytes(entries)
    for at in range(0, len(fields), 32):
        if moved:
            for pointer in (at + 17, at + 18, at + 19):
                if fields[pointer] != NOSTREAM:
                    fields[pointer] += moved
        if (fields[at + 16] >> 16) & 0xFF == STREAM and fields[at + 30]:
            fields[at + 29] += mini_moved if fields[at + 30] < MINI_CUTOFF else large_moved
    return fields.tobytes()
