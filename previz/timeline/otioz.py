"""``.otioz``: the timeline with its media bundled in one zip, for hand-off (Resolve 18.5+).

OTIO's ``otioz`` adapter stores each media file under ``media/<file name>``; two generated
clips with the same file name in different cache folders (``…/ab12/clip.mp4``,
``…/cd34/clip.mp4``) would collide in the bundle. So the adapter is handed uniquely named
links (shot and take, then the original name) in a temporary folder; the zip stores the files
themselves, and the bundled timeline points at ``media/<unique name>``.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import opentimelineio as otio

from previz.timeline.media import local_path


def write(timeline: otio.schema.Timeline, path: Path) -> None:
    """Write ``timeline`` and every media file it references into the zip ``path``."""
    prepared = timeline.deepcopy()
    with tempfile.TemporaryDirectory(prefix="previz-otioz-") as staging:
        links: dict[Path, Path] = {}
        for clip in prepared.find_clips():
            reference = clip.media_reference
            if not isinstance(reference, otio.schema.ExternalReference):
                continue
            source = local_path(reference.target_url).resolve()
            if source not in links:
                stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", clip.name) or "clip"
                link = Path(staging) / f"{len(links) + 1:04d}_{stem}_{source.name}"
                link.symlink_to(source)
                links[source] = link
            reference.target_url = links[source].as_uri()
        otio.adapters.write_to_file(prepared, str(path), adapter_name="otioz")
