"""Kdenlive / MLT (.kdenlive): written here, in Kdenlive's document layout, for ``melt`` to render.

The OTIO kdenlive adapter (0.0.3, deprecated upstream) writes a document MLT renders wrongly:
its black background track has no length (melt renders 15,000+ frames), the profile is forced
to 1920x1080, clip markers are dropped, dissolves are dropped ("Transitions handling to be
added"), and every time is a rounded ``HH:MM:SS.mmm`` clock string. Fixing that output would
mean rewriting most of it, so this module writes the same layout directly, in whole frames:

- the profile carries the project's exact rate (24000/1001) and frame size;
- the black track lasts exactly as long as the cut;
- each OTIO track is a Kdenlive track: a tractor of two playlists; a dissolve is a Kdenlive
  "mix" (incoming clip on the second playlist, a ``luma``/``mix`` transition with
  ``kdenlive:mixcut``), the form the adapter's reader and Kdenlive both understand;
- audio tracks are summed with ``mix`` transitions (without them MLT plays only the top one);
- clip markers go to the bin producer's ``kdenlive:markers``, timeline markers to the guides.

Tracks keep OTIO's order, bottom first, so the selected takes cover the alternates below them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd
from pathlib import Path

import opentimelineio as otio

from previz.timeline import serialised
from previz.timeline.fades import items_without_fades, track_fade_frames
from previz.timeline.fragments import Fragments, key
from previz.timeline.media import media_path_text
from previz.timeline.rates import frames_of, stored_frames, timeline_rate
from previz.timeline.vectors import items_of
from previz.timeline.xmltree import (
    Element,
    Markup,
    Verbatim,
    compact_document,
    compact_of,
    sub_element,
)

Data = serialised.Data

# Kdenlive's marker categories: 0 purple ... 8 magenta (its definitions.h order).
MARKER_TYPES = ("PURPLE", "CYAN", "BLUE", "GREEN", "YELLOW", "ORANGE", "RED", "PINK", "MAGENTA")


@dataclass
class _Document:
    root: Element
    rate: float
    relative_to: Path | None
    producers: dict[str, str] = field(default_factory=dict)  # media path -> producer id
    resources: dict[str, str] = field(default_factory=dict)  # media URL -> media path
    bin_entries: list[Element] = field(default_factory=list)
    playlists: int = 0
    fragments: Fragments = field(default_factory=lambda: Fragments(None))
    digests: dict[int, str] = field(default_factory=dict)  # by the id of each track item
    stored: dict[int, serialised.Data] = field(default_factory=dict)  # its JSON, by the same


class _Producer(Verbatim):
    """A media file's bin producer, written as a fragment: its key holds what its markup is
    made of (the clip that named it, by its stored JSON's digest; its id, number, resource,
    length and the rate), so markup kept from the last write under the same key is this."""

    __slots__ = ("clip", "document", "length", "number", "own", "resource")

    def __init__(self, document: _Document, clip: otio.schema.Clip, own: str,
                 producer_id: str, length: int, resource: str) -> None:  # fmt: skip
        super().__init__("producer", id=producer_id)
        self.set("in", "0")
        self.set("out", str(max(length - 1, 0)))
        self.document, self.clip, self.own = document, clip, own
        self.length, self.resource, self.number = length, resource, len(document.producers)

    def render(self, indent: str | None) -> str:
        parts = (self.document.rate, self.own, self.get("id"), self.length, self.resource)
        fragment = key("producer", indent, self.number, *parts)
        return self.document.fragments.render(fragment, self._markup)

    def _markup(self) -> str:
        producer = _producer_element(self.get("id"), self.length, service="avformat-novalidate",
                                     resource=self.resource)  # fmt: skip
        _property(producer, "kdenlive:id", str(self.number + 2))
        _property(producer, "kdenlive:clipname", self.clip.name)
        markers = [_marker_json(m, self.document.rate) for m in items_of(self.clip.markers)]
        if markers:
            _property(producer, "kdenlive:markers", json.dumps(markers))
        return compact_of(producer)


def write(
    timeline: otio.schema.Timeline,
    path: Path,
    *,
    width: int,
    height: int,
    relative_to: Path | None = None,
    fragments: Fragments | None = None,
) -> None:
    """Write ``timeline`` as a Kdenlive project at its own rate and ``width`` x ``height``;
    each bin producer is a fragment reused from ``fragments``."""
    rate = timeline_rate(timeline)
    root = Element("mlt", version="7.0.0", title=timeline.name, LC_NUMERIC="C")
    root.set("producer", "main_bin")
    # No ``root``: MLT then resolves relative media against the document's own folder, so a
    # moved or shared project still finds its clips (a pinned absolute root renders black).
    _profile(root, rate, width, height)
    document = _Document(root, float(rate), relative_to)
    stored, digests = serialised.tracks_and_digests(timeline)
    if fragments is not None and digests is not None:
        document.fragments = fragments
    own = digests or [[""] * len(track) for track in timeline.tracks]
    total = frames_of(timeline.tracks.duration(), document.rate)
    data = stored if len(stored) == len(own) else [{"children": []} for _ in own]
    track_tractors = [_track(document, t, d, s["children"])
                      for t, d, s in zip(timeline.tracks, own, data, strict=True)]  # fmt: skip
    main_bin = _main_bin(document, timeline)
    # MLT resolves a producer reference only if the producer is defined earlier in the file:
    # the profile, the bin's producers, the bin, then the tracks' playlists and tractors.
    profile, *tracks = root.children
    root.children = [profile, *document.bin_entries, main_bin, *tracks]
    for element in (*document.bin_entries, main_bin):
        element.parent = root
    _main_tractor(root, track_tractors, total)
    path.write_bytes(compact_document(root))


def _main_tractor(root: Element, track_tractors: list[tuple[str, str]], total: int) -> None:
    """The tractor Kdenlive plays: a black track under every track's tractor (sound tracks
    hide their picture, picture tracks their sound), and a mix of each sound track into it."""
    black = _producer_element("black_track", total, service="color", resource="black")
    root.append(black)
    _property(black, "set.test_audio", "0")
    main = sub_element(root, "tractor", id="maintractor", global_feed="1")
    main.set("in", "0")
    main.set("out", str(max(total - 1, 0)))
    sub_element(main, "track", producer="black_track")
    for tractor_id, kind in track_tractors:
        hide = "video" if kind == otio.schema.TrackKind.Audio else "audio"
        sub_element(main, "track", producer=tractor_id, hide=hide)
    for index, (_, kind) in enumerate(track_tractors, start=1):
        if kind == otio.schema.TrackKind.Audio:
            mix = sub_element(main, "transition", id=f"mix{index}")
            for name, value in (
                ("a_track", "0"),
                ("b_track", str(index)),
                ("mlt_service", "mix"),
                ("always_active", "1"),
                ("sum", "1"),
                ("internal_added", "237"),
            ):
                _property(mix, name, value)  # fmt: skip


def _profile(root: Element, rate: Fraction, width: int, height: int) -> None:
    divisor = gcd(width, height)
    sub_element(
        root,
        "profile",
        description=f"previz {width}x{height} {float(rate):.3f} fps",
        frame_rate_num=str(rate.numerator),
        frame_rate_den=str(rate.denominator),
        width=str(width),
        height=str(height),
        progressive="1",
        sample_aspect_num="1",
        sample_aspect_den="1",
        display_aspect_num=str(width // divisor),
        display_aspect_den=str(height // divisor),
        colorspace="709",
    )


def _property(element: Element, name: str, value: str) -> None:
    sub_element(element, "property", name=name).text = value


def _producer_element(producer_id: str, length: int, *, service: str, resource: str) -> Element:
    producer = Element("producer", id=producer_id)
    producer.set("in", "0")
    producer.set("out", str(max(length - 1, 0)))
    _property(producer, "length", str(length))
    _property(producer, "eof", "pause")
    _property(producer, "resource", resource)
    _property(producer, "mlt_service", service)
    return producer


def _media_producer(document: _Document, clip: otio.schema.Clip) -> str:
    stored = document.stored.get(id(clip))
    url = serialised.target_url(stored) if stored is not None else None  # read from its JSON
    if url is None:  # or asked through the bindings (no media, an empty URL, no JSON)
        reference = clip.media_reference
        if not isinstance(reference, otio.schema.ExternalReference):
            return _missing_producer(document, clip)
        url = reference.target_url
    resource = document.resources.get(url)
    if resource is None:
        resource = document.resources[url] = media_path_text(url, document.relative_to)
    if resource in document.producers:
        return document.producers[resource]
    length = _media_length(document, clip, stored)
    producer_id = f"producer{len(document.producers)}"
    producer = _Producer(document, clip, document.digests[id(clip)], producer_id, length,
                         resource)  # fmt: skip
    document.producers[resource] = producer_id
    document.bin_entries.append(producer)
    return producer_id


def _media_length(document: _Document, clip: otio.schema.Clip, stored: Data | None) -> int:
    """Frames to the end of ``clip``'s media: from its stored JSON when its range is at one
    rate (``end_time_exclusive`` is then the sum of two values), else through the bindings."""
    reference = serialised.media_reference(stored) if stored is not None else None
    available = (reference or {}).get("available_range")
    if available is not None and available["start_time"]["rate"] == available["duration"]["rate"]:
        start, duration = available["start_time"], available["duration"]
        return stored_frames({"value": start["value"] + duration["value"],
                              "rate": start["rate"]}, document.rate)  # fmt: skip
    return frames_of(clip.available_range().end_time_exclusive(), document.rate)


def _missing_producer(document: _Document, clip: otio.schema.Clip) -> str:
    """A shot with no media yet: black of the right length (as in GES and EDLs), so the cut
    still times out; the clip keeps the shot's name in the bin."""
    producer_id = f"missing{len(document.bin_entries)}"
    length = frames_of(clip.duration(), document.rate)
    producer = _producer_element(producer_id, length, service="color", resource="0x000000ff")
    _property(producer, "kdenlive:id", str(len(document.bin_entries) + 1000))
    _property(producer, "kdenlive:clipname", clip.name)
    document.bin_entries.append(producer)
    return producer_id


def _marker_json(marker: otio.schema.Marker, rate: float) -> dict[str, object]:
    colour = str(marker.color).upper()
    kind = MARKER_TYPES.index(colour) if colour in MARKER_TYPES else 0
    comment = marker.name if not marker.comment else f"{marker.name}: {marker.comment}"
    return {"pos": frames_of(marker.marked_range.start_time, rate), "comment": comment,
            "type": kind}  # fmt: skip


def _playlist(document: _Document) -> Element:
    playlist = sub_element(document.root, "playlist", id=f"playlist{document.playlists}")
    document.playlists += 1
    return playlist


def _blank(playlist: Element, frames: int) -> None:
    if frames > 0:
        playlist.append(Markup(f'<blank length="{frames}"/>'))  # whole numbers and previz's
        # own producer ids (here and in plain entries): nothing to escape, no element built


def _entry(document: _Document, playlist: Element, clip: otio.schema.Clip,
           head: int, tail: int, fades: tuple[int, int]) -> None:  # fmt: skip
    """Place ``clip`` widened by ``head`` frames before and ``tail`` after (dissolve overlaps),
    fading in and out over ``fades`` frames."""
    producer_id = _media_producer(document, clip)
    first, count = _source_frames(document, clip)
    first, count = first - head, count + head + tail
    if not any(fades):
        markup = f'<entry producer="{producer_id}" in="{first}" out="{first + count - 1}"/>'
        playlist.append(Markup(markup))
        return
    entry = sub_element(playlist, "entry", producer=producer_id)
    entry.set("in", str(first))
    entry.set("out", str(first + count - 1))
    fade_in, fade_out = fades
    if fade_in:
        _fade(entry, fade_in, out=False)
    if fade_out:
        _fade(entry, fade_out, out=True)


def _fade(entry: Element, frames: int, *, out: bool) -> None:
    """Kdenlive's own fade from or to black on a placed clip: a keyframed brightness filter."""
    first, last = int(entry.get("in", "0")), int(entry.get("out", "0"))
    start = last - frames + 1 if out else first
    fade = sub_element(entry, "filter")
    fade.set("in", str(start))
    fade.set("out", str(start + frames - 1))
    # frame k of n at k/n of the way, as the animatic draws it (the last key is one past the end)
    level = f"0=1;{frames}=0" if out else f"0=0;{frames}=1"
    kind = "fade_to_black" if out else "fade_from_black"
    for name, value in (("mlt_service", "brightness"), ("level", level), ("alpha", "1"),
                        ("kdenlive_id", kind)):  # fmt: skip
        _property(fade, name, value)


def _items(
    children: list[otio.core.Composable],
) -> Iterator[tuple[otio.core.Item, int, int, bool]]:
    """Each item of a track, the frames a dissolve borrows before and after it, and whether
    a dissolve leads into it."""
    for index, child in enumerate(children):
        if isinstance(child, otio.schema.Transition):
            continue
        before = children[index - 1] if index > 0 else None
        after = children[index + 1] if index + 1 < len(children) else None
        head = before.in_offset if isinstance(before, otio.schema.Transition) else None
        tail = after.out_offset if isinstance(after, otio.schema.Transition) else None
        yield child, _frames(head), _frames(tail), head is not None


def _frames(time: otio.opentime.RationalTime | None) -> int:
    return 0 if time is None else round(time.to_frames(time.rate))


def _source_frames(document: _Document, item: otio.core.Item) -> tuple[int, int]:
    """``item``'s trimmed range in frames (start, duration): its source range, read from its
    stored JSON when it has one there, else through the bindings."""
    stored = document.stored.get(id(item))
    source = stored.get("source_range") if stored is not None else None
    if source is not None:
        return (stored_frames(source["start_time"], document.rate),
                stored_frames(source["duration"], document.rate))  # fmt: skip
    trimmed = item.trimmed_range()
    return frames_of(trimmed.start_time, document.rate), frames_of(trimmed.duration, document.rate)


def _track(document: _Document, track: otio.schema.Track, digests: list[str],
           stored: list[Data]) -> tuple[str, str]:  # fmt: skip
    """Write ``track`` (its items' digests: ``digests``; their JSON: ``stored``) as a Kdenlive
    track tractor; return its id and kind."""
    children = list(track)
    document.digests = dict(zip(map(id, children), digests, strict=True))
    same = len(stored) == len(children)
    document.stored = dict(zip(map(id, children), stored, strict=True)) if same else {}
    lanes = (_playlist(document), _playlist(document))
    cursors = [0, 0]
    lane = 0
    tractor_id = f"tractor{document.playlists // 2 - 1}"
    mixes: list[tuple[int, int, int]] = []  # (first frame, frames, frames before the cut)
    position = previous_tail = 0
    fades = iter(track_fade_frames(track))
    for item, head, tail, mixed_in in _items(items_without_fades(track, children)):
        length = _source_frames(document, item)[1]  # a clip's or gap's duration
        if isinstance(item, otio.schema.Clip):
            if mixed_in and head + previous_tail > 0:
                lane = 1 - lane
                mixes.append((position - head, head + previous_tail, head))
            _blank(lanes[lane], position - head - cursors[lane])
            fade = next(fades)
            _entry(document, lanes[lane], item, head, tail,
                   fade if track.kind == otio.schema.TrackKind.Video else (0, 0))  # fmt: skip
            cursors[lane] = position + length + tail
        position += length
        previous_tail = tail
    tractor = sub_element(document.root, "tractor", id=tractor_id)
    _property(tractor, "kdenlive:track_name", track.name)
    audio = track.kind == otio.schema.TrackKind.Audio
    if audio:
        _property(tractor, "kdenlive:audio_track", "1")
    for playlist in lanes:
        sub_element(tractor, "track", producer=str(playlist.get("id")),
                         hide="video" if audio else "audio")  # fmt: skip
    for first, frames, before_cut in mixes:
        _mix(tractor, first, frames, before_cut, audio)
    return tractor_id, track.kind


def _mix(tractor: Element, first: int, frames: int, before_cut: int, audio: bool) -> None:
    mix = sub_element(tractor, "transition")
    mix.set("in", str(first))
    mix.set("out", str(first + frames - 1))
    service = "mix" if audio else "luma"
    for name, value in (
        ("a_track", "0"),
        ("b_track", "1"),
        ("mlt_service", service),
        ("kdenlive_id", service),
        ("kdenlive:mixcut", str(before_cut)),
        ("reverse", "0"),
    ):
        _property(mix, name, value)  # fmt: skip
    if audio:
        _property(mix, "start", "-1")
        _property(mix, "accepts_blanks", "1")


def _main_bin(document: _Document, timeline: otio.schema.Timeline) -> Element:
    main_bin = Element("playlist", id="main_bin")
    _property(main_bin, "kdenlive:docproperties.version", "0.98")
    _property(main_bin, "kdenlive:docproperties.decimalPoint", ".")
    _property(main_bin, "xml_retain", "1")
    guides = [_marker_json(m, document.rate) for m in timeline.tracks.markers]
    _property(main_bin, "kdenlive:docproperties.guides", json.dumps(guides))
    for producer in document.bin_entries:
        entry = sub_element(main_bin, "entry", producer=str(producer.get("id")))
        entry.set("in", producer.get("in", "0"))
        entry.set("out", producer.get("out", "0"))
    return main_bin
