"""The text of FCP7 XML (xmeml) elements, laid out as previz's FCP7 documents always were.

The layout is the one ``otio-fcp-adapter``'s documents had after previz's fix-ups, kept byte for
byte so an export is the same file as before: elements four spaces deeper than their parent, a
leaf's text inline, an empty leaf as ``<tag/>``; and the elements previz's fix-ups added (the
formats, ``<outputs>``, ``<enabled>``/``<locked>``, ``<sourcetrack>``, a file's ``<media>``)
written inline without indentation, where the fix-ups inserted them. :mod:`previz.timeline.fcp7`
puts the document together; this module holds its pieces and the adapter's arithmetic (record
ranges, transition offsets and alignments, ``.0f`` frame counts).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any
from urllib.parse import urlparse

import opentimelineio as otio

from previz.errors import TimelineError

COMMENT_PREFIX = "previz:"  # before a clip's facts as JSON in its ``<mastercomment1>``
AUDIO_SUFFIXES = (".wav", ".aif", ".aiff", ".mp3", ".m4a", ".flac", ".caf")
RT = otio.opentime.RationalTime
NL = ["\n" + " " * n for n in range(64)]  # a newline and n spaces of indentation
TRACK_END = "<enabled>TRUE</enabled><locked>FALSE</locked></track>"
SOURCETRACK = "<sourcetrack><mediatype>audio</mediatype><trackindex>1</trackindex></sourcetrack>"
OUTPUTS = (
    "<outputs><group><index>1</index><numchannels>2</numchannels><downmix>0</downmix>"
    "<channel><index>1</index></channel><channel><index>2</index></channel></group></outputs>"
)
SOUND = (
    "<samplecharacteristics><depth>16</depth><samplerate>48000</samplerate></samplecharacteristics>"
)


_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f]")
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML 1.0 forbids


def escape(text: str | None) -> str:
    """Text content as the document holds it: ``&<>`` escaped, line ends as ``\\n``."""
    if not text or not _SPECIAL.search(text):
        return text or ""
    invalid = _INVALID.search(text)
    if invalid:
        raise TimelineError(
            f"FCP7 XML cannot hold the control character {invalid.group()!r} in {text!r}",
            hint="remove it from the shot list (often pasted in from another program)",
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def leaf(tag: str, text: str | None) -> str:
    escaped = escape(text)
    return f"<{tag}>{escaped}</{tag}>" if escaped else f"<{tag}/>"


def frames(value: float) -> str:
    """A frame count as the adapter formats it (Python's ``.0f``: half to even)."""
    return f"{value:.0f}"


def picture_samples(rate: Fraction, width: int, height: int) -> str:
    """A picture's ``<samplecharacteristics>``: the project's exact rate and frame size."""
    ntsc = "TRUE" if rate.denominator == 1001 else "FALSE"
    return (
        f"<samplecharacteristics><rate><timebase>{round(rate)}</timebase><ntsc>{ntsc}</ntsc>"
        f"</rate><width>{width}</width><height>{height}</height><anamorphic>FALSE</anamorphic>"
        "<pixelaspectratio>square</pixelaspectratio><fielddominance>none</fielddominance>"
        "</samplecharacteristics>"
    )


Data = dict[str, Any]  # an OTIO object as its JSON: the writer reads the timeline this way
Time = tuple[float, float]  # a RationalTime as (value, rate)
Offsets = tuple[Time | None, Time | None]


def schema(data: Data) -> str:
    """The schema name of a serialised OTIO object: ``Clip``, ``Gap``, ``ExternalReference``…"""
    label: str = data["OTIO_SCHEMA"]
    name = _SCHEMAS.get(label)
    if name is None:
        name = _SCHEMAS[label] = label.partition(".")[0]
    return name


_SCHEMAS: dict[str, str] = {}


def media_of(clip: Data) -> Data:
    """A serialised clip's active media reference."""
    reference: Data = clip["media_references"][clip["active_media_reference_key"]]
    return reference


def time_of(data: Data) -> Time:
    return data["value"], data["rate"]


# OTIO's RationalTime arithmetic on plain numbers (the same operations in the same order, so
# the same doubles; tests/unit/test_timeline_xmeml.py checks them against OTIO's own).


def rescaled(time: Time, rate: float) -> float:
    """``RationalTime.value_rescaled_to(rate)``."""
    value, own = time
    return value if own == rate else value * rate / own


def plus(a: Time, b: Time) -> Time:
    """``a + b``: at the higher of the two rates."""
    return (rescaled(a, b[1]) + b[0], b[1]) if a[1] < b[1] else (a[0] + rescaled(b, a[1]), a[1])


def minus(a: Time, b: Time) -> Time:
    """``a - b``: at the higher of the two rates."""
    return (rescaled(a, b[1]) - b[0], b[1]) if a[1] < b[1] else (a[0] - rescaled(b, a[1]), a[1])


def end_of(time_range: Data) -> Time:
    """``TimeRange.end_time_exclusive()``: at the duration's rate."""
    duration = time_of(time_range["duration"])
    return rescaled(time_of(time_range["start_time"]), duration[1]) + duration[0], duration[1]


def timings(source: Data, timecode: Time, record: tuple[float, float], offsets: Offsets) -> str:
    """``<start>``/``<end>`` on the record side and ``<in>``/``<out>`` in the media, as the
    adapter counts them: ``-1`` and the transition's frames beside a transition."""
    item_rate = source["start_time"]["rate"]
    source_start = rescaled(minus(time_of(source["start_time"]), timecode), item_rate), item_rate
    source_end = rescaled(minus(end_of(source), timecode), item_rate), item_rate
    start, end = frames(record[0]), frames(record[0] + record[1])
    if offsets[0] is not None:
        start = "-1"
        source_start = minus(source_start, offsets[0])
    if offsets[1] is not None:
        end = "-1"
        source_end = plus(source_end, offsets[1])
    return (
        f"{NL[32]}<start>{start}</start>{NL[32]}<end>{end}</end>{NL[32]}<in>"
        f"{frames(source_start[0])}</in>{NL[32]}<out>{frames(source_end[0])}</out>"
    )


def clipitem_end(markers: list[str], sound: bool) -> str:
    """A clipitem's end: the audio source channel, then the markers after ``<out>``."""
    text = NL[28] + (SOURCETRACK if sound else "")
    if markers:
        text += NL[32].join(markers) + NL[32]
    return text + "</clipitem>"


def clip_marker(marker: dict[str, Any]) -> str:
    """A clip's marker, from its serialised form (name, comment, in, out)."""
    start = marker["marked_range"]["start_time"]["value"]
    duration = marker["marked_range"]["duration"]["value"]
    comment = f"{NL[36]}{leaf('comment', marker['comment'])}" if marker["comment"] else ""
    return (
        f"<marker>{NL[36]}{leaf('name', marker['name'])}{comment}{NL[36]}<in>"
        f"{frames(start)}</in>{NL[36]}<out>{frames(start + duration)}</out>{NL[32]}</marker>"
    )


def sequence_marker(marker: otio.schema.Marker) -> str:
    marked = marker.marked_range
    comment = f"{NL[20]}{leaf('comment', marker.comment)}" if marker.comment else ""
    return (
        f"<marker>{comment}{NL[20]}{leaf('name', marker.name)}{NL[20]}<in>"
        f"{frames(marked.start_time.value)}</in>{NL[20]}<out>"
        f"{frames(marked.start_time.value + marked.duration.value)}</out>{NL[16]}</marker>"
    )


Item = tuple[str, str | None]  # an item's element, and what follows it if not the usual


def track_element(items: list[Item]) -> str:
    """A ``<track>``: its items one per line, then ``<enabled>``/``<locked>`` inline."""
    if not items:
        return "<track>" + TRACK_END
    parts = ["<track>", NL[28]]
    last = len(items) - 1
    for index, (text, tail) in enumerate(items):
        parts += [text, tail if tail is not None else NL[28] if index < last else NL[24]]
    parts.append(TRACK_END)
    return "".join(parts)


def tracks_of(tracks: list[list[Item]]) -> list[str]:
    """The tracks of ``<video>`` or ``<audio>``, each followed by its indentation."""
    last = len(tracks) - 1
    return [track_element(t) + (NL[24] if i < last else NL[20]) for i, t in enumerate(tracks)]


def durations(track: otio.schema.Track, items: list[Data], kinds: list[str]) -> list[Time]:
    """Each item's duration: its source range's, a transition's offsets; else OTIO's answer."""
    result: list[Time] = []
    for n, (data, kind) in enumerate(zip(items, kinds, strict=True)):
        if kind == "Transition":
            result.append(plus(time_of(data["in_offset"]), time_of(data["out_offset"])))
        elif kind in ("Clip", "Gap") and data["source_range"] is not None:
            result.append(time_of(data["source_range"]["duration"]))
        else:
            duration = track[n].duration()
            result.append((duration.value, duration.rate))
    return result


def record_ranges(
    track: otio.schema.Track, items: list[Data], kinds: list[str], lengths: list[Time],
    rate: float,
) -> list[tuple[float, float]]:  # fmt: skip
    """Each item's range in the track (start, duration) at ``rate``, as
    ``Track.range_of_child_at_index`` computes it, in one pass when the track has one rate."""
    offsets = [items[n]["in_offset"] for n, kind in enumerate(kinds) if kind == "Transition"]
    rates = {length[1] for length in lengths} | {offset["rate"] for offset in offsets}
    if len(rates) > 1:
        ranges = [track.range_of_child_at_index(n) for n in range(len(items))]
        return [(r.start_time.rescaled_to(rate).value, r.duration.rescaled_to(rate).value)
                for r in ranges]  # fmt: skip
    own = rates.pop() if rates else rate
    result: list[tuple[float, float]] = []
    elapsed = 0.0
    for data, kind, length in zip(items, kinds, lengths, strict=True):
        if kind == "Transition":
            start = elapsed - data["in_offset"]["value"]
        else:
            start = elapsed
            elapsed += length[0]
        result.append((rescaled((start, own), rate), rescaled(length, rate)))
    return result


def transition_offsets(items: list[Data], kinds: list[str], n: int) -> Offsets:
    """The frames a clip gives to the transitions beside it (the adapter's reading)."""
    head = tail = None
    if n > 0 and kinds[n - 1] == "Transition" and items[n - 1]["out_offset"]["value"]:
        head = time_of(items[n - 1]["in_offset"])
    if n + 1 < len(items) and kinds[n + 1] == "Transition" and items[n + 1]["in_offset"]["value"]:
        tail = time_of(items[n + 1]["out_offset"])
    return head, tail


def alignment(items: list[Data], kinds: list[str], lengths: list[Time], n: int) -> str:
    """Where the cut sits in the transition ``items[n]`` (start, centre, end), or a fade from or
    to black: previz draws a fade as a dissolve against a gap of no length, which FCP7 calls
    ``start-black`` and ``end-black``."""
    around = range(max(n - 1, 0), min(n + 2, len(items)))
    against_black = any(kinds[i] == "Gap" and lengths[i][0] == 0 for i in around)
    if not items[n]["in_offset"]["value"]:
        return "start-black" if against_black else "start"
    if not items[n]["out_offset"]["value"]:
        return "end-black" if against_black else "end"
    return "center"


def suffix(url: str) -> str:
    """``Path(url).suffix.lower()`` without building a path (it costs more than the rest of a
    file's text): the last component that is neither empty nor ``.``, from its last dot."""
    name = url.rsplit("/", 1)[-1]
    if not name or name == ".":
        name = next((part for part in reversed(url.split("/")) if part not in ("", ".")), "")
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


_UNUSUAL = re.compile("[;?#\t\r\n]")


def url_path(url: str) -> str:
    """``urlparse(url).path``; a plain ``file:///`` URL (the usual one) without parsing it."""
    if url.startswith("file:///") and not _UNUSUAL.search(url):
        return url[7:]
    return urlparse(url).path


def files_with_sound(tracks: list[list[Data]]) -> set[str]:
    """Media URLs whose file has sound: stems, and clips whose probe facts say so."""
    sounding: set[str] = set()
    for items in tracks:
        for data in items:
            if schema(data) != "Clip" or schema(media_of(data)) != "ExternalReference":
                continue
            url = media_of(data)["target_url"]
            facts = data["metadata"].get("previz", {})
            heard = hasattr(facts, "get") and (facts.get("has_audio") or facts.get("role"))
            if url and (heard or suffix(url) in AUDIO_SUFFIXES):
                sounding.add(url)
    return sounding
