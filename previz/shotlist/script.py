"""A screenplay as previz reads it, whatever format it came in: title page and elements.

The Fountain and Final Draft readers both produce a :class:`Script` — scene headings, action
paragraphs (centred ones marked), speeches (one line per speaker; two for dual dialogue),
transitions and synopses, in page order — so the breakdown into shots is written once and
equivalent scripts break down the same in either format.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SceneHeading:
    """``INT. HOUSE - NIGHT``, with its scene number if the script has one."""

    text: str
    number: str | None = None


@dataclass(frozen=True)
class ActionText:
    """An action paragraph; centred text (``> THE END <``) is a title, never a shot."""

    text: str
    centered: bool = False


@dataclass(frozen=True)
class Line:
    """One speaker's words: the cue as written (``TEO (O.S.)``), the words, a parenthetical."""

    cue: str
    words: str
    parenthetical: str | None = None


@dataclass(frozen=True)
class Speech:
    """A speech: one line, or two spoken at once (dual dialogue)."""

    lines: tuple[Line, ...]


@dataclass(frozen=True)
class TransitionText:
    """``DISSOLVE TO:``, ``FADE OUT.``, ``CUT TO:``."""

    text: str


@dataclass(frozen=True)
class Synopsis:
    """A one-line summary of the scene it follows (Fountain ``= …``, FDX scene summary)."""

    text: str


Element = SceneHeading | ActionText | Speech | TransitionText | Synopsis

TITLE_PAGE_KEYS = {
    "title": "title",
    "credit": "credit",
    "author": "author",
    "authors": "author",
    "written by": "author",
    "source": "source",
    "draft date": "draft_date",
    "draft": "draft_date",
    "date": "draft_date",
    "contact": "contact",
    "copyright": "copyright",
    "notes": "notes",
}
"""Title-page keys of both formats, to the scene format's ``project.title_page`` keys."""


@dataclass
class Script:
    """A screenplay: its title page (``title``, ``credit``, ``author``…) and its elements."""

    title_page: dict[str, str] = field(default_factory=dict)
    elements: list[Element] = field(default_factory=list)


_HEADING = re.compile(r"^\s*(INT|EXT|EST|INT\.?/EXT|EXT\.?/INT|I/E)[.\s]", re.I)


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text with control characters (a form feed from a PDF conversion, a NUL) made spaces."""
    return _CONTROLS.sub(" ", text)


def looks_like_heading(text: str) -> bool:
    """``EXT. BRICK'S PATIO - DAY``: a line a reader takes for a scene heading."""
    return bool(_HEADING.match(text)) and text.strip() == text.strip().upper()


def fold(text: str) -> str:
    """Accents folded away, as ids want them: ``ÉLODIE`` → ``ELODIE``, ``Ø`` → ``O``."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(_NOT_DECOMPOSED)


_NOT_DECOMPOSED = str.maketrans(
    {"Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE", "æ": "ae"}
)


def slug(text: str, fallback: str) -> str:
    """A safe id from a name: ``MRS. DALLOWAY`` → ``mrs-dalloway``, ``ÉLODIE`` → ``elodie``."""
    ident = re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")[:60].strip("-")
    return ident or fallback
