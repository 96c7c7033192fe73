"""The code of forward references and named tuples compiled once and kept between runs.

:class:`typing.ForwardRef` compiles the text of every annotation it stands for as it is made.
The build command's libraries make ~990 of them as they load (pydantic-core's schema
``TypedDict`` classes alone: their annotations are text), from ~300 distinct texts: ~8 ms of
compiling before every ``previz build``; :func:`collections.namedtuple` compiles each named
tuple's ``__new__`` from a line of text (~50 of them: ~3 ms). While :func:`kept` is active,
``typing`` finds a ``compile`` of its own, and :mod:`collections` an ``eval``, that compile each
text once and keep the code in a file beside the dataclass methods'
(:func:`previz.dataclass_code.kept`, which keeps both): the same text compiled by the same
interpreter, with the same file name (``<string>``), mode and flags (neither module has a
``__future__`` import to pass on), is the same code. A text that does not compile raises as
before and is not kept. Like the dataclass methods' file, this one is named after the
interpreter, holds its version and a CRC, and is ignored when damaged or foreign.
"""

from __future__ import annotations

import collections
import contextlib
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

from previz.dataclass_code import MOST, read_kept, write_kept

_HEADER = f"previz typing code 1 {sys.version} {sys.hexversion}\n".encode()


def code_file(folder: Path) -> Path:
    """The file in ``folder`` for this interpreter's forward references."""
    return folder / f"{sys.implementation.cache_tag}.typing.marshal"


def load(path: Path) -> dict[str, CodeType]:
    """The code kept in ``path``; empty when it is missing, damaged or another's."""
    kept = read_kept(path, _HEADER)
    if not isinstance(kept, dict) or not all(
        isinstance(text, str) and isinstance(code, CodeType) for text, code in kept.items()
    ):
        return {}
    return kept


class _Compiler:
    """``compile`` for the typing module: an ``eval`` text of ``<string>`` compiled once."""

    def __init__(self, kept: dict[str, CodeType]) -> None:
        self.kept = kept
        self.used: dict[str, CodeType] = {}
        self.missed = False

    def __call__(
        self, source: Any, filename: Any, mode: str, flags: int = 0, dont_inherit: bool = False,
        optimize: int = -1,
    ) -> Any:  # fmt: skip
        # typing has no __future__ import: what its call would inherit is nothing
        if flags or optimize != -1 or filename != "<string>" or mode != "eval":
            return compile(source, filename, mode, flags, True, optimize)
        if type(source) is not str:
            return compile(source, filename, mode, dont_inherit=True)
        code = self.used.get(source) or self.kept.get(source)
        if code is None:
            code = compile(source, filename, mode, dont_inherit=True)
            self.missed = True
        self.used[source] = code
        return code

    def evaluate(self, source: Any, globals: Any = None, locals: Any = None) -> Any:
        """``eval`` for the collections module, whose own call would see its globals."""
        if globals is None:
            globals = vars(collections)
        if type(source) is str:  # eval drops the leading blanks that compile would refuse
            source = self(source.lstrip(" \t"), "<string>", "eval")
        return eval(source, globals, locals)

    def to_keep(self) -> dict[str, CodeType]:
        merged = {**self.kept, **self.used}
        return merged if len(merged) <= MOST else dict(self.used)


@contextlib.contextmanager
def kept(folder: Path) -> Iterator[None]:
    """For the block, forward references and named tuples made anywhere in the process compile
    each text once, keeping the code in ``folder``; the file is rewritten at the end when a text
    was missing from it. Does nothing if something else already gave ``typing`` a ``compile``
    or :mod:`collections` an ``eval``."""
    if "compile" in vars(typing) or "eval" in vars(collections):
        yield
        return
    path = code_file(folder)
    compiler = _Compiler(load(path))
    typing.compile = compiler  # type: ignore[attr-defined]  # found before the builtins
    collections.eval = compiler.evaluate  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del typing.compile  # type: ignore[attr-defined]
        del collections.eval  # type: ignore[attr-defined]
        if compiler.missed:
            write_kept(path, _HEADER, compiler.to_keep())
