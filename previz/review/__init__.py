"""Editorial review for people who don't run Python: a page to watch, boards to print, a sheet
to plan with, and notes sent back into the shot list.

- :func:`write_review` — ``BUILD_DIR/review/index.html``, the animatic beside the shot list;
- :func:`write_boards` — PDF storyboards of a build;
- :func:`previz.review.sheet.write_shot_sheet` — the shot list as a CSV for spreadsheets (it
  prices shots through :mod:`previz.reports`, which builds on the pipeline, so it is not
  imported here: the pipeline imports this package to write the review page);
- :func:`read_notes` / :func:`merge_notes` — a reviewer's ``notes.json`` back into the scene file.

The boards and the notes are imported when first used: a build writes only the page, and the
notes bring the scene-file editor (ruamel.yaml).
"""

from __future__ import annotations

import importlib
import typing

from previz.review.build import ReviewBuild, read_build
from previz.review.page import write_review

if typing.TYPE_CHECKING:
    from previz.review.boards import write_boards
    from previz.review.notes import ReviewNote, merge_notes, read_notes

_LATER = {
    "write_boards": "previz.review.boards",
    "ReviewNote": "previz.review.notes",
    "merge_notes": "previz.review.notes",
    "read_notes": "previz.review.notes",
}

__all__ = [
    "ReviewBuild",
    "ReviewNote",
    "merge_notes",
    "read_build",
    "read_notes",
    "write_boards",
    "write_review",
]


def __getattr__(name: str) -> typing.Any:
    """Import the boards or the notes the first time one of their names is used."""
    if name in _LATER:
        return getattr(importlib.import_module(_LATER[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
