"""Notes back: a reviewer's ``notes.json`` from the review page, merged into the scene file.

The page downloads ``{"format": "previz-notes", "reviewer": …, "notes": [{"reviewer", "shot",
"record_timecode", "text"}, …]}``. Each note becomes one line of its shot's ``notes`` —
``01:00:04:12 Dana: hold on her a beat longer`` — through the minimal-edit scene writer, so only
those lines of the scene file change. A note already there is not added twice, so merging the
same file again changes nothing. Without ``apply`` the merge is a preview: the diff it would make.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from previz.errors import SceneError
from previz.shotlist.checks import suggest
from previz.shotlist.edit import SceneEdit
from previz.shotlist.loader import load

FORMAT = "previz-notes"


@dataclass(frozen=True)
class ReviewNote:
    """One note a reviewer typed on a shot or at the playhead."""

    shot: str
    text: str
    reviewer: str = ""
    record_timecode: str = ""

    @property
    def line(self) -> str:
        """The note as one line of the shot's ``notes``: timecode, reviewer, text."""
        who = f"{self.reviewer}: " if self.reviewer else ""
        return " ".join(f"{self.record_timecode} {who}{self.text}".split())


@dataclass(frozen=True)
class NotesMerge:
    """What merging a notes file does: the notes it adds, those already there, and the diff."""

    added: tuple[ReviewNote, ...]
    present: tuple[ReviewNote, ...]
    diff: str
    written: bool


def read_notes(path: Path) -> list[ReviewNote]:
    """The notes in a ``notes.json``; a malformed file is one error naming what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SceneError(
            f"not JSON: {error.msg}", path=path, line=error.lineno, column=error.colno,
            hint="use the notes.json the review page downloads, unchanged",
        ) from None  # fmt: skip
    except (OSError, UnicodeDecodeError) as error:
        raise SceneError(f"cannot read the notes: {error}", path=path) from None
    items = data.get("notes") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise SceneError(
            "expected a 'notes' list", path=path,
            hint="use the notes.json the review page downloads (Download notes.json)",
        )  # fmt: skip
    default_reviewer = str(data.get("reviewer") or "") if isinstance(data, dict) else ""
    return [_note(item, index, default_reviewer, path) for index, item in enumerate(items, 1)]


def _note(item: Any, index: int, reviewer: str, path: Path) -> ReviewNote:
    if not isinstance(item, dict):
        raise SceneError(f"note {index} is not an object", path=path)
    for field in ("shot", "text"):
        if not isinstance(item.get(field), str) or not item[field].strip():
            raise SceneError(
                f"note {index}: '{field}' must be a non-empty string", path=path,
                hint="each note needs 'shot' (a shot id) and 'text'",
            )  # fmt: skip
    return ReviewNote(
        shot=item["shot"].strip(),
        text=item["text"],
        reviewer=str(item.get("reviewer") or reviewer),
        record_timecode=str(item.get("record_timecode") or item.get("timecode") or ""),
    )


def merge_notes(scene: Path, notes_file: Path, *, apply: bool = False) -> NotesMerge:
    """Merge the notes of ``notes_file`` into ``scene``'s shots; write only with ``apply``."""
    notes = read_notes(notes_file)
    edit = SceneEdit(scene)
    shot_ids = edit.shot_ids()
    existing = _existing_notes(scene)
    added: list[ReviewNote] = []
    present: list[ReviewNote] = []
    for index, note in enumerate(notes, 1):
        if note.shot not in shot_ids:
            raise SceneError(
                f"note {index} is on shot '{note.shot}', which {scene.name} does not have",
                path=notes_file, hint=suggest(note.shot, shot_ids, "shot"),
            )  # fmt: skip
        if note.line in existing.get(note.shot, ()) or note in added:
            present.append(note)
            continue
        edit.append_note(note.shot, note.line)
        added.append(note)
    diff = edit.diff()
    written = edit.save() if apply else False
    return NotesMerge(tuple(added), tuple(present), diff, written)


def _existing_notes(scene: Path) -> dict[str, set[str]]:
    """Each shot's current notes, line by line (omitted shots included)."""
    source = load(scene).source
    return {
        shot.id: {line.strip() for line in (shot.notes or "").splitlines()}
        for part in source.scenes
        for shot in part.shots
    }
