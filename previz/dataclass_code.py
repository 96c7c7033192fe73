"""The methods :mod:`dataclasses` writes for each class, compiled once and kept between runs.

``@dataclass`` writes the source of a class's ``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``… and compiles it with :func:`exec` every time the class is made,
that is every time its module is imported. Python keeps the compiled code of modules (``.pyc``)
but not of these methods: importing what ``previz build`` runs makes ~145 dataclasses (previz's
own and its libraries') from ~670 such sources, ~0.06–0.1 s of compiling before every build.

While :func:`kept` is active, the ``exec`` the dataclasses module calls compiles a source only
the first time it is met: the code objects are kept in one file (:data:`FOLDER` beside the
product records, :func:`previz.products.products_dir`), keyed by the exact source text. The
same text compiled by the same interpreter is the same code, so the methods made from a kept
code object are the ones ``exec`` would make — same globals, locals, file name (``<string>``)
and compiler flags: none are inherited, as the dataclasses module itself has no ``__future__``
import.

The file is named after the interpreter's bytecode tag and holds its full version in a header,
and a CRC of its contents: a damaged, truncated or foreign file is ignored (every source is
compiled, as without it). A file that cannot be read or written costs the compiles, never an
error. It is rewritten only when a source was missing from it, with what it held and what this
run compiled (at most :data:`MOST` sources; past that, only this run's). Each source's code is
marshalled on its own and read only when the source is met: a command reads the code it uses,
not the whole file (~6 µs a method; a file grown with other commands' and other versions'
sources costs no more to start with).
"""

from __future__ import annotations

import contextlib
import dataclasses
import marshal
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

from previz.products import read_private, write_private

FOLDER = "dataclass-code"
"""The folder under :func:`~previz.products.products_dir` that holds the kept code."""

MOST = 5_000
"""The most sources one file keeps (a run's own are always kept)."""

_HEADER = f"previz dataclass code 2 {sys.version} {sys.hexversion}\n".encode()


def code_file(folder: Path) -> Path:
    """The file in ``folder`` for this interpreter's bytecode. Named after the file's scheme
    too: previz versions of another scheme sharing the folder keep a file of their own rather
    than replacing this one at every run."""
    return folder / f"{sys.implementation.cache_tag}.methods-2.marshal"


def load(path: Path) -> dict[str, bytes]:
    """The code kept in ``path``; empty when it is missing, damaged, another interpreter's,
    or not private to this user (:func:`~previz.products.read_private`: code another user
    could write is never run)."""
    kept = read_kept(path, _HEADER)
    if not isinstance(kept, dict) or not all(
        isinstance(text, str) and isinstance(code, bytes) for text, code in kept.items()
    ):
        return {}
    return kept


def save(path: Path, kept: dict[str, bytes]) -> None:
    """Write ``kept`` to ``path`` (atomically: a reader sees the old file or the whole new one);
    best effort, a folder that cannot be written is left as it is."""
    write_kept(path, _HEADER, kept)


def read_kept(path: Path, header: bytes) -> Any:
    """What a file of kept code written with ``header`` holds (unmarshalled, to be checked by
    the caller), or None when it is missing, damaged, another interpreter's or not private."""
    data = read_private(path)
    if data is None:
        return None
    head = len(header)
    if data[:head] != header or len(data) < head + 4:
        return None
    body = data[head + 4 :]
    if int.from_bytes(data[head : head + 4], "big") != zlib.crc32(body):
        return None
    try:
        return marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return None


def write_kept(path: Path, header: bytes, kept: Any) -> None:
    """Write ``kept`` (marshalled, after ``header`` and a CRC) to ``path``, atomically; best
    effort, a folder that cannot be written is left as it is."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: nothing marshal can write
        body = marshal.dumps(kept)
        write_private(path, header + zlib.crc32(body).to_bytes(4, "big") + body)


class _Compiler:
    """``exec`` for the dataclasses module: each source compiled once, from ``kept`` if there."""

    def __init__(self, kept: dict[str, bytes]) -> None:
        self.kept = kept
        self.used: dict[str, bytes] = {}  # what this run met, as kept
        self.codes: dict[str, CodeType] = {}
        self.missed = False

    def __call__(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        if not isinstance(source, str):
            exec(source, globals, locals)
            return
        code = self.codes.get(source) or self._code(source)
        exec(code, globals, locals)

    def _code(self, source: str) -> CodeType:
        data = self.kept.get(source)
        code = _unmarshalled(data) if data is not None else None
        if code is None or data is None:
            code = compile(source, "<string>", "exec", dont_inherit=True)
            data = marshal.dumps(code)
            self.missed = True
        self.codes[source] = code
        self.used[source] = data
        return code

    def to_keep(self) -> dict[str, bytes]:
        """What the file should hold now: what it held and what this run used, or this run's
        alone past :data:`MOST`."""
        merged = {**self.kept, **self.used}
        return merged if len(merged) <= MOST else dict(self.used)


def _unmarshalled(data: bytes) -> CodeType | None:
    try:
        code = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


@contextlib.contextmanager
def kept(folder: Path) -> Iterator[None]:
    """For the block, dataclasses made anywhere in the process compile each method's source
    once, keeping the code in ``folder``; the file is rewritten at the end when a source was
    missing from it. Does nothing if something else already replaced the module's ``exec``.
    The regular expressions and the forward references' code compiled meanwhile are kept in
    ``folder`` too (:func:`previz.regex_code.kept`, :func:`previz.typing_code.kept`)."""
    from previz import regex_code, typing_code  # they read and write with this module's helpers

    with regex_code.kept(folder), typing_code.kept(folder), _dataclasses_kept(folder):
        yield


@contextlib.contextmanager
def _dataclasses_kept(folder: Path) -> Iterator[None]:
    if "exec" in vars(dataclasses):
        yield
        return
    path = code_file(folder)
    compiler = _Compiler(load(path))
    dataclasses.exec = compiler  # type: ignore[attr-defined]  # found before the builtin
    try:
        yield
    finally:
        del dataclasses.exec  # type: ignore[attr-defined]
        if compiler.missed:
            save(path, compiler.to_keep())
