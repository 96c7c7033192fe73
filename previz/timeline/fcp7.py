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
    for clipitem in tree.iter("clipitem"):
        _markers_after_out(clipitem)
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
    """Where the cut sits in the dissolve; FCP7 knows only its start, centre and end."""
    if not transition.in_offset.value:
        return "start"
    if not transition.out_offset.value:
        return "end"
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
    for index, (track, otio_track) in enumerate(zip(elements, audio_tracks, strict=False), 1):
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
            source = etree.SubElement(audio, "sourcetrack")
            _text(source, "mediatype", "audio")
            _text(source, "trackindex", str(index))
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
