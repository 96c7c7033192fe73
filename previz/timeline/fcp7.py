"""Final Cut Pro 7 XML (xmeml), for Premiere Pro and DaVinci Resolve.

``otio_fcp_adapter`` writes the sequence, then this module fixes what importers trip on:

- The sequence ``<format>`` is empty; Resolve then opens a blank sequence (OTIO #839) and
  Premiere guesses the frame size. We fill ``<samplecharacteristics>`` (rate, width, height,
  pixel aspect, field dominance) and the audio format.
- Tracks have no ``<enabled>``/``<locked>``; OpenShot's importer crashes reading ``<locked>``,
  and Premiere defaults are not guaranteed. Every track gets both.
- A clip identical on a video and an audio track is written once, and the audio track gets an
  empty ``<clipitem id="…"/>`` back-reference, which Premiere reads as an empty clip. Each audio
  clipitem is written out in full, with its own ``<file id>`` reference and audio source track.
- Every ``<file>`` says what it holds (``<media><video>`` size and rate, ``<media><audio>``
  depth, sample rate, ``channelcount``; a WAV has no video), every audio clipitem names the
  channel it plays (``<sourcetrack>``), the sequence declares its stereo ``<outputs>``, and the
  adapter's second ``<rate>`` in each clipitem goes. Fades are ``start-black``/``end-black``.
- ``<marker>`` comes before the clip's ``<in>``/``<out>``, so readers that take "the first
  ``<in>``" (OpenShot, naive scripts) trim the clip to the marker; markers move after ``<out>``,
  and a marker's comment is written as ``<comment>``.

Each clip's ``metadata["previz"]`` travels as JSON in ``<comments><mastercomment1>``, which the
adapter reads back; :func:`read` restores it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from lxml import etree

from previz.timeline.facts import facts_json
from previz.timeline.rates import frames_of, timeline_rate

COMMENT_PREFIX = "previz:"


def write(timeline: otio.schema.Timeline, path: Path, *, width: int, height: int) -> None:
    """Write ``timeline`` as FCP7 XML that Premiere, Resolve and OpenShot import."""
    prepared = timeline.deepcopy()
    _carry_metadata(prepared)
    otio.adapters.write_to_file(prepared, str(path), adapter_name="fcp_xml")
    tree = etree.parse(str(path))
    rate = timeline_rate(timeline)
    for sequence in tree.iter("sequence"):
        _fill_format(sequence, rate, width, height)
        _mark_tracks(sequence)
        _expand_audio_clipitems(tree, sequence, timeline)
        _audio_outputs(sequence)
    for clipitem in tree.iter("clipitem"):
        _markers_after_out(clipitem)
        _one_rate(clipitem)
    for track in tree.iterfind(".//sequence/media/audio/track"):
        for clipitem in track.findall("clipitem"):
            _name_source_channel(clipitem)
    sounding = _files_with_sound(timeline)
    for file_element in tree.iter("file"):
        if len(file_element):
            _describe_file(file_element, rate, width, height, sounding)
    tree.write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read(path: Path) -> otio.schema.Timeline:
    """Read an FCP7 XML written by :func:`write`, restoring each clip's ``metadata["previz"]``."""
    timeline = otio.adapters.read_from_file(str(path), adapter_name="fcp_xml")
    for clip in timeline.find_clips():
        comments = clip.metadata.get("fcp_xml", {}).get("comments", {})
        text = str(comments.get("mastercomment1", "")) if isinstance(comments, Mapping) else ""
        if text.startswith(COMMENT_PREFIX):
            clip.metadata["previz"] = json.loads(text[len(COMMENT_PREFIX) :])
    for marker in _all_markers(timeline):
        comment = marker.metadata.get("fcp_xml", {}).get("comment")
        if comment:
            marker.comment = comment
    return timeline


def _all_markers(timeline: otio.schema.Timeline) -> list[otio.schema.Marker]:
    markers = list(timeline.tracks.markers)
    for item in timeline.find_children():
        markers.extend(getattr(item, "markers", []))
    return markers


def _carry_metadata(timeline: otio.schema.Timeline) -> None:
    """Put what FCP7 can hold where the adapter writes it: comments, marker comments."""
    for clip in timeline.find_clips():
        facts = clip.metadata.get("previz")
        if facts:
            fcp: dict[str, Any] = dict(clip.metadata.get("fcp_xml", {}))
            fcp["comments"] = {"mastercomment1": COMMENT_PREFIX + facts_json(facts)}
            clip.metadata["fcp_xml"] = fcp
    for transition in timeline.find_children(descended_from_type=otio.schema.Transition):
        # The adapter calls a dissolve with no frames before the cut "start-black" (a fade up
        # from black in FCP7); the alignment it reads from metadata is the correct one.
        fcp = dict(transition.metadata.get("fcp_xml", {}))
        fcp["alignment"] = _alignment(transition)
        transition.metadata["fcp_xml"] = fcp
    for marker in _all_markers(timeline):
        if marker.comment:
            fcp = dict(marker.metadata.get("fcp_xml", {}))
            fcp["comment"] = marker.comment
            marker.metadata["fcp_xml"] = fcp


def _alignment(transition: otio.schema.Transition) -> str:
    """Where the cut sits in the dissolve (start, centre, end), or a fade from or to black.

    previz draws a fade as a dissolve against a gap of no length; FCP7 calls those
    ``start-black`` and ``end-black``.
    """
    track = transition.parent()
    index = list(track).index(transition) if track is not None else -1
    neighbours = list(track)[max(index - 1, 0) : index + 2] if track is not None else []
    against_black = any(
        isinstance(n, otio.schema.Gap) and n.duration().value == 0 for n in neighbours
    )
    if not transition.in_offset.value:
        return "start-black" if against_black else "start"
    if not transition.out_offset.value:
        return "end-black" if against_black else "end"
    return "center"


def _text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def _rate_element(parent: etree._Element, rate: Fraction) -> None:
    element = etree.SubElement(parent, "rate")
    _text(element, "timebase", str(round(rate)))
    _text(element, "ntsc", "TRUE" if rate.denominator == 1001 else "FALSE")


def _fill_format(sequence: etree._Element, rate: Fraction, width: int, height: int) -> None:
    video = sequence.find("media/video")
    if video is None:
        return
    fmt = video.find("format")
    if fmt is None:
        fmt = etree.Element("format")
        video.insert(0, fmt)
    fmt.clear()
    characteristics = etree.SubElement(fmt, "samplecharacteristics")
    _rate_element(characteristics, rate)
    _text(characteristics, "width", str(width))
    _text(characteristics, "height", str(height))
    _text(characteristics, "anamorphic", "FALSE")
    _text(characteristics, "pixelaspectratio", "square")
    _text(characteristics, "fielddominance", "none")
    audio = sequence.find("media/audio")
    if audio is not None and audio.find("format") is None:
        audio_format = etree.Element("format")
        audio_characteristics = etree.SubElement(audio_format, "samplecharacteristics")
        _text(audio_characteristics, "depth", "16")
        _text(audio_characteristics, "samplerate", "48000")
        audio.insert(0, audio_format)


def _mark_tracks(sequence: etree._Element) -> None:
    tracks = sequence.findall("media/video/track") + sequence.findall("media/audio/track")
    for track in tracks:
        for tag in ("enabled", "locked"):
            for old in track.findall(tag):
                track.remove(old)
        # The adapter drops a track's disabled state; previz never relies on it (nle.md), so
        # every track is written enabled and unlocked.
        _text(track, "enabled", "TRUE")
        _text(track, "locked", "FALSE")


def _expand_audio_clipitems(
    tree: etree._ElementTree, sequence: etree._Element, timeline: otio.schema.Timeline
) -> None:
    """Replace each empty audio ``<clipitem id>`` back-reference by a full audio clipitem.

    The adapter de-duplicates a clip equal to one on a video track into a back-reference, but
    the audio clip's own timing can differ (no dissolve on the audio track), so the copy takes
    its start/end/in/out from the audio track's own clip.
    """
    full = {c.get("id"): c for c in tree.iter("clipitem") if len(c)}
    serial = len(list(tree.iter("clipitem")))
    rate = float(timeline_rate(timeline))
    audio_tracks = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    elements = sequence.findall("media/audio/track")
    for track, otio_track in zip(elements, audio_tracks, strict=False):
        clips = otio_track.find_clips(shallow_search=True)
        for clipitem, clip in zip(track.findall("clipitem"), clips, strict=False):
            original = full.get(clipitem.get("id"))
            if len(clipitem) or original is None:
                continue
            serial += 1
            audio = copy.deepcopy(original)
            audio.set("id", f"clipitem-{serial}")
            if "frameBlend" in audio.attrib:
                del audio.attrib["frameBlend"]
            file_element = audio.find("file")
            if file_element is not None:
                audio.replace(file_element, etree.Element("file", id=file_element.get("id", "")))
            _retime(audio, clip, rate)
            track.replace(clipitem, audio)


def _retime(clipitem: etree._Element, clip: otio.schema.Clip, rate: float) -> None:
    record = clip.trimmed_range_in_parent()
    source = clip.trimmed_range()
    times = {
        "start": record.start_time, "end": record.end_time_exclusive(),
        "in": source.start_time, "out": source.end_time_exclusive(),
    }  # fmt: skip
    for tag, time in times.items():
        element = clipitem.find(tag)
        if element is not None:
            element.text = str(frames_of(time, rate))


def _markers_after_out(clipitem: etree._Element) -> None:
    """Move markers after the clip's own in/out, each as name, comment, in, out."""
    for marker in clipitem.findall("marker"):
        clipitem.remove(marker)
        order = {"name": 0, "comment": 1, "in": 2, "out": 3}
        children = sorted(marker, key=lambda child: order.get(str(child.tag), 4))
        for child in children:
            marker.append(child)
        clipitem.append(marker)


AUDIO_SUFFIXES = (".wav", ".aif", ".aiff", ".mp3", ".m4a", ".flac", ".caf")


def _one_rate(clipitem: etree._Element) -> None:
    """The adapter writes a clipitem's ``<rate>`` twice; a clipitem has one."""
    for extra in clipitem.findall("rate")[1:]:
        clipitem.remove(extra)


def _name_source_channel(clipitem: etree._Element) -> None:
    """An audio clipitem names the audio track of its file it plays (the one stereo track)."""
    if clipitem.find("sourcetrack") is not None:
        return
    source = etree.Element("sourcetrack")
    _text(source, "mediatype", "audio")
    _text(source, "trackindex", "1")
    anchor = clipitem.find("marker")
    if anchor is not None:
        anchor.addprevious(source)
    else:
        clipitem.append(source)


def _files_with_sound(timeline: otio.schema.Timeline) -> set[str]:
    """Media URLs whose file has sound: stems, and clips whose probe facts say so."""
    sounding: set[str] = set()
    for clip in timeline.find_clips():
        reference = clip.media_reference
        if not isinstance(reference, otio.schema.ExternalReference) or not reference.target_url:
            continue
        facts = clip.metadata.get("previz", {})
        heard = hasattr(facts, "get") and (facts.get("has_audio") or facts.get("role"))
        if heard or Path(reference.target_url).suffix.lower() in AUDIO_SUFFIXES:
            sounding.add(reference.target_url)
    return sounding


def _describe_file(
    file_element: etree._Element, rate: Fraction, width: int, height: int, sounding: set[str]
) -> None:
    """Fill the file's ``<media>``: its picture (size, rate) unless it is a sound file, and its
    sound (depth, sample rate, two channels) when it has any."""
    url = file_element.findtext("pathurl") or ""
    media = file_element.find("media")
    if media is None:
        media = etree.SubElement(file_element, "media")
    media.clear()
    if Path(url).suffix.lower() not in AUDIO_SUFFIXES:
        characteristics = etree.SubElement(etree.SubElement(media, "video"),
                                           "samplecharacteristics")  # fmt: skip
        _rate_element(characteristics, rate)
        _text(characteristics, "width", str(width))
        _text(characteristics, "height", str(height))
        _text(characteristics, "anamorphic", "FALSE")
        _text(characteristics, "pixelaspectratio", "square")
        _text(characteristics, "fielddominance", "none")
    if url in sounding or Path(url).suffix.lower() in AUDIO_SUFFIXES:
        audio = etree.SubElement(media, "audio")
        characteristics = etree.SubElement(audio, "samplecharacteristics")
        _text(characteristics, "depth", "16")
        _text(characteristics, "samplerate", "48000")
        _text(audio, "channelcount", "2")


def _audio_outputs(sequence: etree._Element) -> None:
    """The sequence's stereo output: one group of two channels, as Premiere writes it."""
    audio = sequence.find("media/audio")
    if audio is None or audio.find("outputs") is not None:
        return
    outputs = etree.Element("outputs")
    group = etree.SubElement(outputs, "group")
    _text(group, "index", "1")
    _text(group, "numchannels", "2")
    _text(group, "downmix", "0")
    for index in ("1", "2"):
        _text(etree.SubElement(group, "channel"), "index", index)
    fmt = audio.find("format")
    if fmt is not None:
        fmt.addnext(outputs)
    else:
        audio.insert(0, outputs)
