"""The cut: assemble generated clips into an OpenTimelineIO timeline, export it to every NLE.

``assemble`` turns a resolved shot list and its clips into the timeline (see ``assemble.py``);
``export_timeline`` writes .otio, .otioz, FCP7 XML, FCPXML, CMX 3600 EDLs (one per track),
AAF, .xges and .kdenlive, each fixed where its OTIO adapter falls short (see the per-format
modules) and proven by the engines that open them in the test suite. Formats are plugins
(``Format``, ``register_format``, the ``previz.formats`` entry points; see ``formats.py``), and
exports are products: an unchanged one is not written again (``previz.products``).
"""

from __future__ import annotations

from previz.timeline.assemble import assemble
from previz.timeline.export import FORMATS, export_timeline, frame_size, resolve_formats
from previz.timeline.formats import ExportContext, Format, register_format

__all__ = [
    "FORMATS",
    "ExportContext",
    "Format",
    "assemble",
    "export_timeline",
    "frame_size",
    "register_format",
    "resolve_formats",
]
