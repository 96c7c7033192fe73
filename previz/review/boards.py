"""PDF storyboards of a build: a cover, then each scene's shots as panels, page-numbered.

Drawn with fpdf2, a pure-Python PDF writer, so ``pip install previz`` alone prints boards on any
machine (no browser, no system fonts): the text is set in the DejaVu Sans Condensed the animatic
already ships, so accented names and any Latin, Greek or Cyrillic letter print as written, and
the text stays real text a PDF reader can search and copy. A panel is the poster frame of the
selected take (the same JPEG the review page shows), the shot id, duration and record timecode,
size/angle/move/lens, the action and the dialogue. Each scene starts a page under its heading.
The drawing itself is in :mod:`previz.review.boards_pdf`, imported only when boards are written:
fpdf2 pulls in fontTools and numpy, which no other command needs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from previz.media import replacing
from previz.review.build import ReviewShot, read_build
from previz.review.page import POSTER_DIR, REVIEW_DIR
from previz.review.posters import take_posters

PAPERS = {"a4": "A4", "letter": "Letter"}
BOARDS_FILE = "boards.pdf"


@dataclass(frozen=True)
class Grid:
    """How a page of panels is laid out: ``columns`` across, ``rows`` down."""

    columns: int
    rows: int


def grid(per_page: int) -> Grid:
    """Columns × rows for ``per_page`` panels on a landscape page (6 → 3×2, 4 → 2×2, 9 → 3×3)."""
    rows = max(1, round(math.sqrt(per_page / 1.5)))
    return Grid(math.ceil(per_page / rows), rows)


def write_boards(
    build_dir: Path, dest: Path | None = None, *, per_page: int = 6, paper: str = "a4",
    today: dt.date | None = None,
) -> Path:  # fmt: skip
    """Write the boards of ``build_dir`` to ``dest`` (default ``BUILD_DIR/boards.pdf``)."""
    build = read_build(build_dir)
    posters = take_posters(build, build_dir / REVIEW_DIR / POSTER_DIR)
    from previz.review import boards_pdf  # fpdf2 (fontTools, numpy) only when drawing

    pdf = boards_pdf.Boards(build, paper)
    boards_pdf.cover(pdf, build, today or dt.date.today(), posters)
    for heading, shots in _scenes(build.shots):
        for start in range(0, len(shots), per_page):
            boards_pdf.page(pdf, heading, shots[start : start + per_page], grid(per_page),
                            posters, continued=start > 0)  # fmt: skip
    dest = dest or build_dir / BOARDS_FILE
    with replacing(dest) as temp:
        pdf.output(str(temp))
    return dest


def _scenes(shots: Sequence[ReviewShot]) -> Iterator[tuple[str, list[ReviewShot]]]:
    group: list[ReviewShot] = []
    for shot in shots:
        if group and shot.scene != group[0].scene:
            yield group[0].heading, group
            group = []
        group.append(shot)
    if group:
        yield group[0].heading, group
