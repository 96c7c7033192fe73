"""What the .xges writer reads of a clip from the cut's stored JSON instead of OTIO's bindings.

Most items of a previz cut are plain clips: an external reference, a source range, no effects
and no metadata but previz's own. For those, everything the .xges writer asks of a clip — its
trimmed range, its media's URL and range, whether GES could play it — is read off the clip's
stored JSON (:mod:`previz.timeline.serialised`: the values OTIO holds), at a fraction of a call
per value through the bindings. Any other item is asked through the bindings as before, so
every refusal (effects, a read .xges's metadata, other references) is the same.
"""

from __future__ import annotations

from typing import Any

import opentimelineio as otio

from previz.timeline import serialised

Data = serialised.Data
GST_SECOND = 1_000_000_000


def time_ns(time: otio.opentime.RationalTime) -> int:
    """``time`` in nanoseconds as the adapter writes every time: float seconds, truncated."""
    return int(time.to_seconds() * GST_SECOND)


def media_end(available: otio.opentime.TimeRange | None) -> int | None:
    """Where media of ``available`` range ends (ns): its start plus its duration."""
    return (
        None if available is None else time_ns(available.start_time) + time_ns(available.duration)
    )


def ns(time: Data) -> int:
    """A stored ``RationalTime`` in nanoseconds as ``xges`` writes every time:
    ``int(time.to_seconds() * GST_SECOND)``, the same doubles (``value * 1 / rate``)."""
    return int(time["value"] * 1.0 / time["rate"] * GST_SECOND)


def plain_clip(data: Data | None) -> str | None:
    """The media URL of a stored clip GES plays as it is — an external reference, a source
    range, no effect, no metadata but previz's on it or its media; ``None`` for anything
    else (the bindings are asked then)."""
    if data is None or not str(data.get("OTIO_SCHEMA", "")).startswith("Clip."):
        return None
    if data.get("effects") or data.get("source_range") is None or not _own(data):
        return None
    references = data.get("media_references")
    reference = (references.get(data.get("active_media_reference_key")) if references is not None
                 else data.get("media_reference"))  # fmt: skip
    if not reference or not str(reference.get("OTIO_SCHEMA", "")).startswith("ExternalReference."):
        return None
    if not _own(reference) or not isinstance(reference.get("target_url"), str):
        return None
    return str(reference["target_url"])


def _own(data: Data) -> bool:
    """No metadata but previz's (a read .xges's ``XGES`` cannot be there)."""
    metadata: Any = data.get("metadata") or {}
    return len(metadata) == 0 or (len(metadata) == 1 and "previz" in metadata)


def trimmed(data: Data) -> tuple[int, int]:
    """A plain clip's in point and duration (ns), from its source range."""
    source = data["source_range"]
    return ns(source["start_time"]), ns(source["duration"])


def media_duration(data: Data) -> int | None:
    """A plain clip's media's end (ns): its available range's start plus duration."""
    references = data.get("media_references")
    reference = (references[data["active_media_reference_key"]] if references is not None
                 else data["media_reference"])  # fmt: skip
    available = reference.get("available_range")
    return None if available is None else ns(available["start_time"]) + ns(available["duration"])
