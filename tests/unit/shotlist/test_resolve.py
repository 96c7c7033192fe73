"""The cascade project → scene → shot, sluglines, and cue timing across cuts."""

from __future__ import annotations

from pathlib import Path

import pytest

import previz
from previz.shotlist.heading import parse_heading

CASCADE = """
schema_version: 1
project:
  title: Cascade
  fps: 24
  lighting: {color_temperature: 3200, quality: soft}
  defaults: {lens: 35mm, duration: 2s, size: WS, takes: 2}
characters:
  - id: ana
    name: Ana
    description: a woman
    wardrobe:
      default: a yellow raincoat
      scenes: {sc2: a black dress}
locations:
  - {id: cafe, name: Cafe, description: a cafe}
scenes:
  - id: sc1
    heading: INT. CAFE - DAY
    lighting: {look: high-key, quality: hard}
    defaults: {size: MS}
    shots:
      - {id: a, action: one, cast: [ana]}
      - {id: b, action: two, size: CU, lens: 85mm, duration: 3s, takes: 1,
         lighting: {color_temperature: 5600}}
  - id: sc2
    heading: EXT. STREET - NIGHT
    shots:
      - {id: c, action: three, cast: [ana]}
"""


@pytest.fixture
def cascade(write_scene) -> previz.ResolvedShotList:
    return previz.load(write_scene(CASCADE))


def test_project_default_applies_when_scene_and_shot_are_silent(cascade) -> None:
    assert cascade.shot("c").size == "WS"


def test_scene_default_overrides_project_default(cascade) -> None:
    assert cascade.shot("a").size == "MS"


def test_shot_value_overrides_every_default(cascade) -> None:
    b = cascade.shot("b")
    assert (b.size, b.lens.focal_length, b.frames, b.takes) == ("CU", 85.0, 72, 1)


def test_lighting_merges_field_by_field(cascade) -> None:
    b = cascade.shot("b").lighting
    assert (b.look, b.quality, b.color_temperature) == ("high-key", "hard", 5600)


def test_wardrobe_follows_the_scene(cascade) -> None:
    assert cascade.shot("a").wardrobe["ana"] == "a yellow raincoat"
    assert cascade.shot("c").wardrobe["ana"] == "a black dress"


def test_location_comes_from_the_heading_when_it_names_one(cascade) -> None:
    assert cascade.shot("a").location.id == "cafe"
    assert cascade.shot("c").location is None


def test_shots_are_placed_end_to_end(cascade) -> None:
    assert [s.head.value for s in cascade.shots] == [0, 48, 120]


@pytest.mark.parametrize(
    ("heading", "setting", "location", "time"),
    [
        ("INT. WAREHOUSE - NIGHT", "INT", "WAREHOUSE", "NIGHT"),
        ("EXT. ROOFTOP - LATER", "EXT", "ROOFTOP", "LATER"),
        ("INT./EXT. CAR - MOVING - DAY", "INT/EXT", "CAR - MOVING", "DAY"),
        ("I/E. TRAIN - DUSK", "INT/EXT", "TRAIN", "DUSK"),
        (".FLASHBACK", None, ".FLASHBACK", None),
        ("EST. CITY SKYLINE - DAWN #12A#", "EST", "CITY SKYLINE", "DAWN"),
    ],
)
def test_sluglines_are_parsed(
    heading: str, setting: str | None, location: str, time: str | None
) -> None:
    parsed = parse_heading(heading)
    assert (parsed.setting, parsed.location, parsed.time_of_day) == (setting, location, time)


SPAN = """
schema_version: 1
project: {title: Span, fps: 24}
scenes:
  - id: sc1
    heading: INT. ROOM - DAY
    sound:
      - {kind: ambience, description: room tone}
    shots:
      - id: a
        action: one
        duration: 2s
        sound:
          - {kind: music, id: theme, description: strings, start: 1, until: c, end: 1}
      - {id: b, action: two, duration: 2s}
      - {id: c, action: three, duration: 2s}
"""


def test_a_cue_that_spans_shots_is_heard_in_each_with_its_offset(write_scene: object) -> None:
    shots = previz.load(write_scene(SPAN))  # type: ignore[operator]
    music = [[c for c in s.sound if c.kind == "music"] for s in shots.shots]
    assert [(m[0].start, m[0].end, m[0].cue_offset) for m in music] == [
        (1.0, 2.0, 0.0),
        (0.0, 2.0, 1.0),
        (0.0, 1.0, 3.0),
    ]
    assert {m[0].cue_length for m in music} == {4.0}


def test_a_scene_bed_spans_every_shot_of_the_scene(write_scene: object) -> None:
    shots = previz.load(write_scene(SPAN))  # type: ignore[operator]
    beds = [next(c for c in s.sound if c.kind == "ambience") for s in shots.shots]
    assert [(b.start, b.end, b.cue_offset) for b in beds] == [(0, 2, 0), (0, 2, 2), (0, 2, 4)]


def test_the_demo_scene_resolves(demo_scene: Path) -> None:
    shots = previz.load(demo_scene)
    assert len(shots.shots) == 10
    assert {c.speaker.id for s in shots.shots for c in s.sound if c.speaker} == {"mara", "teo"}
