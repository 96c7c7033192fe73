"""A small element tree that serialises exactly as lxml's ``tostring(pretty_print=True)`` does.

The FCPXML writer builds a document of a few elements per clip — ~40,000 for a 2,000-shot cut —
and lxml spends more creating, attaching and moving them (each a C node behind a Python proxy)
than the writer spends deciding what they say. This tree keeps only what the writer uses:
a tag, attributes in the order they were set, child elements, ``find``, ``addprevious``; and
writes the text libxml2 writes for elements without text: two-space indents, ``<a/>`` for an
empty element, attribute values escaped as libxml2 escapes them (``& < > "`` and the tab, line
feed and carriage return as character references), other characters as UTF-8. Values lxml
would refuse (characters XML cannot hold) are refused the same way, when the document is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# what an attribute value needs escaped, or cannot hold at all
SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Element:
    """An element: tag, attributes (in the order first set) and child elements."""

    __slots__ = ("attrib", "children", "parent", "tag")

    def __init__(self, tag: str, attrib: dict[str, str] | None = None, **extra: str) -> None:
        self.tag = tag
        self.attrib: dict[str, str] = {**attrib, **extra} if attrib else extra
        self.children: list[Element] = []
        self.parent: Element | None = None

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


def _lines(element: Element, indent: str, lines: list[str]) -> None:
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
