"""How a compound file's sibling lists are ordered and hung as red-black trees (MS-CFB 2.6.4).

:mod:`previz.timeline.cfb` numbers a tree's directory entries one sibling list at a time. Each
list is sorted as MS-CFB wants (shorter names first, then by upper-cased name) and hung as a
balanced binary tree whose deepest level is red and every other black, which keeps the
red-black invariants the spec asks readers to assume. Most lists repeat (every object is a
storage holding its ``properties`` stream), so a list's shape is computed once per list of
names (:data:`SIBLINGS`).
"""

from __future__ import annotations

from typing import NamedTuple

NOSTREAM = 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1


class Siblings(NamedTuple):
    """How a list of siblings (known by their names) is stored: the order to take them in
    (sorted as MS-CFB wants) and each one's fixed directory fields."""

    order: list[int]
    root: int
    entries: list[tuple[bytes, int, int, int, int, int]]  # name, size, kind, colour, left, right
    storages: list[int]  # positions (sorted) of the storages among them
    streams: list[int]  # and of the streams
    nothing: list[int]  # NOSTREAM for each (their child pointers, until set)


CACHEDSIBLINGS = 64
SIBLINGS: dict[tuple[tuple[str, ...], tuple[bool, ...]], Siblings] = {}


def siblings_of(names: tuple[str, ...], streams: tuple[bool, ...]) -> Siblings:
    """Sort siblings (shorter names first, then by upper-cased name) and hang them as a
    balanced tree whose deepest level is red, the rest black."""
    order = sorted(range(len(names)), key=lambda i: (len(names[i]), names[i].upper()))
    count = len(names)
    shape: list[tuple[int, int, int]] = [(-1, -1, BLACK)] * count
    deepest = count.bit_length() - 1

    def hang(low: int, high: int, depth: int) -> int:
        if low >= high:
            return -1
        middle = (low + high) // 2
        left, right = hang(low, middle, depth + 1), hang(middle + 1, high, depth + 1)
        shape[middle] = (left, right, RED if depth == deepest and depth > 0 else BLACK)
        return middle

    root = hang(0, count, 0)
    sorted_names = [names[i] for i in order]
    placed = [streams[i] for i in order]
    encoded = [name.encode("utf-16le") for name in sorted_names]
    longest = max(range(count), key=lambda i: len(encoded[i]), default=-1)
    if longest >= 0 and len(encoded[longest]) > 62:
        name_field(sorted_names[longest])  # refuses it, naming it
    entries = [
        (field, len(field) + 2, STREAM if stream else STORAGE, colour, left, right)
        for field, stream, (left, right, colour) in zip(encoded, placed, shape, strict=True)
    ]
    found = Siblings(
        order, root, entries, [p for p in range(count) if not placed[p]],
        [p for p in range(count) if placed[p]], [NOSTREAM] * count,
    )  # fmt: skip
    if count <= CACHEDSIBLINGS:  # the long lists (a file's mobs, a track's clips) are one-offs
        SIBLINGS[(names, streams)] = found
    return found


def name_field(name: str) -> tuple[bytes, int]:
    """A directory entry's name field: UTF-16 and its size with the terminator."""
    encoded = name.encode("utf-16le")
    if len(encoded) > 62:
        raise ValueError(f"compound-file name longer than 31 characters: {name!r}")
    return encoded, len(encoded) + 2
