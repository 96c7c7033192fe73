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
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(item) for item in value]
    return value


def facts_json(facts: Any) -> str:
    """``metadata["previz"]`` as compact JSON text.

    The encoder asks :func:`_as_json` only about what it does not know (OTIO's mappings and
    vectors), so facts that are already plain are not copied first.
    """
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), default=_as_json)


def _as_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): item for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
