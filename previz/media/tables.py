"""What was read from the work folder's media, kept between builds and trusted file by file.

Joining the animatic reads every picture part's sample tables and every sound chunk's frame
layout; for a 200-shot cut that is ~35 ms of Python on every change, although a one-shot
change brings one or two new files. :class:`TableMemo` keeps what was read from each file
(a dataclass of ints, bytes and arrays) with that file's identity — size, ``st_mtime_ns``,
inode — and gives it back only while the file still has that identity: a part or chunk is
written under a temp name and renamed into place, so a rewritten file has another inode.

The memo file is one blob with a SHA-256 of its contents, the byte order and the kind of
record it holds; a damaged, cut short or foreign memo is ignored (everything is read from the
files again) and replaced. It is written atomically, only when what it holds changed, and
keeps only the files asked for in the build that wrote it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sys
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from previz.errors import PrevizError
from previz.media.files import replacing

MAGIC = b"previz-tables-1\n"
_DIGEST = 32

T = TypeVar("T")
_Identity = tuple[int, int, int]


class TableMemo(Generic[T]):
    """The records (instances of the dataclass ``kind``) read from files, by file name."""

    def __init__(self, path: Path, kind: type[T]) -> None:
        self.path = path
        self.kind = kind
        self._names = [field.name for field in dataclasses.fields(kind)]  # type: ignore[arg-type]
        self._found = self._load()
        self._kept: dict[str, tuple[_Identity, T]] = {}
        self.changed = False

    def read(self, file: Path, make: Callable[[], T]) -> T:
        """What ``make`` reads from ``file``: from the memo while ``file`` is the same file."""
        stat = os.stat(file)
        identity = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        found = self._found.get(file.name)
        if found is not None and found[0] == identity:
            record = found[1]
        else:
            record = make()
            self.changed = True
        self._kept[file.name] = (identity, record)
        return record

    def save(self) -> None:
        """Write the memo (only the files read since it was opened) if it changed; a memo that
        cannot be written is left out (it only saves reading)."""
        if not self.changed and self._kept.keys() == self._found.keys():
            return
        entries: list[dict[str, Any]] = []
        blobs: list[bytes] = []
        for name, (identity, record) in self._kept.items():
            fields = []
            for value in (getattr(record, field) for field in self._names):
                fields.append(_field(value, blobs))
            entries.append({"name": name, "id": list(identity), "fields": fields})
        head = json.dumps(
            {"kind": self._kind(), "order": sys.byteorder, "entries": entries}
        ).encode()
        body = len(head).to_bytes(8, "big") + head + b"".join(blobs)
        with contextlib.suppress(OSError, PrevizError), replacing(self.path) as temp:
            temp.write_bytes(MAGIC + hashlib.sha256(body).digest() + body)

    def _kind(self) -> list[str]:
        """What a memo of this kind holds: the record's name and fields."""
        return [self.kind.__name__, *self._names]

    def _load(self) -> dict[str, tuple[_Identity, T]]:
        try:
            data = self.path.read_bytes()
        except OSError:
            return {}
        start = len(MAGIC) + _DIGEST
        if (
            data[: len(MAGIC)] != MAGIC
            or hashlib.sha256(data[start:]).digest() != data[len(MAGIC) : start]
        ):
            return {}
        try:
            return self._records(memoryview(data)[start:])
        except (ValueError, TypeError, KeyError, IndexError):
            return {}

    def _records(self, body: memoryview) -> dict[str, tuple[_Identity, T]]:
        size = int.from_bytes(body[:8], "big")
        head = json.loads(bytes(body[8 : 8 + size]))
        if head["kind"] != self._kind() or head["order"] != sys.byteorder:
            return {}
        at = 8 + size
        found = {}
        for entry in head["entries"]:
            values: list[Any] = []
            for field in entry["fields"]:
                value, at = _value(field, body, at)
                values.append(value)
            if len(values) != len(self._names):
                raise ValueError("a record of another shape")
            size_, mtime, inode = entry["id"]
            found[str(entry["name"])] = ((int(size_), int(mtime), int(inode)), self.kind(*values))
        if at != len(body):
            raise ValueError("the memo's data does not end where its records do")
        return found


def _field(value: object, blobs: list[bytes]) -> list[Any]:
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, array):
        data = value.tobytes()
        blobs.append(data)
        return ["a", value.typecode, len(data)]
    if isinstance(value, bytes):
        blobs.append(value)
        return ["b", len(value)]
    raise TypeError(f"cannot keep a {type(value).__name__} in a table memo")


def _value(field: list[Any], body: memoryview, at: int) -> tuple[object, int]:
    if field[0] == "i":
        return int(field[1]), at
    size = int(field[-1])
    if size < 0 or at + size > len(body):
        raise ValueError("a field past the memo's end")
    chunk = body[at : at + size]
    if field[0] == "b":
        return bytes(chunk), at + size
    if field[0] == "a":
        values = array(str(field[1]))
        values.frombytes(chunk)
        return values, at + size
    raise ValueError(f"a field of unknown type {field[0]!r}")
