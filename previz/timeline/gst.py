"""GStreamer values as a GES project file holds them: strings, marker lists, XML attributes.

Each function writes what ``otio_xges_adapter`` 1.0 writes (its copies of GStreamer's
``gst_value_serialize_string`` and GES's ``ges_marker_list_serialize``), so previz's .xges
serialiser (:mod:`previz.timeline.xges`) writes the adapter's document byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import opentimelineio as otio

# otio_xges_adapter's GESMarker.OTIO_COLOR_TO_ARGB (each maps back to its own colour)
MARKER_ARGB = {
    otio.schema.MarkerColor.RED: 0xFFFF0000, otio.schema.MarkerColor.PINK: 0xFFFF7070,
    otio.schema.MarkerColor.ORANGE: 0xFFFFA000, otio.schema.MarkerColor.YELLOW: 0xFFFFFF00,
    otio.schema.MarkerColor.GREEN: 0xFF00FF00, otio.schema.MarkerColor.CYAN: 0xFF00FFFF,
    otio.schema.MarkerColor.BLUE: 0xFF0000FF, otio.schema.MarkerColor.PURPLE: 0xFFA000D0,
    otio.schema.MarkerColor.MAGENTA: 0xFFFF00FF, otio.schema.MarkerColor.WHITE: 0xFFFFFFFF,
    otio.schema.MarkerColor.BLACK: 0xFF000000,
}  # fmt: skip
_PLAIN = re.compile(r"[A-Za-z0-9_\-+/:.]+")  # gst_value_serialize_string leaves these bare
_ESCAPED = re.compile(r"[^A-Za-z0-9_\-+/:.]")
Marker = tuple[int, str, str | None]  # position (ns), OTIO colour, comment (the marker's name)


def string(value: str) -> str:
    """``value`` as gst_value_serialize_string writes it: bare, or quoted with escapes."""
    if _PLAIN.fullmatch(value):
        return value if value != "NULL" else '"NULL"'
    if not value:
        return '""'
    return '"' + _ESCAPED.sub(_escape, value) + '"'


def _escape(match: re.Match[str]) -> str:
    """A character gst_value_serialize_string escapes: printable ASCII after a backslash,
    anything else as the octal of each of its UTF-8 bytes."""
    character = match.group()
    if " " <= character < "\x7f":
        return "\\" + character
    return "".join(f"\\{byte:03o}" for byte in character.encode())


def marker_list(markers: Sequence[Marker]) -> str:
    """A GESMarkerList value: each marker's position and metadatas, as one escaped string."""
    caps = "; ".join(
        f"marker-times, position=(guint64){position}; metadatas, "
        + (f"comment=(string){string(comment)}, " if comment else "")
        + f"marker-color=(uint){MARKER_ARGB[colour]}"
        for position, colour, comment in markers
    )
    escaped = caps.replace("\\", "\\\\").replace('"', '\\"')  # g_strescape, as GES does
    return f'"{escaped}"'


def attribute(value: str) -> str:
    """``value`` escaped for an XML attribute as minidom (and lxml) escape it."""
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace(">", "&gt;")
    )
