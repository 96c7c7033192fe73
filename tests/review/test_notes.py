"""``previz notes SCENE notes.json [--apply]``: a reviewer's notes into the shots' notes lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from previz.cli import cli
from previz.review.notes import merge_notes
from previz.shotlist.loader import load

SCENE = """
# Pier scene — keep this comment
schema_version: 1
project: {title: Pier, fps: 24}
scenes:
  - id: sc1
    heading: EXT. PIER - DAY   # golden hour
    shots:
      - id: a
        action: "Gulls wheel over the pier."
        duration: 3s
      - id: b
        action: Waves break.
        duration: 2s
        notes: check the horizon
"""


def notes_file(folder: Path, *notes: dict[str, str]) -> Path:
    path = folder / "notes.json"
    payload = {"format": "previz-notes", "version": 1, "reviewer": "Dana", "notes": list(notes)}
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


@pytest.fixture
def scene(write_scene) -> Path:
    return write_scene(SCENE)


def test_a_preview_shows_the_diff_and_writes_nothing(scene: Path) -> None:
    before = scene.read_bytes()
    note = {"shot": "a", "record_timecode": "01:00:00:12", "text": "slower"}
    result = CliRunner().invoke(cli, ["notes", str(scene), str(notes_file(scene.parent, note))])
    assert result.exit_code == 0, result.output
    assert '+        notes: "01:00:00:12 Dana: slower"' in result.output
    assert "--apply" in result.output
    assert scene.read_bytes() == before


def test_apply_changes_only_the_notes_lines(scene: Path) -> None:
    notes = notes_file(
        scene.parent,
        {"shot": "a", "record_timecode": "01:00:00:12", "text": 'slower, "please"'},
        {"shot": "b", "record_timecode": "01:00:03:00", "text": "cut earlier", "reviewer": "Max"},
    )
    before = scene.read_text().splitlines()
    result = CliRunner().invoke(cli, ["notes", str(scene), str(notes), "--apply"])
    assert result.exit_code == 0, result.output
    after = scene.read_text().splitlines()
    assert [line for line in after if line not in before] == [
        '        notes: "01:00:00:12 Dana: slower, \\"please\\""',
        "        notes: |-",
        "          check the horizon",
        "          01:00:03:00 Max: cut earlier",
    ]
    assert [line for line in before if line not in after] == ["        notes: check the horizon"]
    shots = {s.id: s.shot.notes for s in load(scene).shots}
    assert shots == {
        "a": '01:00:00:12 Dana: slower, "please"',
        "b": "check the horizon\n01:00:03:00 Max: cut earlier",
    }


def test_merging_the_same_notes_again_changes_nothing(scene: Path) -> None:
    notes = notes_file(scene.parent, {"shot": "a", "record_timecode": "01:00:00:00", "text": "x"})
    assert len(merge_notes(scene, notes, apply=True).added) == 1
    written = scene.read_bytes()
    again = merge_notes(scene, notes, apply=True)
    assert (again.added, len(again.present), again.written) == ((), 1, False)
    assert scene.read_bytes() == written


def test_a_note_on_an_unknown_shot_is_one_clear_error(scene: Path) -> None:
    notes = notes_file(scene.parent, {"shot": "aa", "record_timecode": "", "text": "hm"})
    result = CliRunner().invoke(cli, ["notes", str(scene), str(notes)])
    assert result.exit_code == 2
    assert "notes.json" in result.output and "note 1 is on shot 'aa'" in result.output
    assert "'a'" in result.output  # the nearest shot is suggested
    assert "Traceback" not in result.output


def test_a_broken_notes_file_names_its_line(scene: Path) -> None:
    broken = scene.parent / "notes.json"
    broken.write_text('{"notes": [\n  {"shot": "a",}\n]}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["notes", str(scene), str(broken)])
    assert result.exit_code == 2
    assert "notes.json:2:" in result.output and "not JSON" in result.output


def test_a_note_without_text_is_refused(scene: Path) -> None:
    notes = notes_file(scene.parent, {"shot": "a", "text": "  "})
    result = CliRunner().invoke(cli, ["notes", str(scene), str(notes)])
    assert result.exit_code == 2 and "note 1: 'text'" in result.output
