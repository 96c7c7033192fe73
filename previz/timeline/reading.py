"""Reading a build's timeline back: ``BUILD_DIR/timeline.otio`` with its media made absolute.

``previz export`` re-exports it and the review page, boards and notes read a build through it,
so every command that starts from a build folder reports a missing or damaged timeline alike.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from previz.errors import TimelineError
from previz.timeline.media import anchored

TIMELINE_FILE = "timeline.otio"


def read_build_timeline(build_dir: Path) -> otio.schema.Timeline:
    """The timeline a build wrote, with relative media made absolute from the build folder."""
    path = build_dir / TIMELINE_FILE
    if not path.exists():
        raise TimelineError(
            f"no {TIMELINE_FILE} in {build_dir}", path=path,
            hint="run `previz build` first, or point at the folder it wrote",
        )  # fmt: skip
    try:
        timeline = otio.adapters.read_from_file(str(path), adapter_name="otio_json")
    except (otio.exceptions.OTIOError, ValueError) as error:
        raise TimelineError(
            f"cannot read the timeline: {error}", path=path,
            hint="the file is damaged; run `previz build` again to rewrite it",
        ) from error  # fmt: skip
    if not isinstance(timeline, otio.schema.Timeline):
        raise TimelineError("the file holds no timeline", path=path,
                            hint="run `previz build` again to rewrite it")  # fmt: skip
    return anchored(timeline, build_dir.resolve())
