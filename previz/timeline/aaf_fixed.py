"""The AAF's fixed part — header, dictionary, meta-dictionary — kept from the last write.

pyaaf2 builds the same header, dictionary and meta-dictionary for every file of one writer
version and one set of registered definitions (:func:`previz.timeline.aaf_dictionary.
registration`): ~1,900 storages that cost a pyaaf2 file's making (~40-60 ms) and the compound
file's walk over them, whatever the cut. Only the file's generation id differs (the writer
derives it from the cut). A write keeps a *skeleton* of that part in its memo: the few storages
and streams around the content storage as they are (bytes), the generation id's place in them,
and for the two big subtrees (``MetaDictionary-1``, ``Dictionary-3b04``) where their directory
entries and streams are in the file (:class:`~previz.timeline.cfb.Region`). The next write of
the same registration rebuilds that tree from the skeleton, the big subtrees as
:class:`~previz.timeline.cfb.Reused` storages of the last file, and never makes a pyaaf2 file
when the memo also holds every layout and encoding it needs
(:class:`previz.timeline.aaf_store.ObjectStore`); the bytes are the same as pyaaf2's (tested
against full writes).
"""

from __future__ import annotations

from typing import Any

from previz.timeline.cfb import Earlier, Region, Reused, Storage, Stream

COPIED = ("MetaDictionary-1", "Dictionary-3b04")  # the subtrees copied from the last file
CONTENT = ("Header-2", "Content-3b03")  # the path of the storage holding the mobs
Skeleton = tuple[Any, ...]  # (name, class id, children): plain values, kept in the memo


def capture(
    root: Storage, mob_set: str, generation: bytes
) -> tuple[Skeleton, list[Storage | Reused]]:
    """The skeleton of the fixed part under ``root`` (the mob set, named ``mob_set``…, left
    out), its copied subtrees still as nodes (see :func:`finish`), and those nodes."""
    copied: list[Storage | Reused] = []

    def shape(storage: Storage) -> Skeleton:
        children: list[Any] = []
        for child in storage.children:
            if child.name.startswith(mob_set):
                continue
            if isinstance(child, Stream):
                data = bytes(child.data)
                at = data.find(generation)
                children.append(("stream", child.name, data, at))
            elif child.name in COPIED:
                copied.append(child)
                children.append(("copied", child.name, child.class_id, id(child)))
            elif isinstance(child, Storage):
                children.append(("storage", *shape(child)))
            else:
                raise ValueError(f"unexpected copied storage {child.name!r}")
        return (storage.name, storage.class_id, children)

    return shape(root), copied


def finish(template: Skeleton, regions: dict[int, Region | None]) -> Skeleton | None:
    """The skeleton with each copied subtree's place in the file just written (``None`` if
    one is unknown, or the generation id was not found exactly where it is patched)."""

    def done(name: str, class_id: bytes, children: list[Any]) -> Skeleton | None:
        finished: list[Any] = []
        for child in children:
            if child[0] == "copied":
                region = regions.get(child[3])
                if region is None:
                    return None
                finished.append((*child[:3], tuple(region)))
            elif child[0] == "storage":
                inner = done(*child[1:])
                if inner is None:
                    return None
                finished.append(("storage", *inner))
            else:
                finished.append(child)
        return (name, class_id, finished)

    if sum(1 for found in _streams(template) if found[3] >= 0) != 1:
        return None  # the generation id is patched in exactly one stream
    return done(*template)


def rebuild(skeleton: Skeleton, earlier: Earlier, generation: bytes) -> Storage:
    """The fixed part's tree for a file of generation id ``generation``."""

    def make(name: str, class_id: bytes, children: list[Any]) -> Storage:
        node = Storage(name, class_id)
        for child in children:
            if child[0] == "stream":
                _kind, stream_name, data, at = child
                if at >= 0:
                    data = data[:at] + generation + data[at + len(generation) :]
                node.children.append(Stream(stream_name, data))
            elif child[0] == "copied":
                copied = Reused(child[2], earlier, Region(*child[3]))
                copied.name = child[1]
                node.children.append(copied)  # type: ignore[arg-type]
            else:
                node.children.append(make(*child[1:]))
        return node

    return make(*skeleton)


def content(root: Storage) -> Storage:
    """The content storage (where the mob set goes) in the tree under ``root``."""
    node = root
    for name in CONTENT:
        node = next(c for c in node.children if c.name == name and isinstance(c, Storage))
    return node


def copied_regions(skeleton: Skeleton) -> list[tuple[Any, ...]]:
    """The regions of the copied subtrees a skeleton names."""
    found: list[tuple[Any, ...]] = []
    for child in skeleton[2]:
        if child[0] == "copied":
            found.append(child[3])
        elif child[0] == "storage":
            found += copied_regions(child[1:])
    return found


def _streams(skeleton: Skeleton) -> list[Any]:
    found: list[Any] = []
    for child in skeleton[2]:
        if child[0] == "stream":
            found.append(child)
        elif child[0] == "storage":
            found += _streams(child[1:])
    return found
