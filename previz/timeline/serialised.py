"""The cut as OTIO's own JSON of it, parsed: what writers read instead of OTIO's bindings.

Reading a clip's facts through OTIO's bindings costs a call and a Python object per value
(~20 µs a clip for a previz clip's ~35 facts); ``json.loads`` of the whole cut's JSON gives
every clip's facts as plain dicts and lists at a fraction of that. An export call already
serialises the cut once for its content key (:class:`previz.timeline.export.PendingExport`):
:func:`lend` lends that text to the writers of the call, so each process (the caller, each
forked worker) parses it at most once and the writers share the result (FCP7, FCPXML and AAF
read every clip's facts). A cut not lent (a writer called on its own, a copy made for a media
path policy) is serialised and parsed for the one call.

The values are the ones OTIO holds: its JSON writer prints every double so that it reads back
to the same double, and the writers' golden documents are written from these dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import opentimelineio as otio

from previz import collector

Data = dict[str, Any]


@dataclass
class _Lent:
    """A cut lent to the writers: its JSON text, and its tracks once parsed in this process."""

    timeline: otio.schema.Timeline
    text: str
    tracks: list[Data] | None = None


_LENT: dict[int, _Lent] = {}  # by the cut's id (the cut itself is kept and compared)


def lend(timeline: otio.schema.Timeline, text: str) -> None:
    """From now until :func:`take_back`, ``text`` (``timeline.to_json_string(indent=-1)``)
    stands for ``timeline``, which nobody changes meanwhile (built-in writers only read)."""
    _LENT[id(timeline)] = _Lent(timeline, text)


def take_back(timeline: otio.schema.Timeline) -> None:
    """``timeline``'s text is no longer lent (it may change again)."""
    lent = _LENT.get(id(timeline))
    if lent is not None and lent.timeline is timeline:
        del _LENT[id(timeline)]


def tracks(timeline: otio.schema.Timeline) -> list[Data]:
    """``timeline``'s tracks as OTIO's JSON holds them (kind, name, ``children``…), in order."""
    lent = _LENT.get(id(timeline))
    if lent is None or lent.timeline is not timeline:
        return _tracks_of(timeline.to_json_string(indent=-1))
    if lent.tracks is None:  # once per process: a forked worker parses the text it inherited
        lent.tracks = _tracks_of(lent.text)
    return lent.tracks


def _tracks_of(text: str) -> list[Data]:
    with collector.paused():
        found: list[Data] = json.loads(text)["tracks"]["children"]
    return found


def facts(item: Data) -> Any:
    """A stored item's ``metadata["previz"]`` (``None`` without one)."""
    metadata = item.get("metadata")
    return metadata.get("previz") if metadata else None
