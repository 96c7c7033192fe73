"""Fountain screenplays are broken down into scene files that validate and build."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import previz
from previz.cli import cli
from previz.errors import SceneError

SCRIPTS = Path(__file__).resolve().parents[2] / "data" / "screenplays"


@pytest.fixture(scope="module")
def last_train() -> previz.ResolvedShotList:
    return previz.load(SCRIPTS / "last_train.fountain")


def test_the_title_page_names_the_project(last_train) -> None:
    assert last_train.project.title == "The Last Train"


def test_each_heading_is_a_scene_with_its_number(last_train) -> None:
    scenes = last_train.source.scenes
    assert [(s.id, s.number, s.heading) for s in scenes][:2] == [
        ("sc0", None, "OPENING"),
        ("sc1", "1", "EXT. STATION PLATFORM - NIGHT"),
    ]
    assert scenes[2].heading == "FLASHBACK - THE SAME PLATFORM, FIFTY YEARS EARLIER"


def test_action_before_the_first_heading_is_an_opening_scene(last_train) -> None:
    assert last_train.shots[0].scene.heading == "OPENING"
    assert last_train.shots[0].shot.action == "A distant horn. Fog over empty tracks."


def test_a_synopsis_describes_its_scene(last_train) -> None:
    assert last_train.source.scenes[1].description == "Ada waits for a train that may never come."


def test_a_character_is_described_by_the_writers_introduction(last_train) -> None:
    ada = last_train.characters["ada"]
    assert ada.description == "70s, silver braid, a moth-eaten red coat"


def test_speech_is_a_close_shot_of_the_speaker_with_the_line_and_delivery(last_train) -> None:
    shot = next(
        s
        for s in last_train.shots
        if any(c.line == "Eleven forty-two. Always eleven forty-two." for c in s.sound)
    )
    assert (shot.size, [c.id for c in shot.cast]) == ("MCU", ["ada"])
    cue = next(c for c in shot.sound if c.kind == "dialogue")
    assert (cue.speaker.id, cue.delivery) == ("ada", "to herself")


def test_an_off_screen_line_plays_over_the_shot_on_screen(last_train) -> None:
    shot = next(s for s in last_train.shots if "CONDUCTOR, young" in s.shot.action)
    cue = next(c for c in shot.sound if c.kind == "dialogue")
    assert (cue.speaker.id, cue.mode) == ("conductor", "OS")
    assert shot.seconds >= cue.end


def test_boneyard_and_notes_are_not_in_the_breakdown(last_train) -> None:
    lines = [c.line for s in last_train.shots for c in s.sound if c.line]
    actions = [s.shot.action for s in last_train.shots]
    assert "It's late again." not in lines
    assert not any("practical" in a for a in actions)


def test_cont_d_and_forced_names_are_the_same_people(last_train) -> None:
    assert set(last_train.characters) == {"ada", "conductor", "mcgregor"}


def test_dual_dialogue_is_one_two_shot(last_train) -> None:
    shot = next(s for s in last_train.shots if any(c.line == "Coming!" for c in s.sound))
    assert shot.size == "TWO_SHOT"
    assert {c.speaker.id for c in shot.sound if c.kind == "dialogue"} == {"mcgregor", "ada"}


def test_dissolve_to_opens_the_next_shot_with_a_dissolve(last_train) -> None:
    first_flashback = next(s for s in last_train.shots if s.scene.heading.startswith("FLASH"))
    assert first_flashback.transition_in is not None
    assert first_flashback.transition_in.type == "dissolve"


def test_fade_out_closes_the_last_shot(last_train) -> None:
    assert last_train.shots[-1].transition_out.type == "fade_out"


def test_voice_over_before_any_shot_gets_a_shot_of_its_own() -> None:
    shots = previz.load(SCRIPTS / "cold_open.fountain")
    narrator = next(
        c for s in shots.shots for c in s.sound if c.speaker and c.speaker.id == "narrator"
    )
    assert narrator.mode == "VO"
    assert shots.source.scenes[1].location == "car-moving"


def test_a_screenplay_with_nothing_to_shoot_is_a_clear_error() -> None:
    with pytest.raises(SceneError, match="no action or dialogue"):
        previz.load(SCRIPTS / "empty.fountain")


def test_import_writes_a_scene_file_that_loads_the_same(tmp_path: Path) -> None:
    out = tmp_path / "last_train.yaml"
    result = CliRunner().invoke(
        cli, ["import", str(SCRIPTS / "last_train.fountain"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("# Broken down from last_train.fountain")
    imported = previz.load(out)
    direct = previz.load(SCRIPTS / "last_train.fountain")
    assert [s.id for s in imported.shots] == [s.id for s in direct.shots]
    assert imported.source == direct.source


def test_import_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "x.yaml"
    out.write_text("keep me")
    result = CliRunner().invoke(
        cli, ["import", str(SCRIPTS / "cold_open.fountain"), "-o", str(out)]
    )
    assert result.exit_code == 2 and out.read_text() == "keep me"


def test_a_screenplay_builds_into_an_animatic_directly(tmp_path: Path) -> None:
    script = tmp_path / "cold_open.fountain"
    script.write_text((SCRIPTS / "cold_open.fountain").read_text())
    result = previz.build(script, formats=["otio"])
    assert result.ok and len(result.report.clips) == len(result.shotlist.shots)
    assert result.animatic is not None and result.animatic.is_file()
