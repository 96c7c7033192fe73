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

import functools
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import opentimelineio as otio

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


def escape(text: str | None) -> str:
    """Text content as the document holds it: ``&<>`` escaped, line ends as ``\\n``."""
    if not text:
        return ""
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


Offsets = tuple[otio.opentime.RationalTime | None, otio.opentime.RationalTime | None]


def timings(
    source: otio.opentime.TimeRange, timecode: otio.opentime.RationalTime, item_rate: float,
    record: tuple[float, float], offsets: Offsets,
) -> str:  # fmt: skip
    """``<start>``/``<end>`` on the record side and ``<in>``/``<out>`` in the media, as the
    adapter counts them: ``-1`` and the transition's frames beside a transition."""
    source_start = (source.start_time - timecode).rescaled_to(item_rate)
    source_end = (source.end_time_exclusive() - timecode).rescaled_to(item_rate)
    start, end = frames(record[0]), frames(record[0] + record[1])
    if offsets[0] is not None:
        start = "-1"
        source_start -= offsets[0]
    if offsets[1] is not None:
        end = "-1"
        source_end += offsets[1]
    return (
        f"{NL[32]}<start>{start}</start>{NL[32]}<end>{end}</end>{NL[32]}<in>"
        f"{frames(source_start.value)}</in>{NL[32]}<out>{frames(source_end.value)}</out>"
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


def record_ranges(
    track: otio.schema.Track, children: list[Any], rate: float
) -> list[tuple[float, float]]:
    """Each child's range in the track (start, duration) at ``rate``, as
    ``Track.range_of_child_at_index`` computes it, in one pass when the track has one rate."""
    durations = [child.duration() for child in children]
    rates = {d.rate for d in durations} | {
        c.in_offset.rate for c in children if isinstance(c, otio.schema.Transition)
    }
    if len(rates) > 1:
        ranges = [track.range_of_child_at_index(n) for n in range(len(children))]
        return [(r.start_time.rescaled_to(rate).value, r.duration.rescaled_to(rate).value)
                for r in ranges]  # fmt: skip
    own = rates.pop() if rates else rate
    scale = 1.0 if own == rate else None
    result: list[tuple[float, float]] = []
    elapsed = 0.0
    for child, duration in zip(children, durations, strict=True):
        if isinstance(child, otio.schema.Transition):
            start = elapsed - child.in_offset.value
        else:
            start = elapsed
            elapsed += duration.value
        if scale is None:
            result.append((start * rate / own, duration.value * rate / own))
        else:
            result.append((start, duration.value))
    return result


def transition_offsets(children: list[Any], n: int) -> Offsets:
    """The frames a clip gives to the transitions beside it (the adapter's reading)."""
    before = children[n - 1] if n > 0 else None
    after = children[n + 1] if n + 1 < len(children) else None
    head = (before.in_offset if isinstance(before, otio.schema.Transition)
            and before.out_offset.value else None)  # fmt: skip
    tail = (after.out_offset if isinstance(after, otio.schema.Transition)
            and after.in_offset.value else None)  # fmt: skip
    return head, tail


def alignment(transition: otio.schema.Transition, children: list[Any], n: int) -> str:
    """Where the cut sits in the dissolve (start, centre, end), or a fade from or to black.

    previz draws a fade as a dissolve against a gap of no length; FCP7 calls those
    ``start-black`` and ``end-black``.
    """
    against_black = any(
        isinstance(c, otio.schema.Gap) and c.duration().value == 0
        for c in children[max(n - 1, 0) : n + 2]
    )
    if not transition.in_offset.value:
        return "start-black" if against_black else "start"
    if not transition.out_offset.value:
        return "end-black" if against_black else "end"
    return "center"


@functools.lru_cache(maxsize=65536)
def suffix(url: str) -> str:
    """The lower-case suffix of the file a URL names (as ``Path(url).suffix``)."""
    return Path(url).suffix.lower()


def url_path(url: str) -> str:
    """``urlparse(url).path``; a plain ``file:///`` URL (the usual one) without parsing it."""
    if url.startswith("file:///") and not any(c in url for c in ";?#\t\r\n"):
        return url[7:]
    return urlparse(url).path


def files_with_sound(tracks: list[tuple[otio.schema.Track, list[Any], list[Any]]]) -> set[str]:
    """Media URLs whose file has sound: stems, and clips whose probe facts say so."""
    sounding: set[str] = set()
    for _track, children, stored in tracks:
        for clip, data in zip(children, stored, strict=True):
            reference = getattr(clip, "media_reference", None)
            if not isinstance(reference, otio.schema.ExternalReference):
                continue
            url = reference.target_url
            facts = data["metadata"].get("previz", {})
            heard = hasattr(facts, "get") and (facts.get("has_audio") or facts.get("role"))
            if url and (heard or suffix(url) in AUDIO_SUFFIXES):
                sounding.add(url)
    return sounding
