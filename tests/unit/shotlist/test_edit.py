"""The minimal-edit writer: each edit changes the lines it means to, every other byte stays."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from previz.cli import cli
from previz.errors import SceneError
from previz.shotlist.edit import SceneEdit

SCENE = """\
# Night Delivery — the director's cut
schema_version: 1
project:
  title: Night Delivery
  fps: 24
  aspect: "16:9"     # quoted: YAML 1.1 reads 16:9 as 969
  backend: animatic
characters:
- id: mara
  name: 'Mara'
  description: a wiry courier
scenes:
  - id: sc1
    heading: INT. WAREHOUSE - NIGHT

    shots:
      # the opening
      - id: s1
        size: EWS
        duration: 4s       # hold it
        action: "A figure slips in: quietly."
        cast: [ mara ]
        takes: 3

      - {id: s2, size: MCU, duration: '2s', action: Mara looks up}
      - id: s3
        duration: 3s
        action: Teo steps out.
        notes: |
          keep the forklift in frame
  - id: sc2
    heading: EXT. YARD - NIGHT
    shots:
        - id: s4
          duration: 2s
          action: Rain.
"""


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    path = tmp_path / "scene.yaml"
    path.write_bytes(SCENE.encode())
    return path


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """Lines removed and added between two texts (the rest is byte-identical)."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(True), after.splitlines(True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_replacing_a_value_changes_only_its_characters(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.set_field("s1", "duration", "3.5s")
    assert changed_lines(SCENE, edit.text) == (
        ["        duration: 4s       # hold it\n"],
        ["        duration: 3.5s       # hold it\n"],
    )


def test_a_quoted_value_keeps_its_quotes(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.set_field("s2", "duration", "1.5s")
    assert "- {id: s2, size: MCU, duration: '1.5s', action: Mara looks up}\n" in edit.text
    assert len(changed_lines(SCENE, edit.text)[0]) == 1


def test_a_new_key_takes_the_block_shots_indentation_after_its_anchor(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.set_field("s1", "clip_in", "6f", after="duration")
    assert changed_lines(SCENE, edit.text) == ([], ["        clip_in: 6f\n"])
    assert edit.text.index("clip_in") > edit.text.index("# hold it")


def test_a_new_key_in_a_flow_shot_stays_inside_its_braces(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.set_field("s2", "omit", True)
    assert "- {id: s2, size: MCU, duration: '2s', action: Mara looks up, omit: true}\n" in (
        edit.text
    )


def test_a_new_key_goes_last_in_a_block_shot_after_a_literal_block(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.set_field("s3", "omit", True)
    assert "          keep the forklift in frame\n        omit: true\n  - id: sc2" in edit.text
    edit.validate()


def test_ambiguous_text_is_quoted_for_yaml_11_readers(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.set_field("s4", "notes", "16:9")
    edit.set_field("s1", "notes", "yes")
    assert yaml.safe_load(edit.text)["scenes"][1]["shots"][0]["notes"] == "16:9"
    assert yaml.safe_load(edit.text)["scenes"][0]["shots"][0]["notes"] == "yes"


def test_a_note_appends_a_line_to_a_literal_block(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.append_note("s3", "01:00:06:00 trim the tail")
    assert changed_lines(SCENE, edit.text) == ([], ["          01:00:06:00 trim the tail\n"])
    assert edit.validate().shot("s3").shot.notes == (
        "keep the forklift in frame\n01:00:06:00 trim the tail\n"
    )


def test_a_note_on_a_flow_shot_is_added_inside_its_braces(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.append_note("s2", "first")
    edit.append_note("s2", "second")
    assert edit.validate().shot("s2").shot.notes == "first\nsecond"
    assert len(changed_lines(SCENE, edit.text)[0]) == 1


def test_moving_a_shot_within_its_scene_moves_its_lines_and_comment(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.move_shot("s1", "sc1", after="s2")
    assert [s.id for s in edit.validate().shots] == ["s2", "s1", "s3", "s4"]
    removed, added = changed_lines(SCENE, edit.text)
    assert sorted(removed) == sorted(added)  # the same lines, elsewhere
    assert "      # the opening\n      - id: s1\n" in edit.text


def test_moving_a_shot_to_another_scene_takes_its_indentation(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.move_shot("s3", "sc2", after="s4")
    shots = edit.validate().shots
    assert [(s.id, s.scene.id) for s in shots][-2:] == [("s4", "sc2"), ("s3", "sc2")]
    assert "        - id: s3\n          duration: 3s\n" in edit.text
    assert "            keep the forklift in frame\n" in edit.text


def test_moving_a_shot_first_in_a_scene(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.move_shot("s3", "sc1")
    assert [s.id for s in edit.validate().shots] == ["s3", "s1", "s2", "s4"]


def test_crlf_files_keep_their_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "scene.yaml"
    path.write_bytes(SCENE.replace("\n", "\r\n").encode())
    edit = SceneEdit(path)
    edit.set_field("s1", "clip_in", "6f", after="duration")
    edit.save()
    data = path.read_bytes()
    assert b"        clip_in: 6f\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_an_edit_that_breaks_the_scene_is_not_written(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.set_field("s1", "duration", "soon")
    with pytest.raises(SceneError):
        edit.save()
    assert scene.read_text() == SCENE


def test_the_diff_shows_the_changed_line(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.set_field("s1", "selected_take", 2, after="takes")
    assert "+        selected_take: 2\n" in edit.diff()
    assert scene.read_text() == SCENE  # a preview writes nothing


def test_select_adds_one_line_and_keeps_every_other_byte(scene: Path) -> None:
    result = CliRunner().invoke(cli, ["select", str(scene), "s1", "2"])
    assert result.exit_code == 0, result.output
    assert changed_lines(SCENE, scene.read_text()) == ([], ["        selected_take: 2\n"])
    assert 'aspect: "16:9"' in scene.read_text()


def test_select_twice_replaces_the_value(scene: Path) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["select", str(scene), "s1", "2"])
    runner.invoke(cli, ["select", str(scene), "s1", "3"])
    assert changed_lines(SCENE, scene.read_text()) == ([], ["        selected_take: 3\n"])


def test_a_python_script_cannot_be_edited(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="cannot be edited in place"):
        SceneEdit(tmp_path / "scene.py", text="")


CUES = """\
schema_version: 1
project: {title: Cues}
scenes:
  - id: sc1
    heading: INT. FLAT - NIGHT
    shots:
      - id: a
        action: One.
        duration: 2s
        sound:
          - {kind: music, description: a cello, until: c, start: 1}
          - kind: sfx
            description: a door
            until: b
      - id: b
        action: Two.
        duration: 2s
      - id: c
        action: Three.
        duration: 2s
"""


def test_removing_a_cue_key_from_a_flow_cue_keeps_the_rest_of_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text(CUES)
    edit = SceneEdit(path)
    edit.remove_cue_key("a", 0, "until")
    assert changed_lines(CUES, edit.text) == (
        ["          - {kind: music, description: a cello, until: c, start: 1}\n"],
        ["          - {kind: music, description: a cello, start: 1}\n"],
    )


def test_removing_a_cue_key_from_a_block_cue_removes_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cues.yaml"
    path.write_text(CUES)
    edit = SceneEdit(path)
    edit.remove_cue_key("a", 1, "until")
    assert changed_lines(CUES, edit.text) == (["            until: b\n"], [])
    assert edit.validate().shot("a").sound[1].kind == "sfx"


def test_select_on_an_omitted_shot_says_it_is_omitted(scene: Path) -> None:
    edit = SceneEdit(scene)
    edit.set_field("s3", "omit", True)
    edit.save()
    result = CliRunner().invoke(cli, ["select", str(scene), "s3", "1"])
    assert result.exit_code == 2 and "is omitted from the cut" in result.output
