"""Changing a scene file in place: only the lines an edit means to change, every other byte kept.

:class:`SceneEdit` holds a scene file's text and applies edits to it by splicing: set a shot's
field (replacing the value's characters, keeping its quoting; or adding the key in the shot's
own indentation, block or flow), append to a shot's notes, move a shot within its scene or to
another. Comments, quotes, key order, blank lines and line endings elsewhere stay byte for byte.
The result is validated as a scene before it is written, atomically. ``previz select``,
``previz conform`` and ``previz notes`` edit through it.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from previz.errors import OutputError, SceneError
from previz.shotlist.checks import suggest
from previz.shotlist.loader import from_data, load, parse_fast, parse_located
from previz.shotlist.resolve import ResolvedShotList
from previz.shotlist.screenplay import SUFFIXES as SCREENPLAY_SUFFIXES
from previz.shotlist.screenplay import screenplay_to_data
from previz.shotlist.yamltext import (
    ShotNode,
    compose,
    content_end,
    dash_index,
    item_lines,
    line_end,
    line_start,
    lookup,
    render_scalar,
    scene_shots,
    shot_nodes,
)

_NULLS = ("", "~", "null", "Null", "NULL")


class SceneEdit:
    """Edits to one scene file's text; nothing touches the disk until :meth:`save`."""

    def __init__(self, path: str | Path, text: str | None = None) -> None:
        self.path = Path(path)
        if self.path.suffix == ".py" or self.path.suffix.lower() in SCREENPLAY_SUFFIXES:
            kind = "a Python scene script" if self.path.suffix == ".py" else "a screenplay"
            raise SceneError(
                f"{kind} cannot be edited in place",
                path=self.path,
                hint="edit its YAML breakdown (`previz import` writes one) or the source itself",
            )
        if text is None:
            try:
                text = self.path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise SceneError(f"cannot read the scene file: {error}", path=self.path) from None
        self.original = text
        self.text = text
        self._newline = "\r\n" if "\r\n" in text else "\n"

    @property
    def changed(self) -> bool:
        """True when an edit changed the text."""
        return self.text != self.original

    def shot_ids(self) -> list[str]:
        """Every shot id in file order."""
        return [shot.shot_id for shot in shot_nodes(compose(self.text, self.path))]

    def scene_of(self, shot_id: str) -> str:
        """The id of the scene that holds ``shot_id``."""
        return self._shot(shot_id).scene_id

    def set_field(self, shot_id: str, field: str, value: Any, *, after: str | None = None) -> None:
        """Set a shot's ``field`` to a scalar ``value``; a new key goes after ``after`` (if the
        shot has it) or last, in the shot's own indentation and style."""
        self._set(self._shot(shot_id).mapping, field, value, after)

    def set_cue_key(self, shot_id: str, cue: int, key: str, value: Any) -> None:
        """Set ``key`` of the shot's ``cue``-th sound cue (0-based) to a scalar ``value``."""
        self._set(self._cue(shot_id, cue), key, value, None)

    def append_note(self, shot_id: str, note: str) -> None:
        """Add ``note`` as a new line of the shot's ``notes`` (creating the key if missing)."""
        shot = self._shot(shot_id)
        found = lookup(shot.mapping, "notes")
        node = found[1] if found is not None else None
        is_null = isinstance(node, ScalarNode) and not node.style and node.value in _NULLS
        old = node.value if isinstance(node, ScalarNode) and not is_null else None
        if node is None or not old:
            self.set_field(shot_id, "notes", note)
            return
        assert isinstance(node, ScalarNode)
        end = content_end(node, self.text)
        lines = (old.rstrip("\n") + "\n" + note).split("\n")
        literal = not shot.mapping.flow_style and all(
            line == line.strip() for line in lines
        )  # a literal block keeps each line as typed; leading or trailing spaces need quotes
        if node.style == "|" and literal:
            first = line_end(self.text, node.start_mark.index)
            indent = self.text[first:].split("\n", 1)[0]
            indent = indent[: len(indent) - len(indent.lstrip(" "))]
            at = line_end(self.text, end - 1)
            nl = self._newline
            added = "".join(f"{indent}{line}{nl}" if line else nl for line in note.split("\n"))
            self._splice(at, at, added if self.text[at - 1 : at] == "\n" else nl + added)
            return
        trailing = self.text[end : line_end(self.text, end)].strip()
        if literal and not trailing:
            indent = " " * (shot.mapping.start_mark.column + 2)
            body = self._newline.join(indent + line if line else "" for line in lines)
            self._splice(node.start_mark.index, end, "|-" + self._newline + body)
        else:
            text = render_scalar("\n".join(lines), style='"')
            self._splice(node.start_mark.index, end, text)

    def move_shot(self, shot_id: str, scene_id: str, *, after: str | None = None) -> None:
        """Move a shot (with the comment lines above it) to scene ``scene_id``, right after shot
        ``after``, or first in the scene when ``after`` is None."""
        if after == shot_id:
            return
        shot = self._shot(shot_id)
        if shot.shots.flow_style:
            raise SceneError(
                f"the shots of scene '{shot.scene_id}' are a flow list [ … ], so '{shot_id}' "
                "cannot be moved line by line",
                path=self.path,
                shot_id=shot_id,
                hint="write the scene's shots one per line, each starting with '- '",
            )
        start, end = item_lines(shot.mapping, self.text)
        block = self.text[start:end]
        dash = dash_index(shot.mapping, self.text)
        source_indent = dash - line_start(self.text, dash)
        rest = self.text[:start] + self.text[end:]
        root = compose(rest, self.path)
        found = scene_shots(root, scene_id)
        target = found[1] if found is not None else None
        if found is None or (isinstance(target, SequenceNode) and target.flow_style):
            raise SceneError(
                f"cannot move shot '{shot_id}' into scene '{scene_id}'",
                path=self.path,
                shot_id=shot_id,
                hint="the scene must exist and list its shots one per line",
            )
        if not isinstance(target, SequenceNode) or not target.value:  # emptied by a move
            key = found[0]
            indent = int(key.start_mark.column) + 2
            at = line_end(rest, key.end_mark.index)
        elif after is None:
            first = target.value[0]
            indent = dash_index(first, rest) - line_start(rest, dash_index(first, rest))
            at = item_lines(first, rest)[0]
        else:
            first = target.value[0]
            indent = dash_index(first, rest) - line_start(rest, dash_index(first, rest))
            anchor = next((s for s in shot_nodes(root) if s.shot_id == after), None)
            if anchor is None or anchor.scene_id != scene_id:
                raise SceneError(f"no shot '{after}' in scene '{scene_id}'", path=self.path)
            at = item_lines(anchor.mapping, rest)[1]
        block = _reindent(block, indent - source_indent)
        if not block.endswith("\n"):
            block += self._newline
        if at == len(rest) and rest and not rest.endswith("\n"):
            block = self._newline + block
        self.text = rest[:at] + block + rest[at:]

    def remove_cue_key(self, shot_id: str, cue: int, key: str) -> None:
        """Remove ``key`` from the shot's ``cue``-th sound cue (its line, or its ``, key: v``)."""
        mapping = self._cue(shot_id, cue)
        found = lookup(mapping, key)
        if found is None:
            return
        name, value = found
        start, end = int(name.start_mark.index), content_end(value, self.text)
        if not mapping.flow_style:
            self._splice(line_start(self.text, start), line_end(self.text, end - 1), "")
            return
        before = self.text.rfind(",", mapping.start_mark.index, start)
        if before >= 0:  # ", key: value" after an earlier pair
            self._splice(before, end, "")
        else:  # the first pair: "key: value, "
            after = self.text.find(",", end)
            stop = after + 1 if 0 <= after < mapping.end_mark.index else end
            while self.text[stop] == " ":
                stop += 1
            self._splice(start, stop, "")

    def diff(self) -> str:
        """A unified diff of the edits so far (empty when nothing changed)."""
        name = str(self.path)
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.text.splitlines(keepends=True),
                fromfile=name,
                tofile=name + " (edited)",
            )
        )

    def validate(self) -> ResolvedShotList:
        """The edited text loaded as a scene: an edit that breaks the scene fails here."""
        text, path = self.text, self.path
        return from_data(
            parse_fast(text, path), path=path, located=lambda: parse_located(text, path)
        )

    def save(self) -> bool:
        """Validate, then write the file atomically; False when there was nothing to write."""
        if not self.changed:
            return False
        self.validate()
        _replace_file(self.path, self.text.encode("utf-8"))
        self.original = self.text
        return True

    def _shot(self, shot_id: str) -> ShotNode:
        shots = shot_nodes(compose(self.text, self.path))
        for shot in shots:
            if shot.shot_id == shot_id:
                return shot
        ids = [s.shot_id for s in shots]
        raise SceneError(f"no shot '{shot_id}'", path=self.path, hint=suggest(shot_id, ids, "shot"))

    def _cue(self, shot_id: str, cue: int) -> MappingNode:
        sound = lookup(self._shot(shot_id).mapping, "sound")
        cues = sound[1] if sound is not None else None
        if not isinstance(cues, SequenceNode) or not 0 <= cue < len(cues.value):
            raise SceneError(f"shot '{shot_id}' has no sound cue {cue + 1}", path=self.path)
        mapping = cues.value[cue]
        if not isinstance(mapping, MappingNode):
            raise SceneError(f"sound cue {cue + 1} of shot '{shot_id}' is not a mapping",
                             path=self.path)  # fmt: skip
        return mapping

    def _set(self, mapping: MappingNode, field: str, value: Any, after: str | None) -> None:
        flow = bool(mapping.flow_style)
        found = lookup(mapping, field)
        if found is not None:
            key, node = found
            if isinstance(node, ScalarNode) and node.style not in ("|", ">"):
                text = render_scalar(value, style=node.style, flow=flow)
                self._splice(node.start_mark.index, node.end_mark.index, text)
            else:  # a block scalar or a collection becomes one scalar on the key's line
                text = ": " + render_scalar(value, flow=flow)
                self._splice(key.end_mark.index, content_end(node, self.text), text)
            return
        self._add_key(mapping, field, render_scalar(value, flow=flow), after)

    def _add_key(self, mapping: MappingNode, field: str, value: str, after: str | None) -> None:
        anchor = lookup(mapping, after) if after else None
        if mapping.flow_style:
            if anchor is not None:
                at = content_end(anchor[1], self.text)
                self._splice(at, at, f", {field}: {value}")
                return
            at = int(mapping.end_mark.index) - 1  # the closing brace
            while self.text[at - 1] in " \t\r\n":
                at -= 1
            sep = " " if self.text[at - 1] == "," else ", "
            self._splice(at, at, f"{sep}{field}: {value}")
            return
        last = anchor[1] if anchor is not None else mapping
        at = line_end(self.text, content_end(last, self.text) - 1)
        line = " " * int(mapping.start_mark.column) + f"{field}: {value}{self._newline}"
        if not self.text[:at].endswith("\n"):
            line = self._newline + line
        self._splice(at, at, line)

    def _splice(self, start: int, end: int, text: str) -> None:
        self.text = self.text[:start] + text + self.text[end:]


def _reindent(block: str, delta: int) -> str:
    if delta == 0:
        return block
    lines = block.splitlines(keepends=True)
    if delta > 0:
        return "".join(" " * delta + line if line.strip() else line for line in lines)
    cut = -delta
    return "".join(line[min(cut, len(line) - len(line.lstrip(" "))) :] for line in lines)


def _replace_file(path: Path, data: bytes) -> None:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if path.exists():
            shutil.copymode(path, name)
        os.replace(name, path)
    except OSError as error:
        Path(name).unlink(missing_ok=True)
        raise OutputError(f"cannot rewrite the scene file: {error.strerror}", path=path) from None


def select_take(path: Path, shot_id: str, take: int) -> None:
    """Set ``selected_take`` of one shot; the take must exist (``1..takes``)."""
    edit = SceneEdit(path)
    shotlist = load(path)
    shot_ids = [s.id for s in shotlist.shots]
    omitted = [s.id for scene in shotlist.source.scenes for s in scene.shots if s.omit]
    if shot_id in omitted:
        raise SceneError(f"shot '{shot_id}' is omitted from the cut", path=path, shot_id=shot_id,
                         hint="remove its 'omit: true' first to bring it back")  # fmt: skip
    if shot_id not in shot_ids:
        raise SceneError(f"no shot '{shot_id}'", path=path, hint=suggest(shot_id, shot_ids, "shot"))
    takes = shotlist.shot(shot_id).takes
    if not 1 <= take <= takes:
        raise SceneError(
            f"shot '{shot_id}' has {takes} take(s); there is no take {take}",
            path=path,
            shot_id=shot_id,
            hint="raise 'takes' and build again first",
        )
    edit.set_field(shot_id, "selected_take", take, after="takes")
    edit.save()


def import_screenplay(screenplay: Path, dest: Path, *, force: bool = False) -> Path:
    """Write the breakdown of a Fountain screenplay as a scene file at ``dest``."""
    if dest.exists() and not force:
        raise OutputError(
            f"{dest} already exists",
            path=dest,
            hint="pass --force to overwrite it, or --out to write elsewhere",
        )
    data = screenplay_to_data(screenplay)
    from_data(data, path=dest)  # the breakdown must be a valid scene before it is written
    # quoted, so a YAML 1.1 reader does not take 16:9 for the base-60 number 969
    data["project"]["aspect"] = DoubleQuotedScalarString(data["project"]["aspect"])
    header = (
        f"# Broken down from {screenplay.name} by previz import: one shot per action\n"
        "# paragraph and per speech. Refine sizes, moves, lenses, lighting and the\n"
        "# character descriptions, then: previz build " + dest.name + "\n"
    )
    _write_atomically(dest, data, header=header)
    return dest


def _write_atomically(path: Path, data: object, header: str = "") -> None:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    handle, name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(header)
            yaml.dump(data, out)
        os.replace(name, path)
    except OSError as error:
        Path(name).unlink(missing_ok=True)
        raise OutputError(f"cannot rewrite the scene file: {error.strerror}", path=path) from None
