"""Every kind of broken scene file gives one readable error at the right file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

import previz
from previz.errors import SceneError
from tests.scene_text import MINIMAL


def load_error(write_scene, text: str) -> SceneError:
    path = write_scene(text)
    with pytest.raises(SceneError) as caught:
        previz.load(path)
    return caught.value


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.lstrip("\n").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_malformed_yaml_points_at_the_line(write_scene) -> None:
    text = MINIMAL.replace("      - id: s2\n", "      - id: s2\n     broken: [\n")
    error = load_error(write_scene, text)
    assert "YAML syntax" in error.message
    assert error.line is not None and error.line >= line_of(text, "broken")


def test_a_misspelt_key_is_located_and_the_right_key_suggested(write_scene) -> None:
    text = MINIMAL.replace("action: Ben arrives.", "acton: Ben arrives.")
    error = load_error(write_scene, text)
    assert "unknown key 'acton'" in str(error)
    assert "did you mean 'action'" in str(error)
    assert (error.line, error.column) == (line_of(text, "acton"), 9)


def test_a_wrong_type_names_the_field_and_value(write_scene) -> None:
    text = MINIMAL.replace(
        "duration: 2\n      - id: s2", "duration: 2\n        takes: three\n      - id: s2"
    )
    error = load_error(write_scene, text)
    assert "'takes'" in error.message and "'three'" in error.message
    assert error.line == line_of(text, "takes: three")


def test_an_unknown_character_in_a_cast_suggests_the_nearest(write_scene) -> None:
    text = MINIMAL.replace("cast: [ben]", "cast: [bne]")
    error = load_error(write_scene, text)
    assert "unknown character 'bne'" in error.message
    assert "did you mean 'ben'" in (error.hint or "")
    assert error.line == line_of(text, "cast: [bne]")
    assert error.shot_id == "s2"


def test_an_unknown_location_is_an_error(write_scene) -> None:
    text = MINIMAL.replace("action: Ana waits.", "action: Ana waits.\n        location: cfe")
    error = load_error(write_scene, text)
    assert "unknown location 'cfe'" in error.message
    assert "did you mean 'cafe'" in (error.hint or "")


def test_a_duplicate_shot_id_is_located_at_the_second(write_scene) -> None:
    text = MINIMAL.replace("id: s2", "id: s1")
    error = load_error(write_scene, text)
    assert "duplicate id 's1'" in error.message
    assert error.line == line_of(text, "action: Ben arrives.") - 1


def test_an_unsafe_shot_id_is_rejected(write_scene) -> None:
    text = MINIMAL.replace("id: s2", "id: ../x")
    error = load_error(write_scene, text)
    assert "not a safe id" in error.message
    assert error.line == line_of(text, "../x")


@pytest.mark.parametrize("duration", ["-1", "0", "0f", "0.01"])
def test_negative_or_zero_durations_are_rejected(write_scene, duration: str) -> None:
    text = MINIMAL.replace("duration: 2\n      - id: s2", f"duration: {duration}\n      - id: s2")
    error = load_error(write_scene, text)
    assert "duration" in str(error)
    assert error.line == line_of(text, f"duration: {duration}")


def test_a_missing_reference_image_is_named(write_scene) -> None:
    text = MINIMAL.replace(
        "description: a woman with red hair",
        "description: a woman with red hair\n    references: [ana.png]",
    )
    error = load_error(write_scene, text)
    assert "reference image 'ana.png' does not exist" in error.message
    assert error.line == line_of(text, "references: [ana.png]")


def test_a_reference_that_is_not_an_image_is_rejected(write_scene, tmp_path: Path) -> None:
    (tmp_path / "ana.png").write_text("not an image")
    text = MINIMAL.replace(
        "description: a woman with red hair",
        "description: a woman with red hair\n    references: [ana.png]",
    )
    assert "not a readable image" in load_error(write_scene, text).message


def test_a_real_reference_image_is_accepted(write_scene, tmp_path: Path) -> None:
    Image.new("RGB", (8, 8), "red").save(tmp_path / "ana.png")
    text = MINIMAL.replace(
        "description: a woman with red hair",
        "description: a woman with red hair\n    references: [ana.png]",
    )
    assert previz.load(write_scene(text)).shots[0].cast[0].references == ["ana.png"]


def test_an_unknown_vocabulary_word_suggests_a_valid_one(write_scene) -> None:
    text = MINIMAL.replace("action: Ana waits.", "action: Ana waits.\n        size: clse up")
    error = load_error(write_scene, text)
    assert "did you mean 'close up'" in error.message
    assert error.line == line_of(text, "clse up")


def test_a_missing_required_key_names_it(write_scene) -> None:
    text = MINIMAL.replace("        action: Ana waits.\n", "")
    error = load_error(write_scene, text)
    assert "missing required key 'action'" in error.message


def test_several_problems_are_reported_together(write_scene) -> None:
    text = MINIMAL.replace("cast: [ben]", "cast: [bne]").replace("cast: [ana]", "cast: [anna]")
    error = load_error(write_scene, text)
    assert "2 problems" in str(error)


def test_a_cue_running_past_its_shot_says_to_use_until(write_scene) -> None:
    text = MINIMAL.replace(
        "action: Ana waits.",
        "action: Ana waits.\n        sound:\n"
        "          - {kind: music, description: x, start: 1, end: 5}",
    )
    error = load_error(write_scene, text)
    assert "past the end of shot 's1'" in error.message
    assert "until" in (error.hint or "")


def test_an_unsupported_schema_version_is_refused(write_scene) -> None:
    error = load_error(write_scene, MINIMAL.replace("schema_version: 1", "schema_version: 7"))
    assert "schema_version 7" in error.message
    assert error.line == 1


def test_a_missing_scene_file_is_a_scene_error(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="not found"):
        previz.load(tmp_path / "nope.yaml")


def test_error_text_starts_with_file_line_and_column(write_scene) -> None:
    text = MINIMAL.replace("action: Ben arrives.", "acton: Ben arrives.")
    error = load_error(write_scene, text)
    assert str(error).startswith(f"{error.path}:{error.line}:{error.column}")


def test_timecodes_and_words_stay_text_as_in_yaml_1_2(write_scene) -> None:
    text = MINIMAL.replace(
        "duration: 2\n      - id: s2", "duration: 00:00:01:12\n        notes: no\n      - id: s2"
    )
    shot = previz.load(write_scene(text)).shots[0]
    assert (shot.frames, shot.shot.notes) == (36, "no")


def test_a_duplicate_key_is_an_error_at_its_line(write_scene) -> None:
    text = MINIMAL.replace("action: Ana waits.", "action: Ana waits.\n        action: again")
    error = load_error(write_scene, text)
    assert "duplicate key" in error.message
    assert error.line == line_of(text, "action: again")


def test_an_unquoted_comma_in_a_flow_mapping_gets_a_hint_to_quote(write_scene) -> None:
    text = MINIMAL.replace(
        "description: a woman with red hair",
        "description: a woman with red hair\n"
        "    wardrobe: {default: coat, scenes: {sc1: a coat, soaked}}",
    )
    error = load_error(write_scene, text)
    assert "must be in quotes" in (error.hint or "")
