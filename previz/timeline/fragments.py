"""Pieces of an export document kept from its last write, reused when what they show is the same.

A one-shot change alters one shot of a 200-shot cut, yet every export document used to be
written again from scratch. A writer that renders its document as a header, one fragment per
clip (or event) and a footer asks :meth:`Fragments.render` for each fragment with a key that
covers EVERYTHING the fragment's bytes are made from (the clip's stored JSON, its record
position, the ids it refers to, the rate...): a fragment of the previous write with the same key
is reused as it was, any other is rendered. The document is the join of the fragments, so it is
byte-identical to a write from scratch as long as the keys are complete — each writer's tests
write a varied set of cuts both ways, from a memo warmed by a different cut, and compare bytes.

The memo is one file per document (:class:`Memo`), beside the products record, holding the
fragments of the last write only, and trusted only when all of this holds:

- its header names the writer's version (the sources of its modules): a code change never
  reuses bytes an older writer rendered;
- its checksum (CRC-32 of everything after it) matches and its fragments fill it exactly (a
  damaged or truncated memo is ignored, never half-read);
- each document it was saved with is still the file it was saved with (size, mtime, inode):
  the memo is saved after the writer wrote its document and before that document replaces the
  old one, so a crash between the two (or a document changed by hand) leaves a memo that no
  longer matches its document, and it is ignored.

Anything else means a full write. The memo is written atomically (temporary file, rename).
A writer that copies bytes of its last document (the ``.otio``) reads them through
:meth:`Fragments.last_document`, which checks the very file it reads against the memo: a
document replaced after the memo was trusted is never copied from.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from previz.products import identity, write_private

MAGIC = b"previz-fragments 1\n"


@dataclass(frozen=True)
class Memo:
    """Where a document's fragments are kept: the memo file, the document it goes with (the
    base path of a multi-file format's documents) and the writer's version."""

    path: Path
    document: Path
    version: str


def key(*parts: object) -> str:
    """A fragment key: a digest of ``parts`` (strings, numbers, ``None``, tuples of them).

    ``parts`` are spelt by :mod:`marshal` in its version 2, which writes every value the same
    way whatever object holds it (unlike its later versions: no back-references to objects met
    twice, no mark on interned strings) and tells apart what ``repr`` tells apart (types,
    ``-0.0``): ~3x cheaper than ``repr``, whose every float is formatted (a one-shot change
    asks ~5,400 keys). A part marshal cannot write is spelt by ``repr``."""
    try:
        spelt = b"m" + marshal.dumps(cast(Any, parts), 2)  # what it cannot write: ValueError
    except ValueError:
        spelt = repr(parts).encode("utf-8")
    return hashlib.blake2b(spelt, digest_size=16).hexdigest()


class Fragments:
    """The fragments of one write: those of the memo's last write (when it can be trusted)
    are reused by key; :meth:`save` keeps this write's for the next one."""

    def __init__(self, memo: Memo | None) -> None:
        self.memo = memo
        self._before, self._documents = _load(memo) if memo is not None else ({}, {})
        self._now: dict[str, str] = {}
        self.reused = 0  # fragments of this write kept from the last one
        self.rendered = 0  # and rendered now

    @property
    def kept(self) -> int:
        """How many fragments of the last write can be reused (0: the memo was not trusted)."""
        return len(self._before)

    def render(
        self,
        fragment_key: str,
        make: Callable[[], str],
        reusable: Callable[[str], bool] | None = None,
        keep: Callable[[], bool] | None = None,
    ) -> str:
        """The fragment under ``fragment_key``: kept from the last write, or ``make()``.
        ``reusable(text)``: whether a kept fragment may be used as it is (else it is made
        again); ``keep()``, asked after ``make()``: whether this one may be saved for the next
        write (else it is used now and neither saved nor reused within this write)."""
        text = self._now.get(fragment_key)
        if text is not None:
            return text
        text = self._before.get(fragment_key)
        if text is not None and (reusable is None or reusable(text)):
            self.reused += 1
        else:
            text = make()
            self.rendered += 1
            if keep is not None and not keep():
                return text
        self._now[fragment_key] = text
        return text

    def last(self, fragment_key: str) -> str | None:
        """The last write's fragment under ``fragment_key`` (when the memo is trusted), as
        it is: for a writer that reads what it kept (not counted as reused)."""
        return self._before.get(fragment_key)

    def last_document(self) -> bytes | None:
        """The bytes of the memo's document when the file read is still the one the memo was
        saved with (checked on the open file: a document replaced or rewritten since the memo
        was trusted is never read as the last one); ``None`` otherwise."""
        if self.memo is None or (seen := self._documents.get(self.memo.document.name)) is None:
            return None
        try:
            with self.memo.document.open("rb") as document:  # the file checked is the file read
                if _spelt(identity(os.fstat(document.fileno()))) != seen:
                    return None
                return document.read()
        except OSError:
            return None

    def keep(self, fragment_key: str, text: str) -> None:
        """Keep ``text`` under ``fragment_key`` for the next write."""
        self._now[fragment_key] = text

    def save(self, documents: Mapping[str, Path]) -> None:
        """Keep this write's fragments (only them) for the next write, with the identity of
        each document written (its name in the memo's folder -> the file holding its bytes
        now, which may be the temporary file about to replace it)."""
        if self.memo is None:
            return
        files = []
        for name, written in documents.items():
            stat = written.stat()
            files.append(f"{name}\t{_spelt(identity(stat))}")
        index = "\n".join(f"{k} {len(text)}" for k, text in self._now.items())
        head = ("\n".join(files) + "\0" + index + "\0").encode("utf-8")
        body = "".join(self._now.values()).encode("utf-8")
        check = zlib.crc32(body, zlib.crc32(head))
        header = f"{version_line(self.memo.version)}\n{check}\n".encode("ascii")
        write_atomically(self.memo.path, MAGIC, header, head, body)


def version_line(version: str) -> str:
    """The line a memo names its writer's ``version`` by (a digest of it)."""
    return hashlib.sha256(version.encode("utf-8")).hexdigest()


def names_version(memo: Memo) -> bool:
    """Whether ``memo``'s file is there and names its writer's version on its second line, as
    every export memo does (the AAF's too): what a write reading it will check first."""
    try:
        with memo.path.open("rb") as file:
            head = file.read(128).split(b"\n", 2)
    except OSError:
        return False
    return len(head) == 3 and head[1] == version_line(memo.version).encode("ascii")


def write_atomically(target: Path, *chunks: bytes) -> None:
    """Write ``chunks`` to the memo ``target`` through a temporary file and a rename, so no
    reader ever sees half a memo; on failure remove ``target`` instead (a memo is only ever
    a shortcut: without it the next write is a full one). Written as every private file
    beside the product records is (:func:`previz.products.write_private`): a link planted
    beside ``target`` in a shared folder is never written through."""
    try:
        write_private(target, *chunks)
    except OSError:
        with contextlib.suppress(OSError):
            target.unlink()


def _spelt(numbers: tuple[int, ...]) -> str:
    return " ".join(map(str, numbers))


Loaded = tuple[dict[str, str], dict[str, str]]  # the fragments; each document's identity


def _load(memo: Memo) -> Loaded:
    """The memo's fragments and the identities of the documents it was saved with, or
    nothing when it is missing, foreign, damaged or stale."""
    try:
        data = memo.path.read_bytes()
    except OSError:
        return {}, {}
    try:
        return _parse(data, memo)
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return {}, {}


def _parse(data: bytes, memo: Memo) -> Loaded:
    if not data.startswith(MAGIC):
        return {}, {}
    version_end = data.index(b"\n", len(MAGIC))
    check_end = data.index(b"\n", version_end + 1)
    if data[len(MAGIC) : version_end].decode("ascii") != version_line(memo.version):
        return {}, {}
    rest = memoryview(data)[check_end + 1 :]  # the checksum covers all of it, read in place
    if zlib.crc32(rest) != int(data[version_end + 1 : check_end]):
        return {}, {}
    files_end = data.index(b"\0", check_end + 1)
    index_end = data.index(b"\0", files_end + 1)
    documents: dict[str, str] = {}
    for line in data[check_end + 1 : files_end].decode("utf-8").split("\n"):
        name, seen = line.split("\t")
        stat = (memo.document.parent / name).stat()
        if seen != _spelt(identity(stat)):
            return {}, {}
        documents[name] = seen
    text = str(memoryview(data)[index_end + 1 :], "utf-8")
    found: dict[str, str] = {}
    at = 0
    index = data[files_end + 1 : index_end].decode("ascii")
    for entry in index.split("\n") if index else []:
        fragment_key, length = entry.split(" ")
        end = at + int(length)
        found[fragment_key] = text[at:end]
        at = end
    if at != len(text):
        raise ValueError("the fragments do not fill the memo")
    return found, documents
