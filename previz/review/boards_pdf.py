"""The drawing of PDF storyboards with fpdf2: the cover, a scene's page of panels, a panel.

Kept apart from :mod:`previz.review.boards` because fpdf2 imports fontTools and numpy (about a
second of start-up): only writing boards imports this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from previz.backends.animatic.fonts import TYPEFACE
from previz.review.boards import PAPERS, Grid
from previz.review.build import ReviewBuild, ReviewShot

_FONT = "previz"
_MARGIN = 12.0
_GAP = 6.0
_INK = (20, 20, 24)
_GREY = (110, 110, 118)
_ACCENT = (196, 120, 0)


class Boards(FPDF):
    """A landscape storyboard document in the animatic's typeface, footed with page numbers."""

    def __init__(self, build: ReviewBuild, paper: str) -> None:
        super().__init__(orientation="L", unit="mm", format=PAPERS[paper])
        self.build = build
        self.add_font(_FONT, "", str(TYPEFACE))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(False)
        self.set_title(f"{build.title} — storyboards")
        self.set_creator("previz")

    def footer(self) -> None:
        self.set_y(-9)
        self.set_font(_FONT, size=7.5)
        self.set_text_color(*_GREY)
        self.cell(0, 4, f"{self.build.title} · storyboards", align="L")
        self.set_x(_MARGIN)
        self.cell(0, 4, f"page {self.page_no()} of {{nb}}", align="R")


def cover(
    pdf: Boards, build: ReviewBuild, today: dt.date, posters: dict[tuple[str, int], Path]
) -> None:
    """The cover: title, date, running time, counts, spend and the first shot's poster."""
    pdf.add_page()
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, size=30)
    pdf.set_y(30)
    pdf.multi_cell(0, 13, build.title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, size=14)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 9, "Storyboards", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    facts = (
        ("Date", f"{today.day} {today:%B %Y}"),
        ("Running time", build.running_time),
        ("Shots", str(len(build.shots))),
        ("Scenes", str(len({s.scene for s in build.shots}))),
        ("Format", f"{build.width}×{build.height} at {build.fps:.3f}".rstrip("0").rstrip(".")
         + " fps"),
        ("Generated / cached / failed", f"{build.generated} / {build.cached} / {build.failed}"),
        ("Spend", f"${build.spent:,.2f}"),
    )  # fmt: skip
    for label, value in facts:
        pdf.set_font(_FONT, size=10)
        pdf.set_text_color(*_GREY)
        pdf.cell(55, 7, label)
        pdf.set_text_color(*_INK)
        pdf.set_font(_FONT, size=12)
        pdf.cell(0, 7, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    first = build.shots[0] if build.shots else None
    poster = posters.get((first.id, first.selected.number)) if first and first.selected else None
    if poster is not None:
        width = pdf.w / 2 - _MARGIN
        pdf.image(str(poster), x=pdf.w / 2, y=30, w=width, h=width * build.height / build.width)


def page(
    pdf: Boards, heading: str, shots: Sequence[ReviewShot], layout: Grid,
    posters: dict[tuple[str, int], Path], *, continued: bool,
) -> None:  # fmt: skip
    """One page of ``shots`` of a scene under its ``heading``, laid out as ``layout``."""
    pdf.add_page()
    pdf.set_font(_FONT, size=11)
    pdf.set_text_color(*_INK)
    pdf.cell(0, 6, heading + ("  (continued)" if continued else ""))
    pdf.set_draw_color(*_INK)
    pdf.line(_MARGIN, _MARGIN + 7.5, pdf.w - _MARGIN, _MARGIN + 7.5)
    top, bottom = _MARGIN + 11, pdf.h - 12
    width = (pdf.w - 2 * _MARGIN - (layout.columns - 1) * _GAP) / layout.columns
    height = (bottom - top - (layout.rows - 1) * _GAP) / layout.rows
    for index, shot in enumerate(shots):
        row, column = divmod(index, layout.columns)
        x = _MARGIN + column * (width + _GAP)
        y = top + row * (height + _GAP)
        take = shot.selected
        poster = posters.get((shot.id, take.number)) if take else None
        _panel(pdf, shot, poster, x, y, width, height)


def _panel(
    pdf: Boards, shot: ReviewShot, poster: Path | None, x: float, y: float, w: float, h: float
) -> None:
    aspect = pdf.build.height / pdf.build.width if pdf.build.width else 9 / 16
    picture = min(w * aspect, h - 24)
    picture_w = picture / aspect
    left = x + (w - picture_w) / 2
    pdf.set_draw_color(*_GREY)
    if poster is not None:
        pdf.image(str(poster), x=left, y=y, w=picture_w, h=picture)
        pdf.rect(left, y, picture_w, picture)
    else:
        pdf.set_fill_color(228, 228, 232)
        pdf.rect(left, y, picture_w, picture, style="DF")
        pdf.set_xy(left, y + picture / 2 - 4)
        pdf.set_font(_FONT, size=9)
        pdf.set_text_color(180, 50, 30)
        pdf.multi_cell(picture_w, 4, "FAILED\n" + (shot.failure or "not generated"), align="C")
    pdf.set_xy(x, y + picture + 1.5)
    pdf.set_font(_FONT, size=10)
    pdf.set_text_color(*_INK)
    pdf.cell(w / 2, 5, shot.id)
    pdf.set_font(_FONT, size=7.5)
    pdf.set_text_color(*_GREY)
    pdf.cell(w / 2, 5, f"{shot.frames / pdf.build.fps:.1f}s · {shot.timecode}", align="R",
             new_x=XPos.LEFT, new_y=YPos.NEXT)  # fmt: skip
    pdf.set_x(x)
    camera = " · ".join(
        p for p in (shot.size.split(" (")[0], shot.angle, shot.movement, shot.lens) if p
    )
    _lines(pdf, camera, w, 3.4, 1, x)
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, size=8)
    room = max(1, int((y + h - pdf.get_y()) / 3.6))
    dialogue = [line.text for line in shot.dialogue]
    used = _lines(pdf, shot.action, w, 3.6, max(1, room - len(dialogue)), x)
    pdf.set_text_color(30, 60, 120)
    for line in dialogue:
        used += _lines(pdf, f"“{line}”", w, 3.6, max(0, room - used), x)


def _lines(pdf: Boards, text: str, width: float, height: float, most: int, x: float) -> int:
    """Write ``text`` wrapped to ``width`` in at most ``most`` lines (an ellipsis if cut)."""
    if most <= 0 or not text:
        return 0
    wrapped = pdf.multi_cell(width, height, text, dry_run=True, output="LINES")
    lines = [str(line) for line in wrapped] if isinstance(wrapped, list) else [text]
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1].rstrip()[:-1] + "…"]
    for line in lines:
        pdf.set_x(x)
        pdf.cell(width, height, line, new_x=XPos.LEFT, new_y=YPos.NEXT)
    return len(lines)
