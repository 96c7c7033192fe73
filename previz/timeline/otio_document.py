"""The ``.otio`` document: OTIO's own JSON text, written from the last one when only items changed.

The ``.otio`` is the text of OTIO's JSON writer (four-space indents), byte for byte. In it, a
track item reads the same wherever it is: OTIO's text of the item alone, every line after the
first indented to the item's depth (five levels: the timeline, its stack, the stack's
children, a track, its children). So when a cut differs from the last one written only in
some of its track items — a one-shot change: the shot's picture, alternate and stems — its
document is the last document with those items' texts replaced:

- what lies around and between the items (the timeline's, the stack's and the tracks' own
  fields) is the same when the rest of the cut's JSON is (:func:`serialised.skeleton`, which
  also counts each track's items);
- an item whose JSON is the same (its digest, :func:`serialised.tracks_and_digests`) has the
  same text; any other is serialised alone by OTIO, as the whole document would have it.

The memo (:mod:`previz.timeline.fragments`, trusted on the same terms as every writer's: this
writer's version, its checksum, the very document it was saved with) keeps the skeleton's
digest and where each item lies in the last document. A full write (no trusted memo, another
skeleton) finds its items by their indentation: in OTIO's text only a track item's braces
open and close a line at their depth inside a track's ``children``.

OTIO's downgrade of schema versions (``OTIO_DEFAULT_TARGET_VERSION_FAMILY_LABEL``) changes the
text without changing the cut: while it is set, every document is written whole, no memo kept.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import opentimelineio as otio

from previz.timeline import serialised
from previz.timeline.fragments import Fragments

DEPTH = b"\n" + b" " * 20  # a new line at a track item's depth
_CHILDREN = b'\n                "children": ['  # a track's (its members: four indents)
_BRACES = re.compile(rb"\n {20}[{}]")  # a line opening or closing an item of a track
LAYOUT = "layout"  # the memo's one fragment: the skeleton's digest and the items' places
_DOWNGRADE = "OTIO_DEFAULT_TARGET_VERSION_FAMILY_LABEL"  # read by OTIO's JSON writer

Span = tuple[int, int]


def write(timeline: otio.schema.Timeline, path: Path, fragments: Fragments) -> None:
    """Write ``timeline`` as OTIO's JSON writer would, from the last document where alike;
    keep where its items lie in ``fragments``."""
    digests = None if _DOWNGRADE in os.environ else _item_digests(timeline)
    skeleton = serialised.skeleton(timeline) if digests is not None else None
    if digests is None or skeleton is None:
        path.write_bytes(_whole(timeline))
        return
    made = _from_last(timeline, fragments, skeleton, digests)
    if made is None:
        document = _whole(timeline)
        spans = _item_spans(document, [len(own) for own in digests])
    else:
        document, spans = made
    path.write_bytes(document)
    if spans is not None:
        flat = [digest for own in digests for digest in own]
        items = [[digest, *span] for digest, span in zip(flat, spans, strict=True)]
        fragments.keep(LAYOUT, json.dumps({"skeleton": skeleton, "size": len(document),
                                           "items": items}))  # fmt: skip


def _whole(timeline: otio.schema.Timeline) -> bytes:
    """OTIO's text of ``timeline`` (written here: the same bytes as its ``write_to_file``,
    whose file stream costs ~1.5x the string and one write together)."""
    return str(otio.adapters.otio_json.write_to_string(timeline)).encode("utf-8")


def _item_digests(timeline: otio.schema.Timeline) -> list[list[str]] | None:
    """Each track's items' digests; ``None`` when they are unknown or the stack holds
    anything but tracks (its items would sit at another depth)."""
    stored, digests = serialised.tracks_and_digests(timeline)
    if not all(str(track.get("OTIO_SCHEMA", "")).startswith("Track.") for track in stored):
        return None
    return digests


def _from_last(
    timeline: otio.schema.Timeline, fragments: Fragments, skeleton: str,
    digests: list[list[str]],
) -> tuple[bytes, list[Span]] | None:  # fmt: skip
    """The document from the last one and where its items lie; ``None`` when the last one
    cannot be used (no trusted memo, another skeleton, a document not the one described)."""
    kept = fragments.last(LAYOUT)
    if kept is None:
        return None
    try:
        layout = json.loads(kept)
        items = [(str(digest), int(start), int(end)) for digest, start, end in layout["items"]]
        if layout["skeleton"] != skeleton or len(items) != sum(map(len, digests)):
            return None  # the cut differs beyond its items (or in their number)
    except (ValueError, KeyError, TypeError):  # not a layout
        return None
    last = fragments.last_document()
    if last is None:
        return None  # gone or replaced since the memo was trusted
    places = [0, *(place for _digest, start, end in items for place in (start, end)), len(last)]
    if len(last) != layout["size"] or places != sorted(places):
        return None  # places that do not fit the document
    where = {digest: (start, end) for digest, start, end in items}
    pieces: list[bytes] = []
    spans: list[Span] = []
    at = before = 0  # in the new document; in the last one, after the last item passed
    where_now = [(track, index) for track, own in enumerate(digests) for index in range(len(own))]
    flat = [digest for own in digests for digest in own]
    for (track, index), digest, (_digest, start, end) in zip(where_now, flat, items, strict=True):
        gap = last[before:start]
        found = where.get(digest)
        if found:
            text = last[found[0] : found[1]]
            fragments.reused += 1
        else:
            text = _item_text(timeline, track, index)
            fragments.rendered += 1
        pieces += [gap, text]
        spans.append((at + len(gap), at + len(gap) + len(text)))
        at, before = spans[-1][1], end
    pieces.append(last[before:])
    return b"".join(pieces), spans


def _item_text(timeline: otio.schema.Timeline, track: int, index: int) -> bytes:
    """OTIO's text of a track item at its depth in the document."""
    alone = str(otio.adapters.otio_json.write_to_string(timeline.tracks[track][index]))
    return alone.encode("utf-8").replace(b"\n", DEPTH)


def _item_spans(document: bytes, counts: list[int]) -> list[Span] | None:
    """Where each track's items lie in OTIO's text of a whole cut (``counts``: how many each
    track holds), found by their indentation; ``None`` where the text is laid out otherwise.

    Members of the timeline are the only lines at one indent, of its stack at two, of a track
    at four; inside a track's ``children`` only its items' braces are at five."""
    at = document.find(b'\n        "children": [', document.find(b'\n    "tracks": {'))
    spans: list[Span] = []
    for count in counts:
        at = document.find(_CHILDREN, at)
        if at < 0:
            return None
        at += len(_CHILDREN)
        braces = _BRACES.finditer(document, at)
        for number in range(count):
            opening, closing = next(braces, None), next(braces, None)
            if opening is None or closing is None or document[at : at + 1] != (
                    b"," if number else b"\n"):  # fmt: skip
                return None
            if opening.start() != at + (1 if number else 0) or opening[0][-1:] != b"{":
                return None
            if closing[0][-1:] != b"}":
                return None
            spans.append((opening.end() - 1, closing.end()))
            at = closing.end()
    return spans
