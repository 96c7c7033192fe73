"""previz's small element tree writes what lxml writes for the same elements, byte for byte."""

from __future__ import annotations

import io
import random

import pytest
from lxml import etree

from previz.timeline import xmltree

VALUES = ["0s", "1001/24000s", 'say "hi" & <go>', "tab\there", "two\nlines\r", "é € 😀", "", "]]>"]


def _both(rng: random.Random, depth: int) -> tuple[xmltree.Element, etree._Element]:
    tag = rng.choice(["asset-clip", "gap", "marker", "md"])
    attributes = {f"a{k}": rng.choice(VALUES) for k in range(rng.randint(0, 4))}
    ours, theirs = xmltree.Element(tag, attributes), etree.Element(tag, attributes)
    for _ in range(rng.randint(0, 3) if depth < 3 else 0):
        child, twin = _both(rng, depth + 1)
        ours.append(child)
        theirs.append(twin)
    return ours, theirs


@pytest.mark.parametrize("seed", range(20))
def test_a_tree_is_written_as_lxml_pretty_prints_it(seed: int) -> None:
    ours, theirs = _both(random.Random(seed), 0)
    expected = etree.tostring(theirs, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                              doctype="<!DOCTYPE fcpxml>")  # fmt: skip
    assert xmltree.pretty_document(ours, "<!DOCTYPE fcpxml>") == expected


def test_an_element_put_before_another_lands_where_lxml_puts_it() -> None:
    root, twin = xmltree.Element("spine"), etree.Element("spine")
    for tree, make in ((root, xmltree.sub_element), (twin, etree.SubElement)):
        make(tree, "clip", name="a")
        make(tree, "metadata")
    root.find("metadata").addprevious(xmltree.Element("marker"))  # type: ignore[union-attr]
    twin.find("metadata").addprevious(etree.Element("marker"))  # type: ignore[union-attr]
    expected = etree.tostring(twin, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                              doctype="<!DOCTYPE x>")  # fmt: skip
    assert xmltree.pretty_document(root, "<!DOCTYPE x>") == expected


def test_a_value_xml_cannot_hold_is_refused_like_lxml_refuses_it() -> None:
    with pytest.raises(ValueError):
        etree.Element("a", name="bell\x07")
    with pytest.raises(ValueError):
        xmltree.pretty_document(xmltree.Element("a", name="bell\x07"), "<!DOCTYPE x>")


def _with_text(rng: random.Random, depth: int) -> tuple[xmltree.Element, etree._Element]:
    ours, theirs = _both(rng, depth)
    for index in range(rng.randint(0, 3)):
        text = rng.choice([*VALUES, None])
        leaf, twin = (
            xmltree.sub_element(ours, "property", name=f"p{index}"),
            etree.SubElement(theirs, "property", name=f"p{index}"),
        )
        leaf.text = twin.text = text
    return ours, theirs


@pytest.mark.parametrize("seed", range(20))
def test_a_tree_with_text_is_written_as_lxml_writes_a_document(seed: int) -> None:
    ours, theirs = _with_text(random.Random(seed), 0)
    buffer = io.BytesIO()
    etree.ElementTree(theirs).write(buffer, xml_declaration=True, encoding="utf-8")
    assert xmltree.compact_document(ours) == buffer.getvalue()
