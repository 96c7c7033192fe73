"""Reading back the FCP7 XML :mod:`previz.timeline.fcp7` writes, with previz's facts restored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import opentimelineio as otio

from previz.timeline.xmeml import COMMENT_PREFIX


def read(path: Path) -> otio.schema.Timeline:
    """Read an FCP7 XML written by :func:`previz.timeline.fcp7.write`, restoring each clip's
    ``metadata["previz"]`` and each marker's comment."""
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
