"""Python scene scripts describe the same model as YAML, with the same checks."""

from __future__ import annotations

from pathlib import Path

import pytest

import previz
from previz.errors import SceneError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "rooftop_standoff.py"


def test_the_example_script_builds_a_comparable_scene() -> None:
    shots = previz.load(EXAMPLE)
    assert len(shots.shots) == 7
    assert shots.rate.numerator == 24000
    assert any(c.kind == "dialogue" for s in shots.shots for c in s.sound)
    assert [c.cue_offset > 0 for c in shots.shot("sc1-060").sound if c.id == "standoff"] == [True]


def test_builder_and_yaml_give_the_same_model(write_scene) -> None:
    project = previz.ProjectBuilder("Same", fps=25)
    ana = project.character("ana", "Ana", description="a woman")
    project.scene("sc1", "INT. ROOM - DAY").shot(
        "a", "Ana waits.", cast=[ana], duration="2s", sound=[previz.dialogue(ana, "Hello.", at=0.5)]
    )
    yaml = write_scene("""
        schema_version: 1
        project: {title: Same, fps: 25}
        characters: [{id: ana, name: Ana, description: a woman}]
        scenes:
          - id: sc1
            heading: INT. ROOM - DAY
            shots:
              - id: a
                action: Ana waits.
                cast: [ana]
                duration: 2s
                sound: [{kind: dialogue, speaker: ana, line: Hello., start: 0.5}]
        """)
    assert project.build().source == previz.load(yaml).source


def test_builder_errors_name_the_key_path_and_shot() -> None:
    project = previz.ProjectBuilder("Broken")
    project.scene("sc1", "INT. ROOM - DAY").shot("a", "x", cast=["nobody"], duration=1)
    with pytest.raises(SceneError) as caught:
        project.build()
    assert "scenes[0].shots[0].cast[0]" in str(caught.value)
    assert caught.value.shot_id == "a"


def test_a_script_without_a_shot_list_is_a_scene_error(tmp_path: Path) -> None:
    script = tmp_path / "empty.py"
    script.write_text("x = 1\n")
    with pytest.raises(SceneError, match="defines no shot list"):
        previz.load(script)


def test_a_failing_script_is_reported_not_raised(tmp_path: Path) -> None:
    script = tmp_path / "bad.py"
    script.write_text("raise RuntimeError('oops')\n")
    with pytest.raises(SceneError, match="RuntimeError: oops"):
        previz.load(script)
