"""Regular expressions compiled once and kept between runs, as the dataclass methods are.

The libraries a command imports compile ~130 regular expressions as they load (PyYAML's
reader, the logging module, Jinja's lexer and identifiers, ``importlib.metadata``, ``email``…),
~25 ms of parsing before every ``previz build``: :mod:`re` compiles a pattern in Python, into a
program of numbers that ``_sre.compile`` turns into the pattern object, and keeps it only for
the life of the process. While :func:`kept` is active, a pattern met before is made straight
from its kept program: the same ``_sre.compile`` call with the same arguments that
``re._compiler.compile`` makes from the pattern's text and flags — which is all they depend on,
for one interpreter. (``_sre.compile`` checks a program before using it: a wrong one raises,
and the pattern is then compiled as always.)

Parsing some patterns warns (a possible nested set ``[[``, a doubled set operator, a group
name outside ASCII): those are never kept, so the warning is given as before. The file, beside
the dataclass methods' (:func:`previz.dataclass_code.kept`, which keeps both), is named after
the interpreter and its scheme, holds the interpreter's version and ``_sre``'s in a header,
and a CRC: a damaged or foreign file is ignored, one that cannot be read or written costs the
compiles, never an error. Each program is marshalled on its own and read when its pattern is
met, so patterns other commands (or a screenplay's character names) added cost ~2 µs each.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # the C half of re, which re._compiler calls
import contextlib
import marshal
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from previz.dataclass_code import MOST, read_kept, write_kept

_HEADER = f"previz regex code 2 {sys.version} {sys.hexversion} {_sre.MAGIC}\n".encode()

_Key = tuple[bool, str | bytes, int]  # (bytes?, pattern, flags)
_Program = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
COMPILER: Any = getattr(re, "_compiler", None)
"""re.compile's own compiler, the module :func:`kept` stands in for (Python 3.11 and later)."""
_WARNS = ("[[", "--", "&&", "~~", "||", "(?(")  # spellings whose parsing may warn (re._parser)


def code_file(folder: Path) -> Path:
    """The file in ``folder`` for this interpreter's regular expressions."""
    return folder / f"{sys.implementation.cache_tag}.regex-2.marshal"


def load(path: Path) -> dict[_Key, bytes]:
    """The programs kept in ``path``, each still marshalled (read when its pattern is met);
    empty when the file is missing, damaged or another's."""
    kept = read_kept(path, _HEADER)
    if not isinstance(kept, dict) or not all(
        type(key) is tuple and len(key) == 3 and type(data) is bytes for key, data in kept.items()
    ):
        return {}
    return kept


def _keepable(pattern: str | bytes, flags: int) -> bool:
    if flags & re.DEBUG:
        return False  # compiling prints the program
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    if any(spelling in text for spelling in _WARNS):
        return False
    return isinstance(pattern, str) or "(?P" not in text or text.isascii()


class _Compiler:
    """``re._compiler.compile`` for the block: each keepable pattern parsed once."""

    def __init__(self, kept: dict[_Key, bytes], compile: Callable[..., Any]) -> None:
        self.kept = kept
        self.compile = compile
        self.used: dict[_Key, bytes] = {}  # what this run met, as kept
        self.missed = False

    def __call__(self, pattern: Any, flags: int = 0) -> Any:
        if (
            type(pattern) not in (str, bytes)
            or type(flags) is not int
            or not _keepable(pattern, flags)
        ):
            return self.compile(pattern, flags)
        key = (isinstance(pattern, bytes), pattern, flags)
        data = self.used.get(key) or self.kept.get(key)
        if data is not None:
            with contextlib.suppress(RuntimeError, TypeError, ValueError, OverflowError, EOFError):
                made = _sre.compile(pattern, *marshal.loads(data))
                self.used[key] = data
                return made
        made = self.compile(pattern, flags)
        program = _program_of(made, pattern, flags)
        if program is not None:
            self.used[key] = marshal.dumps(program)
            self.missed = True
        return made

    def to_keep(self) -> dict[_Key, bytes]:
        merged = {**self.kept, **self.used}
        return merged if len(merged) <= MOST else dict(self.used)


def _program_of(made: re.Pattern[Any], pattern: str | bytes, flags: int) -> _Program | None:
    """The arguments ``re._compiler.compile`` gave ``_sre.compile`` for ``made``, worked out
    again from the parse the first time a pattern is met — or None if the pattern they make
    is not ``made`` (patterns compare by flags and program), which is then not kept."""
    try:
        from re import _compiler, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, flags)
        names: list[str | None] = [None] * parsed.state.groups
        for name, index in parsed.state.groupdict.items():
            names[index] = name
        code = [int(word) for word in _compiler._code(parsed, flags)]  # opcodes: int subclasses
        program = (int(made.flags), code, int(made.groups),
                   {str(n): int(i) for n, i in made.groupindex.items()}, tuple(names))  # fmt: skip
        return program if _sre.compile(pattern, *program) == made else None
    except Exception:  # another interpreter's internals: the pattern is simply not kept
        return None


@contextlib.contextmanager
def kept(folder: Path) -> Iterator[None]:
    """For the block, patterns compiled anywhere in the process (by :mod:`re`) are made from
    programs kept in ``folder``; the file is rewritten at the end when one was missing. Does
    nothing if something else already replaced ``re._compiler.compile``, nor before Python
    3.11 (whose compiler is ``sre_compile``: its patterns are compiled as always)."""
    _compiler = COMPILER
    if _compiler is None:
        yield
        return
    original = _compiler.compile
    if getattr(original, "__module__", None) != "re._compiler":
        yield
        return
    path = code_file(folder)
    compiler = _Compiler(load(path), original)
    _compiler.compile = compiler
    try:
        yield
    finally:
        _compiler.compile = original
        if compiler.missed:
            write_kept(path, _HEADER, compiler.to_keep())
