"""pyaaf2's objects kept on an in-memory compound-file tree, not on its compound-file writer.

A pyaaf2 file in write mode builds the header, the dictionary and the meta-dictionary (~1,900
storages and streams) as soon as it is opened, and every object it attaches goes through
pyaaf2's compound file: a red-black tree insert, a sector allocation and a directory-entry
read-back per storage (``aaf2.cfb``). That cost ~0.2 s of CPU per AAF export, whatever the
cut's size — more than writing a 200-shot cut's own objects. :class:`MemoryFile` is pyaaf2's
``AAFFile`` with its compound file replaced, before anything is attached, by :class:`Tree`:
plain :class:`~previz.timeline.cfb.Storage` and :class:`~previz.timeline.cfb.Stream` nodes
holding what pyaaf2's object layer writes (its own ``write_properties`` and index streams, its
own validation), ready for :func:`previz.timeline.cfb.write`.

Only what pyaaf2's object layer asks of a compound file while objects are created, attached
and saved is here: find, make a storage, touch and (re)write a stream, a path per storage.
``tests/unit/test_aaf_tree.py`` checks the tree holds exactly what pyaaf2's own compound file
holds, node for node and byte for byte.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aaf2.file import AAFFile

from previz.timeline.cfb import NO_CLASS, Storage, Stream

STAMP = datetime(2000, 1, 1)
"""The file's time and every mob's creation and modification time: one fixed instant, so the
same cut gives the same file (pyaaf2 stamps the time of the write; a cut records no time)."""


class _StreamEntry:
    """A stream: opening it starts its bytes afresh (pyaaf2 rewrites a stream whole)."""

    __slots__ = ("node",)

    def __init__(self, node: Stream) -> None:
        self.node = node

    def open(self, mode: str = "r") -> _StreamEntry:
        self.node.data = b""
        return self

    def write(self, data: bytes) -> None:
        self.node.data += bytes(data)

    def truncate(self) -> None:
        """The bytes written since :meth:`open` are the stream (nothing follows them)."""


class _StorageEntry:
    """A storage: its node, its entries by name, its path (pyaaf2 keys objects by path)."""

    __slots__ = ("_path", "entries", "node")

    def __init__(self, node: Storage, path: str) -> None:
        self.node, self._path = node, path
        self.entries: dict[str, _StorageEntry | _StreamEntry] = {}

    @property
    def class_id(self) -> bytes:
        """The storage's class id (16 bytes, little-endian GUID)."""
        return self.node.class_id

    @class_id.setter
    def class_id(self, value: Any) -> None:  # pyaaf2 sets an AUID (or None)
        self.node.class_id = value.bytes_le if value is not None else NO_CLASS

    def path(self) -> str:
        """``/Header-2/Content-3b03``: the storage's path from the root."""
        return self._path

    def get(self, name: str) -> _StorageEntry | _StreamEntry | None:
        """The entry called ``name`` in this storage, if any."""
        return self.entries.get(name)

    def makedir(self, name: str, class_id: Any = None) -> _StorageEntry:
        """A new storage ``name`` in this one."""
        node = Storage(name)
        entry = self.entries[name] = _StorageEntry(node, f"{self._path.rstrip('/')}/{name}")
        self.node.children.append(node)
        entry.class_id = class_id
        return entry

    def touch(self, name: str) -> _StreamEntry:
        """The stream ``name`` in this storage, made empty if it was missing."""
        entry = self.entries.get(name)
        if entry is None:
            node = Stream(name, b"")
            entry = self.entries[name] = _StreamEntry(node)
            self.node.children.append(node)
        if not isinstance(entry, _StreamEntry):
            raise IsADirectoryError(f"{entry.path()} is a storage, not a stream")
        return entry


class Tree:
    """The compound file pyaaf2 writes into: a root storage and lookups by path."""

    def __init__(self, class_id: Any) -> None:
        self.class_id = class_id  # the file's class id, as pyaaf2 chose it for an AAF
        self.root = _StorageEntry(Storage("Root Entry"), "/")

    def find(self, path: str) -> _StorageEntry | _StreamEntry | None:
        """The entry at ``path`` (``/`` is the root), or ``None``."""
        entry: _StorageEntry | _StreamEntry | None = self.root
        for part in path.strip("/").split("/"):
            if part:
                if not isinstance(entry, _StorageEntry):
                    return None
                entry = entry.get(part)
        return entry

    def exists(self, path: str) -> bool:
        """Whether ``path`` names an entry."""
        return self.find(path) is not None

    def open(self, path: str, mode: str = "r") -> _StreamEntry:
        """The stream at ``path`` (made when missing), opened to be written afresh."""
        folder, _, name = path.rpartition("/")
        parent = self.find(folder or "/")
        if not isinstance(parent, _StorageEntry):
            raise FileNotFoundError(f"no storage {folder!r} for stream {name!r}")
        return parent.touch(name).open(mode)


class MemoryFile(AAFFile):  # type: ignore[misc]  # pyaaf2 has no type hints
    """A pyaaf2 file open for writing whose objects live on a :class:`Tree` (``.cfb``)."""

    cfb: Tree

    def setup_empty(self) -> None:
        """pyaaf2's new file (header, dictionary, meta-dictionary), built on a :class:`Tree`."""
        self.cfb = Tree(self.cfb.class_id)
        super().setup_empty()
        self.header["LastModified"].value = STAMP
        self.header["IdentificationList"].value[0]["Date"].value = STAMP

    def identify(self, generation: uuid.UUID) -> None:
        """The file's generation id (pyaaf2 draws a random one): the writer derives it from
        the cut, so the same cut gives the same file."""
        self.header["IdentificationList"].value[0]["GenerationAUID"].value = generation

    def write_objects(self) -> None:
        """pyaaf2's ``save`` (the weak-reference table, then every object changed) without
        checking each object for its required properties (half the save's time): the objects
        are pyaaf2's own for a new file and the definitions the AAF writer registers, each kind
        of which ``tests/unit/test_aaf_tree.py`` saves through pyaaf2's checking ``save``."""
        self.write_reference_properties()
        for obj in self.manager.modified.values():
            obj.write_properties(validate=False)
        self.manager.modified.clear()


def new_file() -> MemoryFile:
    """A new pyaaf2 file in memory, on a :class:`Tree`."""
    return MemoryFile(None, "w")
