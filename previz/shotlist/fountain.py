"""Fountain screenplays read into a :class:`~previz.shotlist.script.Script`.

The text is parsed by ``screenplain`` (title page, scene headings with ``#12A#`` numbers, forced
elements, centred text, dual dialogue, boneyard and notes). One thing the Fountain rule gets
wrong for real scripts is fixed here: a scene heading with no blank line after it
(``EXT. PATIO - DAY`` then the action) parses as a character speaking the action; a "character"
named like a heading is taken as the heading it is, followed by its action.
"""

from __future__ import annotations

import io
import typing
from pathlib import Path

from previz.shotlist.parsing import read_text
from previz.shotlist.screenplay import FOUNTAIN_SUFFIXES
from previz.shotlist.script import (
    ActionText,
    Element,
    Line,
    SceneHeading,
    Script,
    Speech,
    Synopsis,
    TransitionText,
    looks_like_heading,
    printable,
)

if typing.TYPE_CHECKING:
    from screenplain.types import Dialog

SUFFIXES = FOUNTAIN_SUFFIXES


def read_fountain(path: Path) -> Script:
    """The title page and elements of a Fountain screenplay."""
    from screenplain.parsers.fountain import parse  # only when a Fountain script is read

    text = printable(read_text(path, "screenplay"))
    screenplay = parse(io.StringIO(text))
    title_page = {
        key: " ".join(str(v) for v in values) for key, values in screenplay.title_page.items()
    }
    elements: list[Element] = []
    for paragraph in screenplay:
        elements += _elements(paragraph)
    return Script(title_page=title_page, elements=elements)


def _elements(paragraph: object) -> list[Element]:
    from screenplain.types import Action, Dialog, DualDialog, Section, Slug, Transition

    if isinstance(paragraph, Slug):
        number = paragraph.scene_number and str(paragraph.scene_number)
        out: list[Element] = [SceneHeading(str(paragraph.line).strip(), number or None)]
        if paragraph.synopsis:
            out.append(Synopsis(str(paragraph.synopsis)))
        return out
    if isinstance(paragraph, Action):
        text = " ".join(str(line).strip() for line in paragraph.lines).strip()
        return [ActionText(text, centered=bool(paragraph.centered))]
    if isinstance(paragraph, Dialog):
        if looks_like_heading(str(paragraph.character)):  # a heading with no blank line after
            words = " ".join(str(text).strip() for _, text in paragraph.blocks)
            return [SceneHeading(str(paragraph.character).strip()), ActionText(words)]
        return [Speech((_line(paragraph),))]
    if isinstance(paragraph, DualDialog):
        return [Speech((_line(paragraph.left), _line(paragraph.right)))]
    if isinstance(paragraph, Transition):
        return [TransitionText(str(paragraph.line))]
    if isinstance(paragraph, Section) and paragraph.synopsis:
        return [Synopsis(str(paragraph.synopsis))]
    return []


def _line(dialog: Dialog) -> Line:
    words = " ".join(str(text).strip() for is_paren, text in dialog.blocks if not is_paren)
    paren = next((str(text).strip() for is_paren, text in dialog.blocks if is_paren), None)
    return Line(str(dialog.character), words.strip(), paren)
