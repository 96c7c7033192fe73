"""Clip facts as JSON text, for formats that can only carry a string (FCP7, FCPXML, AAF).

OTIO keeps metadata as its own ``AnyDictionary``/``AnyVector`` types, which the ``json`` module
does not know; :func:`plain` turns them back into dicts and lists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import opentimelineio as otio


def _otio_containers() -> tuple[type, type]:
    marker = otio.schema.Marker()  # the metadata lives as long as its owner
    marker.metadata["list"] = []
    return type(marker.metadata), type(marker.metadata["list"])


ANY_DICTIONARY, ANY_VECTOR = _otio_containers()  # OTIO's metadata mapping and vector types


def plain(value: Any) -> Any:
    """``value`` with every OTIO mapping and vector turned into ``dict`` and ``list``."""
    kind = type(value)
    if kind is ANY_DICTIONARY:
        # read by length: the C++ iterator's closing StopIteration costs more than the values
        keys = iter(value)
        return {str(key): plain(value[key]) for key in [next(keys) for _ in range(len(value))]}
    if kind is ANY_VECTOR:
        return [plain(value[index]) for index in range(len(value))]
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
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
    return _ENCODER.encode(facts)


def _as_json(value: Any) -> Any:
    kind = type(value)
    if kind is ANY_DICTIONARY:  # read by length, as in :func:`plain`
        keys = iter(value)
        return {str(key): value[key] for key in [next(keys) for _ in range(len(value))]}
    if kind is ANY_VECTOR:
        return [value[index] for index in range(len(value))]
    if isinstance(value, Mapping):
        return {str(key): item for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# One encoder for every call: ``json.dumps`` with options builds a new one each time.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_as_json)
