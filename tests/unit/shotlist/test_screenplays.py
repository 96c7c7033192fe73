"""Screenplays keep the writer's words: introductions, accents, titles, time of day, FDX too.

``the_crossing`` is written twice, as Fountain and as Final Draft XML, with the constructs real
scripts use: introductions in parentheses and as appositives, accented names, centred titles,
CONTINUOUS and a time-less heading, a title page, dual dialogue and a heading with no blank
line after it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import previz
from previz.backends.animatic.framing import palette
from previz.backends.animatic.payload import animatic_payload
from previz.backends.animatic.sheet import read_sheet
from previz.backends.payload import ShotFacts
from previz.cli import cli
from previz.shotlist.screenplay import screenplay_to_data
from previz.timeline.bible import project_facts

SCRIPTS = Path(__file__).resolve().parents[2] / "data" / "screenplays"
FOUNTAIN = SCRIPTS / "the_crossing.fountain"
FDX = SCRIPTS / "the_crossing.fdx"

TINY_FDX = """<?xml version="1.0" encoding="UTF-8"?>
<FinalDraft DocumentType="Script" Version="5">
  <Content>
    <Paragraph Type="Scene Heading"><Text>INT. KITCHEN - NIGHT</Text></Paragraph>
    <Paragraph Type="Action"><Text>NORA (60s, flour on her apron) kneads dough.</Text></Paragraph>
    <Paragraph Type="Character"><Text>NORA</Text></Paragraph>
    <Paragraph Type="Dialogue"><Text>Not yet.</Text></Paragraph>
  </Content>
</FinalDraft>
"""


@pytest.fixture(scope="module")
def crossing() -> previz.ResolvedShotList:
    return previz.load(FOUNTAIN)


def test_an_introduction_in_parentheses_describes_the_cue_name(crossing) -> None:
    assert crossing.characters["elodie"].description == "30s, yellow raincoat, soaked"
    assert crossing.characters["theo"].description == "40s, immaculate grey suit"


def test_an_appositive_introduction_is_linked_to_the_first_name(crossing) -> None:
    assert crossing.characters["brick"].description == "retired police detective"


def test_a_description_stops_at_the_end_of_the_introduction(crossing) -> None:
    assert crossing.characters["cognito"].description == "the criminal mastermind"


def test_ids_fold_accents_and_names_keep_them(crossing) -> None:
    assert crossing.characters["elodie"].name == "Élodie"
    assert "lodie" not in crossing.characters


def test_centred_text_is_neither_a_shot_nor_a_person(crossing) -> None:
    actions = [shot.shot.action for shot in crossing.shots]
    assert not any("THE END" in a or a == "THE CROSSING" for a in actions)
    assert set(crossing.characters) == {"elodie", "theo", "brick", "cognito"}


def test_continuous_and_a_timeless_heading_carry_on_the_night(crossing) -> None:
    times = {s.scene.heading: s.heading.time_of_day for s in crossing.shots}
    assert times["INT. FERRY GANGWAY - CONTINUOUS"] == "NIGHT"
    assert times["UPPER DECK"] == "NIGHT"
    assert times["EXT. OPEN SEA - DAWN"] == "DAWN"


def test_a_continuous_scene_after_night_is_drawn_with_a_night_sky(crossing) -> None:
    night = next(s for s in crossing.shots if s.scene.heading == "EXT. HARBOUR QUAY - NIGHT")
    deck = next(s for s in crossing.shots if s.scene.heading == "UPPER DECK")
    sheets = [read_sheet(animatic_payload(ShotFacts(crossing, s, 1)), s.id) for s in (night, deck)]
    skies = [palette(sh.lighting, f"{sh.scene_heading} {sh.time_of_day}").sky for sh in sheets]
    assert skies[0] == skies[1]
    assert skies[1] != palette("", "UPPER DECK").sky


def test_the_title_page_is_kept(crossing) -> None:
    project = crossing.project
    assert project.title == "The Crossing"
    assert project.title_page is not None
    assert (project.title_page.credit, project.title_page.author) == ("Written by", "Marie Dupont")
    assert project.title_page.draft_date == "12 March 2026"
    assert project.title_page.source == "Based on a true story"


def test_two_speakers_speak_in_the_plural(crossing) -> None:
    actions = [shot.shot.action for shot in crossing.shots]
    assert "Élodie and Theo speak." in actions
    assert "Élodie speaks." in actions


def test_a_heading_with_no_blank_line_after_it_is_a_heading(crossing) -> None:
    sea = [s for s in crossing.shots if s.scene.heading == "EXT. OPEN SEA - DAWN"]
    assert [s.shot.action for s in sea] == ["The ferry ploughs through grey water."]
    assert not any(c.startswith("ext") for c in crossing.characters)


def test_fountain_and_final_draft_break_down_the_same() -> None:
    assert screenplay_to_data(FDX) == screenplay_to_data(FOUNTAIN)


def test_validate_takes_a_final_draft_script() -> None:
    result = CliRunner().invoke(cli, ["validate", str(FDX)])
    assert result.exit_code == 0, result.output
    assert "4 scene(s)" in result.output and "4 character(s)" in result.output


def test_import_writes_the_breakdown_of_a_final_draft_script(tmp_path: Path) -> None:
    out = tmp_path / "crossing.yaml"
    result = CliRunner().invoke(cli, ["import", str(FDX), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert previz.load(out).source == previz.load(FDX).source


def test_a_final_draft_script_builds_into_an_animatic(tmp_path: Path) -> None:
    script = tmp_path / "kitchen.fdx"
    script.write_text(TINY_FDX, encoding="utf-8")
    result = previz.build(script, formats=["otio"])
    assert result.ok and result.animatic is not None and result.animatic.is_file()
    assert result.shotlist.characters["nora"].description == "60s, flour on her apron"


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("<FinalDraft>\n<Content>\n<Paragraph Type='Action'>\n</Content>\n", 4, "not well-formed"),
        ("INT. HOUSE - DAY\n\nShe waits.\n", 1, "not well-formed"),
        ('<?xml version="1.0"?>\n<html><body/></html>\n', 2, "root is <html>"),
    ],
    ids=["unclosed_tag", "not_xml", "wrong_root"],
)
def test_a_bad_final_draft_file_is_a_located_error(
    tmp_path: Path, text: str, line: int, says: str
) -> None:
    script = tmp_path / "bad.fdx"
    script.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(script)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {script}:{line}:"), result.output
    assert says in result.output and "\n  hint: " in result.output
    assert "Traceback" not in result.output


def test_a_screenplay_that_is_not_utf8_is_located(tmp_path: Path) -> None:
    script = tmp_path / "latin.fountain"
    script.write_bytes("INT. CAF\xc9 - DAY\n\nShe waits.\n".encode("latin-1"))
    result = CliRunner().invoke(cli, ["validate", str(script)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {script}:1:9:"), result.output
    assert "UTF-8" in result.output


def test_a_final_draft_scene_number_names_the_scene(tmp_path: Path) -> None:
    script = tmp_path / "numbered.fdx"
    script.write_text(
        TINY_FDX.replace('Type="Scene Heading"', 'Type="Scene Heading" Number="12A"'),
        encoding="utf-8",
    )
    scene = previz.load(script).source.scenes[0]
    assert (scene.id, scene.number) == ("sc12a", "12A")


def test_the_title_page_reaches_the_timeline_metadata(crossing) -> None:
    page = project_facts(crossing, "01:00:00:00")["title_page"]
    assert page["author"] == "Marie Dupont" and page["draft_date"] == "12 March 2026"


def test_a_final_draft_entity_is_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    script = tmp_path / "entity.fdx"
    script.write_text(
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
        '<FinalDraft><Content><Paragraph Type="Action"><Text>A &e; B.</Text></Paragraph>'
        "</Content></FinalDraft>",
        encoding="utf-8",
    )
    assert "TOP SECRET" not in str(screenplay_to_data(script))


def test_control_characters_in_a_screenplay_become_spaces(tmp_path: Path) -> None:
    script = tmp_path / "converted.fountain"
    script.write_text("INT. HALL - NIGHT\n\nShe\x0cwaits.\n", encoding="utf-8")
    assert previz.load(script).shots[0].shot.action == "She waits."
