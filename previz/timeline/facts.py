"""Clip facts as JSON text, for formats that can only carry a string (FCP7, FCPXML, AAF).

OTIO keeps metadata as its own ``AnyDictionary``/``AnyVector`` types, which the ``json`` module
does not know; :func:`plain` turns them back into dicts and lists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def plain(value: Any) -> Any:
    """``value`` with every OTIO mapping and vector turned into ``dict`` and ``list``."""
    shape = _SHAPES.get(type(value))
    if shape is None:  # an ABC check per type, not per value (it dominates a cut's facts)
        shape = _SHAPES[type(value)] = (
            "mapping" if isinstance(value, Mapping)
            else "sequence" if isinstance(value, Sequence) and not isinstance(value, (str, bytes))
            else "scalar"
        )  # fmt: skip
    if shape == "mapping":
        return {str(key): plain(item) for key, item in value.items()}
    if shape == "sequence":
        return [plain(item) for item in value]
    return value


_SHAPES: dict[type, str] = {}


def facts_json(facts: Any) -> str:
    """``metadata["previz"]`` as compact JSON text."""
    return json.dumps(plain(facts), sort_keys=True, separators=(",", ":"))
