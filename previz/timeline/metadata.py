"""Metadata in bulk: a whole cut's facts handed to OpenTimelineIO in one go.

Assigning a Python ``dict`` to an OTIO metadata key converts it value by value in Python
(``opentimelineio.core._core_utils._value_to_any``), each nested mapping or list costing a
pybind overload search of ~9 µs: ~0.1 s for the facts of a 200-shot cut. :class:`MetadataBatch`
collects every ``(metadata, key, value)`` of a timeline being assembled and converts them
together: plain JSON values go through one JSON document that OTIO's C++ reader turns into its
own dictionaries, and each is then copied under its key.

Nothing changes in what is stored. Floats never travel as JSON text: OTIO's reader rounds some
decimal strings to a neighbouring double (``94.52706955539223`` comes back
``94.52706955539225``), so each float is left out of the document and set afterwards from the
Python value itself, exactly as the one-by-one path sets it. A value holding anything but
``dict`` (text keys), ``list``, ``tuple``, ``str``, ``int`` (64-bit), ``float``, ``bool`` and
``None`` — an OTIO object, a time, a ``Path``, a key that is not text — takes OTIO's own
conversion, with its own errors.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

import opentimelineio as otio
from opentimelineio._otio import PyAny

_HOLDER = "SerializableObjectWithMetadata.1"
_INT64 = (-(2**63), 2**63 - 1)
_DEEPEST = 64  # levels of nesting carried in the document

Path_ = tuple[str | int, ...]  # where a float sits inside one value: keys and list indices


class _NotPlain(Exception):
    """A value the JSON document cannot carry exactly; it takes OTIO's own conversion."""


class MetadataBatch:
    """``metadata[key] = value`` for many OTIO objects, applied together by :meth:`apply`."""

    def __init__(self) -> None:
        self._pending: list[tuple[MutableMapping[str, Any], str, Any]] = []

    def set(self, metadata: MutableMapping[str, Any], key: str, value: Any) -> None:
        """Queue ``metadata[key] = value`` (``metadata`` of an OTIO object)."""
        self._pending.append((metadata, key, value))

    def apply(self) -> None:
        """Set every queued value, in order; each reads back as if assigned one by one."""
        pending, self._pending = self._pending, []
        document: dict[str, Any] = {}  # every value under its own key of one dictionary
        floats: dict[str, list[tuple[Path_, float]]] = {}
        carried: list[str | None] = []  # each value's key in the document, None: OTIO's way
        for _, _, value in pending:
            found: list[tuple[Path_, float]] = []
            try:
                plain = _jsonable(value, (), found)
            except _NotPlain:
                carried.append(None)
                continue
            place = str(len(document))
            document[place], floats[place] = plain, found
            carried.append(place)
        holder = _read(document) if document else None  # alive while its values are copied
        read = holder.metadata if holder is not None else None
        for (metadata, key, value), slot in zip(pending, carried, strict=True):
            if slot is None or read is None:
                metadata[key] = value  # OTIO's own conversion, and its errors
                continue
            for path, number in floats[slot]:
                _set_float(read, (slot, *path), number)
            metadata.__internal_setitem__(key, PyAny(read[slot]))  # type: ignore[attr-defined]


def _read(document: dict[str, Any]) -> Any:
    """An OTIO object holding ``document`` as its metadata, read by OTIO's C++ JSON reader."""
    return otio.core.deserialize_json_from_string(
        json.dumps(
            {"OTIO_SCHEMA": _HOLDER, "name": "", "metadata": document},
            ensure_ascii=False, allow_nan=False,
        )
    )  # fmt: skip


def _jsonable(value: Any, path: Path_, floats: list[tuple[Path_, float]]) -> Any:
    """``value`` as JSON values, each float replaced by ``None`` and listed in ``floats``.

    Facts are a few levels deep; a value nested deeper than :data:`_DEEPEST` (or holding
    itself) is left to OTIO's conversion, which refuses a cycle with its own error."""
    kind = type(value)
    if kind is str:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: OTIO's conversion says what is wrong
                raise _NotPlain from None
        return value
    if kind is bool or value is None:
        return value
    if kind is int:
        if not _INT64[0] <= value <= _INT64[1]:
            raise _NotPlain
        return value
    if kind is float:
        floats.append((path, value))
        return None
    if kind is dict or kind is list or kind is tuple:
        if len(path) >= _DEEPEST:
            raise _NotPlain
        if kind is list or kind is tuple:
            return [_jsonable(v, (*path, i), floats) for i, v in enumerate(value)]
        out: dict[str, Any] = {}
        for k, v in value.items():
            if type(k) is not str:
                raise _NotPlain
            leaf = type(v)  # most facts are text, flags and counts: kept here, without a call
            if (
                (leaf is str and v.isascii())
                or leaf is bool
                or v is None
                or (leaf is int and _INT64[0] <= v <= _INT64[1])
            ):
                out[k] = v
            else:
                out[k] = _jsonable(v, (*path, k), floats)
        return out
    raise _NotPlain


def _set_float(metadata: Any, path: Path_, number: float) -> None:
    """Set the float at ``path`` inside the OTIO dictionary (or vector) ``metadata``."""
    target = metadata
    for step in path[:-1]:
        target = target[step]
    target.__internal_setitem__(path[-1], PyAny(number))
