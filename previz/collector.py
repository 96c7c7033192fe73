"""Python's cycle collector paused around work that makes many objects and no cycles.

Reading a long scene file, parsing an exported cut, building a writer's document, importing a
command: each makes hundreds of thousands of objects, none of them in a reference cycle, and
every burst of allocations set the collector scanning every object alive (half the CPU of
reading a 1,000-shot file, a third of an AAF write) while it freed nothing. Reference counting
still frees everything as usual. The switch is process-wide: another thread's cycles wait too.

A command run from the command line keeps the collector on, but looks less often
(:func:`spaced`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The cycle collector off for the block, then back as it was found (off stays off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


YOUNG_OBJECTS = 20_000
"""Allocations between two collections of the youngest generation while a command runs
(Python's default is 700)."""


@contextlib.contextmanager
def spaced(young: int = YOUNG_OBJECTS) -> Iterator[None]:
    """The collector's youngest generation collected every ``young`` allocations for the block,
    then its thresholds back as they were found.

    A one-shot ``previz build`` of 200 shots made the collector run 77 times (~25 ms), each
    time over objects that mostly were about to be freed by their reference counts anyway
    (a shot's facts, OTIO's wrappers, a take's record): every 20,000 allocations it runs ~5
    times (~6 ms). Cycles wait a little longer to be freed, which costs a few megabytes at
    most; the older generations keep their own thresholds.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(young, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
