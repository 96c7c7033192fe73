"""Editorial review for people who don't run Python: a page to watch, boards to print, a sheet
to plan with, and notes sent back into the shot list.

- :func:`write_review` — ``BUILD_DIR/review/index.html``, the animatic beside the shot list;
- :func:`write_boards` — PDF storyboards of a build;
- :func:`previz.review.sheet.write_shot_sheet` — the shot list as a CSV for spreadsheets (it
  prices shots through :mod:`previz.reports`, which builds on the pipeline, so it is not
  imported here: the pipeline imports this package to write the review page);
- :func:`read_notes` / :func:`merge_notes` — a reviewer's ``notes.json`` back into the scene file.
"""

from __future__ import annotations

from previz.review.boards import write_boards
from previz.review.build import ReviewBuild, read_build
from previz.review.notes import ReviewNote, merge_notes, read_notes
from previz.review.page import write_review

__all__ = [
    "ReviewBuild",
    "ReviewNote",
    "merge_notes",
    "read_build",
    "read_notes",
    "write_boards",
    "write_review",
]
