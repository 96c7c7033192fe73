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

The parse also keeps each track item's own text (:func:`item_texts`): everything OTIO knows of
the item (name, ranges, media, markers, effects, metadata), the part of a fragment key
(:mod:`previz.timeline.fragments`) that stands for the item itself.
"""

from __future__ import annotations

import hashlib
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
    digests: list[list[str]] | None = None
    skeleton: str | None = None


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


def is_lent(timeline: otio.schema.Timeline) -> bool:
    """Whether ``timeline``'s text is lent now (reading it costs one parse per process)."""
    lent = _LENT.get(id(timeline))
    return lent is not None and lent.timeline is timeline


def target_urls(timeline: otio.schema.Timeline) -> list[str]:
    """The ``target_url`` of every clip's external reference (the active one), at any depth,
    as ``find_clips`` would find them; empty URLs left out."""
    urls: list[str] = []

    def walk(items: list[Data]) -> None:
        for item in items:
            children = item.get("children")
            if children is not None:
                walk(children)
                continue
            url = target_url(item)
            if url is not None:
                urls.append(url)

    walk(tracks(timeline))
    return urls


def media_reference(item: Data) -> Data | None:
    """A stored clip's active media reference (``None`` for an item without media)."""
    references = item.get("media_references")
    if references is not None:
        found: Data | None = references.get(item.get("active_media_reference_key"))
        return found
    reference: Data | None = item.get("media_reference")
    return reference


def target_url(item: Data) -> str | None:
    """The ``target_url`` of a stored clip's active media reference when it is an external
    reference with one (``None`` otherwise, or for an item without media)."""
    reference = media_reference(item)
    if (reference and str(reference.get("OTIO_SCHEMA", "")).startswith("ExternalReference.")
            and reference.get("target_url")):  # fmt: skip
        return str(reference["target_url"])
    return None


def tracks(timeline: otio.schema.Timeline) -> list[Data]:
    """``timeline``'s tracks as OTIO's JSON holds them (kind, name, ``children``…), in order."""
    return _parsed(timeline).tracks or []


def tracks_and_digests(
    timeline: otio.schema.Timeline,
) -> tuple[list[Data], list[list[str]] | None]:
    """:func:`tracks`, and for each track a digest of each of its items' own JSON text, in
    order: equal digests, equal items (as OTIO writes them, so as every writer reads them).
    ``None`` instead of the digests when the text is not laid out as OTIO writes it."""
    parsed = _parsed(timeline)
    return parsed.tracks or [], parsed.digests


def skeleton(timeline: otio.schema.Timeline) -> str | None:
    """A digest of everything in ``timeline``'s JSON text but its track items (the timeline's,
    stack's and tracks' own fields, how many items each track holds): two cuts with the same
    skeleton differ, if at all, in their track items only. ``None`` when the text is not laid
    out as OTIO writes it."""
    return _parsed(timeline).skeleton


def _parsed(timeline: otio.schema.Timeline) -> _Lent:
    lent = _LENT.get(id(timeline))
    if lent is None or lent.timeline is not timeline:
        lent = _Lent(timeline, timeline.to_json_string(indent=-1))
    if lent.tracks is None:  # once per process: a forked worker parses the text it inherited
        with collector.paused():
            try:
                lent.tracks, lent.digests, lent.skeleton = _scan(lent.text)
            except (ValueError, IndexError, StopIteration):
                lent.tracks = json.loads(lent.text)["tracks"]["children"]
    return lent


def _scan(text: str) -> tuple[list[Data], list[list[str]], str]:
    """The tracks of a timeline's JSON ``text``, each track item's digest (see
    :class:`_Scanner`) and the digest of the rest (:func:`skeleton`)."""
    scanner = _Scanner(text)
    timeline, _end = scanner.members(0, {"tracks": scanner.stack})
    stacked: Data = timeline["tracks"]
    ends = [0] + [end for _start, end in scanner.spans]
    starts = [start for start, _end in scanner.spans] + [len(text)]
    rest = "\0".join(text[end:start] for end, start in zip(ends, starts, strict=True))
    counts = ",".join(str(len(own)) for own in scanner.digests)
    whole = f"{rest}\0{counts}".encode()
    return stacked["children"], scanner.digests, hashlib.blake2b(whole, digest_size=16).hexdigest()


class _Scanner:
    """A walk over a timeline's JSON text down to its track items.

    The items are decoded one by one by the decoder ``json.loads`` uses (so the values are
    the same), which tells where each ends; the few levels above them are walked key by key.
    Each reader takes the index its value starts at and returns the value and the index after it.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
        self.digests: list[list[str]] = []  # per track, its items' digests
        self.spans: list[tuple[int, int]] = []  # where each item is in the text, in order

    def members(self, at: int, inner: dict[str, object]) -> tuple[Data, int]:
        """The object starting at ``at``; values of keys in ``inner`` by their own reader."""
        text, scan = self.text, self.scan
        found: Data = {}
        if text[at] != "{":
            raise ValueError(f"an object expected at {at}")
        at += 1
        while text[at] != "}":
            name, at = scan(text, at)
            if text[at] != ":":
                raise ValueError(f"':' expected at {at}")
            reader = inner.get(name)
            found[name], at = reader(at + 1) if callable(reader) else scan(text, at + 1)
            if text[at] == ",":
                at += 1
        return found, at + 1

    def items(self, at: int) -> tuple[list[Data], int]:
        """A track's items, each decoded whole and digested from its exact text."""
        text, scan = self.text, self.scan
        found: list[Data] = []
        own: list[str] = []
        at += 1
        while text[at] != "]":
            item, end = scan(text, at)
            found.append(item)
            own.append(hashlib.blake2b(text[at:end].encode(), digest_size=16).hexdigest())
            self.spans.append((at, end))
            at = end + 1 if text[end] == "," else end
        self.digests.append(own)
        return found, at + 1

    def track(self, at: int) -> tuple[Data, int]:
        known = len(self.digests)
        found = self.members(at, {"children": self.items})
        if len(self.digests) == known:  # not a composition (a clip right in the stack): no items
            self.digests.append([])
        return found

    def track_list(self, at: int) -> tuple[list[Data], int]:
        text = self.text
        found: list[Data] = []
        at += 1
        while text[at] != "]":
            one, at = self.track(at)
            found.append(one)
            if text[at] == ",":
                at += 1
        return found, at + 1

    def stack(self, at: int) -> tuple[Data, int]:
        return self.members(at, {"children": self.track_list})


def facts(item: Data) -> Any:
    """A stored item's ``metadata["previz"]`` (``None`` without one)."""
    metadata = item.get("metadata")
    return metadata.get("previz") if metadata else None
