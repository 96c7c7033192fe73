"""Screenplays as scene files: Fountain or Final Draft in, scene-file data out.

``previz validate``, ``build`` and ``import`` take either format the same way: the reader for
the file's suffix turns it into a :class:`~previz.shotlist.script.Script`, and one breakdown
turns that into the shot list, so equivalent scripts give the same breakdown in both formats.
The readers are imported when a screenplay is read: a build of a YAML scene file only compares
suffixes.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

if typing.TYPE_CHECKING:
    from previz.shotlist.script import Script

FOUNTAIN_SUFFIXES = (".fountain", ".spmd")
"""File suffixes read as Fountain (:mod:`previz.shotlist.fountain`)."""
FDX_SUFFIXES = (".fdx",)
"""File suffixes read as Final Draft (:mod:`previz.shotlist.fdx`)."""
SUFFIXES = FOUNTAIN_SUFFIXES + FDX_SUFFIXES
"""File suffixes read as screenplays (compared lower-case)."""


def read_script(path: Path) -> Script:
    """The screenplay at ``path``, read by the reader for its suffix."""
    if path.suffix.lower() in FDX_SUFFIXES:
        from previz.shotlist.fdx import read_fdx

        return read_fdx(path)
    from previz.shotlist.fountain import read_fountain

    return read_fountain(path)


def screenplay_to_data(path: Path) -> dict[str, Any]:
    """Scene-file data (the YAML format's shape) broken down from a screenplay."""
    from previz.shotlist.breakdown import breakdown  # only when a screenplay is read

    return breakdown(read_script(path), path)
