"""Final Cut Pro 7 XML (xmeml), for Premiere Pro and DaVinci Resolve.

previz writes the document itself, in one pass over the cut: the document ``otio_fcp_adapter``
wrote (same elements, ids, order and layout), with what importers trip on fixed:

- The sequence ``<format>`` is filled (rate, width, height, pixel aspect, field dominance, and
  the audio format); with an empty one Resolve opens a blank sequence (OTIO #839).
- Every track has ``<enabled>``/``<locked>`` (OpenShot's importer crashes without ``<locked>``).
- A clip identical to an earlier one is a ``<clipitem id="…"/>`` back-reference, as FCP7 has
  it; on an audio track that is an empty clip to Premiere, so there the clip is written out in
  full, with its own ``<file id>`` reference and the audio track's timing.
- Every ``<file>`` says what it holds (``<media><video>`` size and rate, ``<media><audio>``
  depth, sample rate, ``channelcount``; a WAV has no video), every audio clipitem names the
  channel it plays (``<sourcetrack>``), the sequence declares its stereo ``<outputs>``, and a
  clipitem has one ``<rate>``. Fades are ``start-black``/``end-black``.
- Markers come after the clip's ``<in>``/``<out>`` (readers that take "the first ``<in>``" trim
  the clip to a marker otherwise), and a marker's comment is written as ``<comment>``.

Each clip's ``metadata["previz"]`` travels as JSON in ``<comments><mastercomment1>``, which the
adapter reads back; :func:`read` (the adapter's reader) restores it. What the adapter's writer
did and previz does not: re-emit ``metadata["fcp_xml"]`` of a timeline read from FCP7 XML, and
write nested stacks (previz cuts have neither; a nested stack is an error naming it).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz import collector
from previz.errors import TimelineError
from previz.timeline import serialised
from previz.timeline.fcp7_copies import Copy, Full, copy_clipitem
from previz.timeline.fcp7_read import read as read  # the reader of what this writes
from previz.timeline.fragments import Fragments, key
from previz.timeline.rates import timeline_rate
from previz.timeline.xmeml import (
    AUDIO_SUFFIXES,
    NL,
    OUTPUTS,
    RT,
    SOUND,
    Data,
    Item,
    Offsets,
    Time,
    alignment,
    clip_marker,
    clipitem_end,
    durations,
    files_with_sound,
    frames,
    leaf,
    media_of,
    picture_samples,
    record_ranges,
    rescaled,
    schema,
    sequence_marker,
    suffix,
    time_of,
    timings,
    tracks_of,
    transition_offsets,
    url_path,
)  # fmt: skip


def write(
    timeline: otio.schema.Timeline, path: Path, *, width: int, height: int,
    fragments: Fragments | None = None,
) -> None:  # fmt: skip
    """Write ``timeline`` as FCP7 XML that Premiere, Resolve and OpenShot import; each clip
    written in full is a fragment reused from ``fragments``."""
    with collector.paused():
        text = _Document(timeline, width, height, fragments).render()
    path.write_bytes(text.encode("utf-8"))


_Entry = Item | Copy


class _Document:
    """The xmeml text of one timeline, written in one pass in document order.

    The cut is read as OTIO's JSON of it, parsed once: reading each clip's fields, facts and
    markers through OTIO's bindings costs a call (and an object) per value, several times more.
    """

    def __init__(self, timeline: otio.schema.Timeline, width: int, height: int,
                 fragments: Fragments | None = None) -> None:  # fmt: skip
        self.timeline = timeline
        self.fragments = fragments or Fragments(None)
        self.digests: list[str] = []  # of the items of the track being written
        self.rate = timeline_rate(timeline)
        self.picture = picture_samples(self.rate, width, height)
        self.format = key(str(self.rate), self.picture)  # in every clipitem's key
        self.sounding: set[str] = set()
        self.clips: dict[tuple[Any, ...], list[tuple[Data, int]]] = {}
        self.json: dict[int, str] = {}
        self.fulls: dict[int, Full] = {}
        self.files: dict[str, int] = {}
        self.placeholders: dict[str, int] = {}
        self.clipitems = 0  # clipitem elements written, full or back-references
        self.cache: dict[tuple[Any, ...], str] = {}

    def render(self) -> str:
        timeline = self.timeline
        whole = otio.opentime.TimeRange(
            start_time=timeline.global_start_time, duration=timeline.duration()
        )
        rate = whole.start_time.rate
        name = timeline.name or timeline.tracks.name
        parts = [
            "<?xml version='1.0' encoding='UTF-8'?>\n<xmeml version=\"4\">", NL[4], "<project>",
            NL[8], leaf("name", timeline.name), NL[8], "<children>", NL[12],
            '<sequence id="sequence-1">', NL[16], leaf("name", name), NL[16],
            f"<duration>{frames(whole.duration.value)}</duration>", NL[16],
            self._rate(rate, 16), NL[16], "<media>", NL[20], *self._media_tracks(rate), NL[16],
            "</media>",
        ]  # fmt: skip
        for marker in timeline.tracks.markers:
            parts += [NL[16], sequence_marker(marker)]
        if timeline.global_start_time is not None:
            start = timeline.global_start_time
            parts += [NL[16], self._timecode((start.value, start.rate), 16)]
        parts.append(f"{NL[12]}</sequence>{NL[8]}</children>{NL[4]}</project>\n</xmeml>\n")
        return "".join(parts)

    def _media_tracks(self, rate: float) -> list[str]:
        """``<video>`` and ``<audio>`` with their formats and tracks."""
        stored, digests = serialised.tracks_and_digests(self.timeline)
        if digests is None:  # nothing can be keyed: every clip is written now
            self.fragments = Fragments(None)
        own = digests or [[""] * len(data["children"]) for data in stored]
        tracks = list(zip(self.timeline.tracks, stored, own, strict=True))
        self.sounding = files_with_sound([data["children"] for _track, data, _own in tracks])
        video: list[list[Item]] = []
        audio: list[list[_Entry]] = []
        for track, data, self.digests in tracks:
            if data["kind"] == otio.schema.TrackKind.Video:
                entries = self._items(track, data["children"], rate, sound=False)
                video.append([e for e in entries if not isinstance(e, Copy)])
            elif data["kind"] == otio.schema.TrackKind.Audio:
                audio.append(self._items(track, data["children"], rate, sound=True))
        serial = self.clipitems  # copies are numbered after every clipitem of the sequence
        sound: list[list[Item]] = []
        for entries in audio:
            sound.append([])
            for entry in entries:
                if isinstance(entry, Copy):
                    serial += 1
                    sound[-1].append(copy_clipitem(entry, serial, float(self.rate)))
                else:
                    sound[-1].append(entry)
        return [
            "<video>", NL[24], "<format>", self.picture, "</format>", *tracks_of(video),
            "</video>", NL[20], "<audio>", *([NL[24]] if sound else []), "<format>", SOUND,
            "</format>", OUTPUTS, *tracks_of(sound), "</audio>",
        ]  # fmt: skip

    def _items(
        self, track: otio.schema.Track, items: list[Data], rate: float, *, sound: bool
    ) -> list[_Entry]:
        kinds = [schema(data) for data in items]
        lengths = durations(track, items, kinds)
        ranges = record_ranges(track, items, kinds, lengths, rate)
        shown = [n for n, kind in enumerate(kinds) if kind != "Gap"]
        entries: list[_Entry] = []
        for n in shown:
            if kinds[n] == "Transition":
                aligned = alignment(items, kinds, lengths, n)
                entries.append((self._transition(items[n], aligned, ranges[n], rate), None))
            elif kinds[n] == "Clip":
                offsets = transition_offsets(items, kinds, n)
                entries.append(self._clip(track, n, items[n], ranges[n], offsets, sound,
                                          n == shown[-1], rate))  # fmt: skip
            else:
                raise TimelineError(
                    f"FCP7 XML: track {track.name!r} holds a {kinds[n]} "
                    f"({items[n].get('name')!r}), which previz does not write",
                    hint="flatten nested stacks (otio.algorithms.flatten_stack) before exporting",
                )
        return entries

    def _identify(self, data: Data, reference: Data, source: Data) -> tuple[int, bool]:
        """The clipitem id of a clip, and whether it is new rather than an equal earlier clip's.

        FCP7 (and the adapter) write a clip equal to an earlier one, everything it serialises
        to, as a back-reference; the cheap key only narrows the candidates to compare.
        """
        start, duration = source["start_time"], source["duration"]
        key = (schema(reference), reference.get("target_url", ""), data["name"],
               start["value"], start["rate"], duration["value"], duration["rate"])  # fmt: skip
        earlier = self.clips.setdefault(key, [])
        if earlier:
            text = json.dumps(data)
            for other, number in earlier:
                if number not in self.json:
                    self.json[number] = json.dumps(other)
                if self.json[number] == text:
                    return number, False
        number = len(self.fulls) + 1
        earlier.append((data, number))
        return number, True

    def _clip(
        self, track: otio.schema.Track, n: int, data: Data, record: tuple[float, float],
        offsets: Offsets, sound: bool, last: bool, rate: float,
    ) -> _Entry:  # fmt: skip
        source = data["source_range"]
        if source is None:
            raise TimelineError(f"FCP7 XML: clip {data['name']!r} has no source range",
                                hint="give every clip a source_range")  # fmt: skip
        reference = media_of(data)
        self.clipitems += 1
        number, new = self._identify(data, reference, source)
        if not new:
            if sound:
                return Copy(track, n, self.fulls[number])
            return (f'<clipitem id="clipitem-{number}"/>', None)
        external = schema(reference) == "ExternalReference"
        file_id, file_new = self._file_number(data, reference)
        full = Full(data["metadata"].get("previz"), external, leaf("name", data["name"]),
                     file_id, "", "", [], last)  # fmt: skip
        self.fulls[number] = full
        full.rate = self._rate(source["start_time"]["rate"], 32)
        full.duration = frames(source["duration"]["value"])
        heard = (reference["target_url"] if external else "") in self.sounding  # as _media reads it
        parts = ("clipitem", self.digests[n], number, file_id, file_new, rate, self.format,
                 heard, record, offsets, sound)  # fmt: skip
        text = self.fragments.render(
            key(*parts), lambda: self._clipitem(data, reference, number, full, record, offsets,
                                                sound, file_new, rate))  # fmt: skip
        # what a copy of the clip repeats (markers are read from the stored clip: cheap)
        full.markers = [clip_marker(m) for m in data["markers"]]
        return (text, None)

    def _clipitem(
        self, data: Data, reference: Data, number: int, full: Full, record: tuple[float, float],
        offsets: Offsets, sound: bool, file_new: bool, rate: float,
    ) -> str:  # fmt: skip
        """A clip's full ``<clipitem>``, its ``<file>`` in full where ``file_new``."""
        source = data["source_range"]
        file_text = (self._file(data, reference, full.file_id, rate) if file_new
                     else f'<file id="{full.file_id}"/>')  # fmt: skip
        markers = [clip_marker(m) for m in data["markers"]]
        available = reference["available_range"]
        timecode = time_of(available["start_time"]) if available is not None else (0.0, rate)
        first, second = (file_text, full.name) if full.external else (full.name, file_text)
        return (
            f'<clipitem frameBlend="FALSE" id="clipitem-{number}">{full.head}{NL[32]}{first}'
            f"{NL[32]}{second}{NL[32]}{full.rate}{NL[32]}<duration>{full.duration}</duration>"
            + timings(source, timecode, record, offsets)
            + clipitem_end(markers, sound)
        )

    def _file_number(self, data: Data, reference: Data) -> tuple[str, bool]:
        """The id of the clip's ``<file>``, and whether this is the first time its media is met
        (then it is written in full)."""
        kind = schema(reference)
        if kind == "ExternalReference":
            key, table = reference["target_url"], self.files
        elif kind == "MissingReference":
            key, table = json.dumps(reference), self.placeholders
        else:
            raise TimelineError(
                f"FCP7 XML: clip {data['name']!r} has a {kind}, which previz does not write",
                hint="reference media files (or none, for a placeholder)",
            )
        number = table.get(key)
        if number is not None:
            return f"file-{number}", False
        number = table[key] = len(self.files) + len(self.placeholders) + 1
        if kind == "ExternalReference" and reference["available_range"] is None:
            raise TimelineError(f"FCP7 XML: the media of clip {data['name']!r} has no "
                                "available range", hint="probe the media's length")  # fmt: skip
        return f"file-{number}", True

    def _file(self, data: Data, reference: Data, file_id: str, rate: float) -> str:
        """The clip's ``<file>`` in full (the first time its media is met)."""
        external = schema(reference) == "ExternalReference"
        url = reference["target_url"] if external else ""
        available = reference["available_range"]
        parts = [f'<file id="{file_id}">', NL[36]]
        if external:
            name = reference["name"] or os.path.basename(url_path(url))
            parts += [leaf("pathurl", url), NL[36], leaf("name", name), NL[36],
                      self._rate(available["start_time"]["rate"], 36), NL[36],
                      f"<duration>{frames(available['duration']['value'])}</duration>"]  # fmt: skip
            timecode = time_of(available["start_time"])
        elif available is None:
            parts += [leaf("name", reference["name"]), NL[36], self._rate(rate, 36)]
            timecode = (0.0, rate)
        else:
            timecode = time_of(available["start_time"])
            duration = rescaled(time_of(available["duration"]), timecode[1])
            parts += [leaf("name", reference["name"]), NL[36], self._rate(timecode[1], 36),
                      NL[36], f"<duration>{frames(duration)}</duration>"]  # fmt: skip
        parts += [NL[36], self._timecode(timecode, 36), NL[36], self._media(url), "</file>"]
        return "".join(parts)

    def _media(self, url: str) -> str:
        """What a file holds: its picture unless it is a sound file, its sound if it has any."""
        kind = suffix(url)
        parts = ["<media>"]
        if kind not in AUDIO_SUFFIXES:
            parts += ["<video>", self.picture, "</video>"]
        if url in self.sounding or kind in AUDIO_SUFFIXES:
            parts += ["<audio>", SOUND, "<channelcount>2</channelcount></audio>"]
        parts.append("</media>")
        return "".join(parts)

    def _transition(
        self, data: Data, aligned: str, record: tuple[float, float], rate: float
    ) -> str:
        start, duration = record
        return (
            f"<transitionitem>{NL[32]}{leaf('alignment', aligned)}"
            f"{NL[32]}<start>{frames(start)}</start>{NL[32]}<end>{frames(start + duration)}"
            f"</end>{NL[32]}{self._rate(rate, 32)}{NL[32]}<effect>{NL[36]}"
            f"{leaf('name', data['name'])}{NL[36]}<effectid>Cross Dissolve</effectid>"
            f"{NL[36]}<effecttype>transition</effecttype>{NL[36]}<mediatype>video</mediatype>"
            f"{NL[32]}</effect>{NL[28]}</transitionitem>"
        )

    def _rate(self, fps: float, indent: int) -> str:
        """The adapter's ``<rate>``: whole frames per second at or above ``fps``, NTSC if above."""
        key = ("rate", fps, indent)
        if key not in self.cache:
            whole = math.ceil(fps)
            inner = NL[indent + 4]
            ntsc = "FALSE" if whole == fps else "TRUE"
            self.cache[key] = (f"<rate>{inner}<timebase>{whole}</timebase>{inner}<ntsc>{ntsc}"
                               f"</ntsc>{NL[indent]}</rate>")  # fmt: skip
        return self.cache[key]

    def _timecode(self, time: Time, indent: int) -> str:
        key = ("timecode", *time, indent)
        if key not in self.cache:
            value, fps = time
            string = otio.opentime.to_timecode(RT(value, fps), fps, False)
            inner = NL[indent + 4]
            self.cache[key] = (
                f"<timecode>{inner}{self._rate(fps, indent + 4)}{inner}{leaf('string', string)}"
                f"{inner}<frame>{round(value)}</frame>{inner}<displayformat>"
                f"{'DF' if ';' in string else 'NDF'}</displayformat>{NL[indent]}</timecode>"
            )
        return self.cache[key]
