"""Reading OTIO's C++-backed containers without their slow paths.

Iterating an OTIO vector (a clip's markers, its effects) ends in a ``StopIteration`` raised
through pybind11, and a missed key in ``metadata`` in a translated ``KeyError``: each costs
~40 µs, a loop's worth of work, paid per clip by every writer (1,900 ms of a 2,000-shot cut's
EDLs went on ``"cmx_3600" in clip.metadata`` and ``for marker in clip.markers``). Reading by
index and by length avoids both; the values are the same objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

Element = TypeVar("Element")


def items_of(vector: Sequence[Element]) -> list[Element]:
    """The elements of an OTIO vector (``clip.markers``, ``clip.effects``), read by index."""
    return [vector[index] for index in range(len(vector))]


def has_key(metadata: Any, key: str, *, usual: str = "previz") -> bool:
    """``key in metadata``, answered without a missed lookup when ``metadata`` holds only
    ``usual`` (every previz clip's case)."""
    size = len(metadata)
    if size == 0:
        return False
    if size == 1 and key != usual:
        try:
            metadata[usual]
        except KeyError:
            return key in metadata
        return False
    return key in metadata
