"""Where things sit in a scene file's text: shots, their keys and values, as character spans.

The minimal-edit writer (:mod:`previz.shotlist.edit`) changes a scene file by splicing text, so
it needs to know exactly which characters hold a shot, a key or a value. libyaml's composer
(through PyYAML: ten times ruamel's speed, which matters when a conform edits every shot of a
long film) gives every node its start and end mark, in characters; this module turns them into
spans: a scalar's own characters (quotes included), a collection's *content* end (the end of
its last value, not the comments and blank lines that follow it), and a sequence item's whole
lines (with the comment lines directly above it, which belong to it). It also writes scalars the
way YAML readers of both versions read back unchanged, so ``16:9`` stays a string for a YAML 1.1
reader too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from previz.errors import SceneError


def compose(text: str, path: Path | None = None) -> MappingNode:
    """The node tree of a scene file's text, with marks; a syntax error is a located error."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise SceneError(
            f"YAML syntax: {getattr(error, 'problem', None) or error}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    if not isinstance(node, MappingNode):
        raise SceneError("a scene file must be a mapping", path=path, line=1, column=1)
    return node


_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def lookup(mapping: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    """The (key node, value node) pair of ``key`` in ``mapping``, if present."""
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def content_end(node: Node, text: str) -> int:
    """Index just after the last character of ``node``'s own content.

    A block collection's end mark lies at the next token (after trailing comments and blank
    lines); its content ends with its last value. A block scalar's end mark includes its
    trailing line breaks; its content ends with its last visible character.
    """
    if isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return content_end(last[1] if isinstance(last, tuple) else last, text)
    end = int(node.end_mark.index)
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        while end > node.start_mark.index and text[end - 1] in " \t\r\n":
            end -= 1
    return end


def line_start(text: str, index: int) -> int:
    """Index of the first character of the line holding ``index``."""
    return text.rfind("\n", 0, index) + 1


def line_end(text: str, index: int) -> int:
    """Index just after the line break of the line holding ``index`` (or the end of text)."""
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


@dataclass(frozen=True)
class ShotNode:
    """A shot's mapping node and where it sits: its scene's id and its shots sequence."""

    shot_id: str
    scene_id: str
    mapping: MappingNode
    shots: SequenceNode


def shot_nodes(root: MappingNode) -> list[ShotNode]:
    """Every shot of the file, in file order."""
    found: list[ShotNode] = []
    scenes = lookup(root, "scenes")
    if scenes is None or not isinstance(scenes[1], SequenceNode):
        return found
    for scene in scenes[1].value:
        if not isinstance(scene, MappingNode):
            continue
        scene_id, shots = lookup(scene, "id"), lookup(scene, "shots")
        if shots is None or not isinstance(shots[1], SequenceNode):
            continue
        for shot in shots[1].value:
            shot_id = lookup(shot, "id") if isinstance(shot, MappingNode) else None
            if shot_id is not None:
                found.append(
                    ShotNode(
                        str(shot_id[1].value),
                        str(scene_id[1].value) if scene_id else "",
                        shot,
                        shots[1],
                    )
                )
    return found


def scene_shots(root: MappingNode, scene_id: str) -> tuple[ScalarNode, Node] | None:
    """The ``shots`` key and value nodes of scene ``scene_id`` (the value may be empty)."""
    scenes = lookup(root, "scenes")
    for scene in scenes[1].value if scenes and isinstance(scenes[1], SequenceNode) else []:
        found = lookup(scene, "id") if isinstance(scene, MappingNode) else None
        if found is not None and found[1].value == scene_id:
            return lookup(scene, "shots")
    return None


def dash_index(item: Node, text: str) -> int:
    """Index of the ``-`` that opens a block sequence item."""
    index = int(item.start_mark.index) - 1
    while index >= 0 and text[index] in " \t\r\n":
        index -= 1
    if index < 0 or text[index] != "-":
        raise ValueError("not a block sequence item")
    return index


def item_lines(item: Node, text: str) -> tuple[int, int]:
    """The span of whole lines a block sequence item occupies, comment lines above included."""
    start = line_start(text, dash_index(item, text))
    while start > 0:
        above = line_start(text, start - 1)
        if not text[above:start].strip().startswith("#"):
            break
        start = above
    return start, line_end(text, content_end(item, text) - 1)


_PLAIN_UNSAFE = re.compile(r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|[\s]$|: | #|[\n\t]")
_FLOW_UNSAFE = re.compile(r"[,\[\]{}]")


def render_scalar(value: Any, *, style: str | None = None, flow: bool = False) -> str:
    """``value`` as YAML scalar text that YAML 1.2 and 1.1 readers both read back as written.

    ``style`` keeps a replaced value's quoting (``'"'`` or ``"'"``); plain text is used only
    when it is unambiguous (``16:9``, ``yes``, ``1e3`` get quotes).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if style == "'" and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    if style != '"' and _plain_reads_back(text, flow):
        return text
    return json.dumps(text, ensure_ascii=False)


def _plain_reads_back(text: str, flow: bool) -> bool:
    if not text or _PLAIN_UNSAFE.search(text) or (flow and _FLOW_UNSAFE.search(text)):
        return False
    try:
        as_11 = yaml.safe_load(f"k: {text}")
        as_12 = YAML(typ="safe", pure=True).load(f"k: {text}")
    except (yaml.YAMLError, YAMLError):
        return False
    return bool(as_11 == {"k": text} and as_12 == {"k": text})
