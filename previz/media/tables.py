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
from previz.products import identity

MAGIC = b"previz-tables-2\n"
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
        seen = identity(os.stat(file))
        found = self._found.get(file.name)
        if found is not None and found[0] == seen:
            record = found[1]
        else:
            record = make()
            self.changed = True
        self._kept[file.name] = (seen, record)
        return record

    def save(self) -> None:
        """Write the memo (only the files read since it was opened) if it changed; a memo that
        cannot be written is left out (it only saves reading)."""
        if not self.changed and self._kept.keys() == self._found.keys():
            return
        records = [record for _, record in self._kept.values()]
        columns: list[list[Any]] = []
        blobs: list[bytes] = []
        for name in self._names:  # one column per field: each file's value, or its length
            values = [getattr(record, name) for record in records]
            column, blob = _column(values)
            columns.append(column)
            blobs.append(blob)
        head = json.dumps(
            {"kind": self._kind(), "order": sys.byteorder, "names": list(self._kept),
             "ids": [seen for seen, _ in self._kept.values()], "columns": columns}
        ).encode()  # fmt: skip
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
        names, ids, columns = head["names"], head["ids"], head["columns"]
        if len(columns) != len(self._names) or len(ids) != len(names):
            raise ValueError("a memo of another shape")
        at = 8 + size
        fields = []
        for column in columns:
            values, at = _values(column, body, at, len(names))
            fields.append(values)
        if at != len(body):
            raise ValueError("the memo's data does not end where its records do")
        found = {}
        for name, seen, record in zip(names, ids, zip(*fields, strict=True), strict=True):
            size_, mtime, inode = seen
            found[str(name)] = ((int(size_), int(mtime), int(inode)), self.kind(*record))
        return found


def _column(values: list[Any]) -> tuple[list[Any], bytes]:
    """A field's values over the files: ints as they are, arrays and bytes as a typecode and
    each file's length in the blob that follows."""
    if all(type(value) is int for value in values):
        return ["i", values], b""
    if all(isinstance(value, bytes) for value in values):
        return ["b", "", [len(value) for value in values]], b"".join(values)
    if all(isinstance(value, array) for value in values) and values:
        code = values[0].typecode
        if any(value.typecode != code for value in values):
            raise TypeError("arrays of several types in one field")
        return ["a", code, [len(value) for value in values]], b"".join(
            value.tobytes() for value in values
        )
    raise TypeError("a field a table memo cannot keep")


def _values(column: list[Any], body: memoryview, at: int, count: int) -> tuple[list[Any], int]:
    """The values of one column for ``count`` files, and where the next column's blob starts."""
    if column[0] == "i":
        ints = [int(value) for value in column[1]]
        if len(ints) != count:
            raise ValueError("a column of another length")
        return ints, at
    kind, code, lengths = column
    if len(lengths) != count or any(int(n) < 0 for n in lengths):
        raise ValueError("a column of another length")
    if kind == "b":
        values: list[Any] = []
        for length in lengths:
            values.append(bytes(body[at : at + length]))
            at += length
        if at > len(body):
            raise ValueError("a column past the memo's end")
        return values, at
    if kind != "a":
        raise ValueError(f"a column of unknown type {kind!r}")
    whole = array(str(code))
    size = sum(lengths) * whole.itemsize
    if at + size > len(body):
        raise ValueError("a column past the memo's end")
    whole.frombytes(body[at : at + size])
    values, first = [], 0
    for length in lengths:
        values.append(whole[first : first + length])
        first += length
    return values, at + size
