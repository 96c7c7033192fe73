"""Final Draft (``.fdx``) screenplays read into a :class:`~previz.shotlist.script.Script`.

An FDX file is XML: ``<FinalDraft>`` holds ``<Content>``, a list of ``<Paragraph Type="…">``
(``Scene Heading`` with its ``Number``, ``Action``, ``Character``, ``Parenthetical``,
``Dialogue``, ``Transition``, ``Shot``, ``General``), each with ``<Text>`` runs; a paragraph may
hold ``<DualDialogue>``; a scene heading may carry a ``<Summary>``. The ``<TitlePage>`` is laid
out text without keys: the first line is the title, ``Written by`` the credit, the line after it
the author, a date the draft date, an address or e-mail the contact. Entities are never
resolved and nothing is fetched from the network.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

from previz.errors import SceneError
from previz.shotlist.screenplay import FDX_SUFFIXES
from previz.shotlist.script import (
    ActionText,
    Element,
    Line,
    SceneHeading,
    Script,
    Speech,
    Synopsis,
    TransitionText,
    printable,
)

if typing.TYPE_CHECKING:
    from lxml import etree

SUFFIXES = FDX_SUFFIXES
_ACTION_TYPES = {"Action", "General", "Shot"}
_HINT = "export it again from Final Draft (File → Save As… → Final Draft Document .fdx)"


def read_fdx(path: Path) -> Script:
    """The title page and elements of a Final Draft screenplay."""
    root = _parse(path)
    content = root.find("Content")
    if content is None:
        raise SceneError(
            "the Final Draft file has no <Content> (no script pages)",
            path=path,
            line=_line_of(root),
            column=1,
            hint=_HINT,
        )
    elements: list[Element] = []
    speech: list[Line] = []
    for paragraph in content.iterfind("Paragraph"):
        dual = paragraph.find("DualDialogue")
        if dual is not None:
            _flush(elements, speech)
            elements.append(Speech(tuple(_lines(dual.iterfind("Paragraph")))))
            continue
        kind, text = paragraph.get("Type", "General"), _text(paragraph)
        if kind in ("Character", "Parenthetical", "Dialogue"):
            if kind == "Character":
                _flush(elements, speech)
            speech[:] = _lines([paragraph], speech)
            continue
        _flush(elements, speech)
        elements += _element(paragraph, kind, text)
    _flush(elements, speech)
    return Script(title_page=_title_page(root), elements=elements)


def _parse(path: Path) -> etree._Element:
    from lxml import etree  # only when a Final Draft script is read

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SceneError("screenplay not found", path=path) from None
    except OSError as error:
        raise SceneError(f"cannot read the screenplay: {error.strerror}", path=path) from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (None, None)
        raise SceneError(
            f"the Final Draft file is not well-formed XML: {error.msg}",
            path=path,
            line=line or None,
            column=(column + 1) if column is not None else None,
            hint=_HINT,
        ) from None
    if root.tag != "FinalDraft":
        raise SceneError(
            f"this is XML, but not a Final Draft script (its root is <{root.tag}>, "
            "not <FinalDraft>)",
            path=path,
            line=_line_of(root),
            column=1,
            hint=_HINT,
        )
    return root


def _text(paragraph: etree._Element) -> str:
    """The paragraph's own text runs joined (styled runs are separate ``<Text>`` elements)."""
    runs = ("".join(str(part) for part in t.itertext()) for t in paragraph.iterfind("Text"))
    return " ".join(printable("".join(runs)).split())


def _line_of(element: etree._Element) -> int | None:
    line = element.sourceline
    return int(line) if isinstance(line, int) else None


def _lines(paragraphs: object, current: list[Line] | None = None) -> list[Line]:
    """Character / Parenthetical / Dialogue paragraphs gathered into lines, one per cue."""
    lines = list(current or [])
    for paragraph in paragraphs:  # type: ignore[attr-defined]
        kind, text = paragraph.get("Type"), _text(paragraph)
        if kind == "Character":
            lines.append(Line(text, ""))
        elif lines and kind == "Parenthetical":
            last = lines[-1]
            lines[-1] = Line(last.cue, last.words, last.parenthetical or text)
        elif lines and kind == "Dialogue":
            last = lines[-1]
            lines[-1] = Line(last.cue, f"{last.words} {text}".strip(), last.parenthetical)
    return lines


def _flush(elements: list[Element], speech: list[Line]) -> None:
    if speech:
        elements.extend(Speech((line,)) for line in speech)
        speech.clear()


def _element(paragraph: etree._Element, kind: str, text: str) -> list[Element]:
    if kind == "Scene Heading":
        out: list[Element] = [SceneHeading(text, paragraph.get("Number") or None)]
        summary = paragraph.find("SceneProperties/Summary")
        if summary is not None:
            synopsis = " ".join(_text(p) for p in summary.iterfind("Paragraph")).strip()
            if synopsis:
                out.append(Synopsis(synopsis))
        return out
    if kind == "Transition":
        return [TransitionText(text)]
    if kind in _ACTION_TYPES and text:
        return [ActionText(text, centered=paragraph.get("Alignment") == "Center")]
    return []


def _title_page(root: etree._Element) -> dict[str, str]:
    """Title, credit, author, source, draft date and contact from the laid-out title page."""
    texts = [_text(p) for p in root.iterfind("TitlePage/Content/Paragraph")]
    texts = [t for t in texts if t]
    page: dict[str, str] = {}
    author_at = None
    for i, text in enumerate(texts):
        lower = text.lower()
        if "title" not in page:
            page["title"] = text
        elif i == author_at:
            page.setdefault("author", text)
        elif re.fullmatch(r"(?:(?:written|screenplay|story|teleplay)\s+)?by", lower):
            page["credit"] = text
            author_at = i + 1
        elif lower.startswith(("based on", "adapted from")):
            page.setdefault("source", text)
        elif _is_date(text) or lower.startswith("draft"):
            page.setdefault("draft date", text)
        elif "@" in text or re.search(r"\d{3}[\s.-]\d{3,4}", text):
            page["contact"] = f"{page['contact']} {text}" if "contact" in page else text
    return page


def _is_date(text: str) -> bool:
    months = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
    return bool(
        re.search(r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b", text)
        or re.search(rf"\b({months})[a-z]*\.?\s+\d", text, re.I)
        or re.search(rf"\b\d{{1,2}}\s+({months})[a-z]*\b", text, re.I)
    )
