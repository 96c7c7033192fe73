"""A small element tree that writes the bytes lxml writes for the same elements.

The FCPXML and Kdenlive writers build a few elements per clip — ~40,000 for a 2,000-shot cut —
and lxml spends more creating, attaching and moving them (each a C node behind a Python proxy)
than the writers spend deciding what they say. This tree keeps only what they use: a tag,
attributes in the order they were set, text in a leaf, child elements, ``find``,
``addprevious``. It writes what libxml2 writes: :func:`pretty_document` as
``tostring(pretty_print=True)`` (two-space indents, for elements without text),
:func:`compact_document` as ``ElementTree.write`` (no whitespace added); ``<a/>`` for an empty
element; attribute values with ``& < > "`` and the tab, line feed and carriage return escaped,
text with ``& < >`` and the carriage return; other characters as UTF-8. Values lxml would refuse
(characters XML cannot hold) are refused the same way, when the document is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# what an attribute value needs escaped, or cannot hold at all
SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Element:
    """An element: tag, attributes (in the order first set) and child elements."""

    __slots__ = ("attrib", "children", "parent", "tag", "text")

    def __init__(self, tag: str, attrib: dict[str, str] | None = None, **extra: str) -> None:
        self.tag = tag
        self.attrib: dict[str, str] = {**attrib, **extra} if attrib else extra
        self.children: list[Element] = []
        self.parent: Element | None = None
        self.text: str | None = None  # before the first child (previz writes text only in leaves)

    def set(self, key: str, value: str) -> None:
        self.attrib[key] = value

    def get(self, key: str, default: str = "") -> str:
        return self.attrib.get(key, default)

    def append(self, child: Element) -> None:
        child.parent = self
        self.children.append(child)

    def find(self, tag: str) -> Element | None:
        """The first child called ``tag``."""
        return next((child for child in self.children if child.tag == tag), None)

    def addprevious(self, element: Element) -> None:
        """Put ``element`` just before this one among its parent's children."""
        if self.parent is None:
            raise TypeError("the root element can have no siblings")
        siblings = self.parent.children
        siblings.insert(next(i for i, c in enumerate(siblings) if c is self), element)
        element.parent = self.parent

    def __iter__(self) -> Iterator[Element]:
        return iter(self.children)


class Verbatim(Element):
    """A place in a document whose text is written by :meth:`render` (a fragment kept from an
    earlier write, or rendered with :func:`lines_of` or :func:`compact_of`). Its tag and
    attributes are the writer's own notes: they are not written."""

    __slots__ = ()

    def render(self, indent: str | None) -> str:
        """The text of this place: in a pretty document its lines, each starting with
        ``indent``, joined by newlines; in a compact one (``indent`` ``None``) its markup."""
        raise NotImplementedError


class Markup(Verbatim):
    """A place in a compact document written as the markup given (a writer's own, with
    nothing to escape in it: no element built and serialised for it)."""

    __slots__ = ("markup",)

    def __init__(self, markup: str) -> None:
        super().__init__("markup")
        self.markup = markup

    def render(self, indent: str | None) -> str:
        return self.markup


def lines_of(element: Element, indent: str) -> str:
    """``element``'s lines in a pretty document, at ``indent``, joined by newlines."""
    lines: list[str] = []
    _lines(element, indent, lines)
    return "\n".join(lines)


def compact_of(element: Element) -> str:
    """``element``'s markup in a compact document."""
    parts: list[str] = []
    _compact(element, parts)
    return "".join(parts)


def sub_element(parent: Element, tag: str, attrib: dict[str, str] | None = None,
                **extra: str) -> Element:  # fmt: skip
    """A new element appended to ``parent`` (``etree.SubElement``)."""
    element = Element(tag, attrib, **extra)
    parent.append(element)
    return element


def pretty_document(root: Element, doctype: str) -> bytes:
    """``etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True,
    doctype=doctype)``, byte for byte."""
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", doctype]
    _lines(root, "", lines)
    return ("\n".join(lines) + "\n").encode("utf-8")


def compact_document(root: Element) -> bytes:
    """``etree.ElementTree(root).write(..., xml_declaration=True, encoding="utf-8")``: no
    indentation, no newline at the end."""
    parts = ["<?xml version='1.0' encoding='UTF-8'?>\n"]
    _compact(root, parts)
    return "".join(parts).encode("utf-8")


def _compact(element: Element, parts: list[str]) -> None:
    if isinstance(element, Verbatim):
        parts.append(element.render(None))
        return
    attributes = "".join(
        f' {key}="{_escaped(value) if SPECIAL.search(value) else value}"'
        for key, value in element.attrib.items()
    )
    if element.text is None and not element.children:
        parts.append(f"<{element.tag}{attributes}/>")
        return
    parts.append(f"<{element.tag}{attributes}>")
    if element.text:
        text = element.text
        parts.append(_escaped_text(text) if TEXT_SPECIAL.search(text) else text)
    for child in element.children:
        _compact(child, parts)
    parts.append(f"</{element.tag}>")


def _lines(element: Element, indent: str, lines: list[str]) -> None:
    if isinstance(element, Verbatim):
        lines.append(element.render(indent))
        return
    attributes = "".join(
        f' {key}="{_escaped(value) if SPECIAL.search(value) else value}"'
        for key, value in element.attrib.items()
    )
    if not element.children:
        lines.append(f"{indent}<{element.tag}{attributes}/>")
        return
    lines.append(f"{indent}<{element.tag}{attributes}>")
    inner = indent + "  "
    for child in element.children:
        _lines(child, inner, lines)
    lines.append(f"{indent}</{element.tag}>")


def _escaped(value: str) -> str:
    if INVALID.search(value):  # lxml refuses these when they are set; here, when written
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes "
                         "or control characters")  # fmt: skip
    # chained replaces run in C; ``str.translate`` with a table was 6x slower on long JSON
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
            .replace("\r", "&#13;"))  # fmt: skip


def _escaped_text(text: str) -> str:
    if INVALID.search(text):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes "
                         "or control characters")  # fmt: skip
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )
