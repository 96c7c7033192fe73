"""`omit: true` keeps a shot in the file but out of the cut; `clip_in` says where the cut starts."""

from __future__ import annotations

import pytest

import previz
from previz.errors import SceneError
from tests.scene_text import MINIMAL

THREE = (
    MINIMAL.replace(
        "        duration: 2\n      - id: s2",
        "        duration: 2\n        sound:\n"
        "          - {kind: music, description: a drone, until: s2}\n"
        "      - id: s2",
    )
    + "      - id: s3\n        action: Ana leaves.\n        duration: 1\n"
)


def test_an_omitted_shot_is_left_out_of_the_resolved_cut(write_scene) -> None:
    shots = previz.load(
        write_scene(THREE.replace("Ben arrives.", "Ben arrives.\n        omit: true"))
    ).shots
    assert [s.id for s in shots] == ["s1", "s3"]
    assert shots[1].head.value == 48  # s3 follows s1 directly


def test_a_cue_running_until_an_omitted_shot_stops_before_it(write_scene) -> None:
    shots = previz.load(
        write_scene(THREE.replace("Ben arrives.", "Ben arrives.\n        omit: true"))
    ).shots
    assert [c.kind for c in shots[0].sound] == ["music"]
    assert shots[1].sound == ()


def test_every_shot_omitted_is_an_error(write_scene) -> None:
    text = THREE.replace("duration: 2\n", "duration: 2\n        omit: true\n").replace(
        "duration: 1\n", "duration: 1\n        omit: true\n"
    )
    with pytest.raises(SceneError, match="every shot is omitted"):
        previz.load(write_scene(text))


def test_clip_in_resolves_to_frames_at_the_project_rate(write_scene) -> None:
    shot = previz.load(
        write_scene(THREE.replace("Ana leaves.", "Ana leaves.\n        clip_in: 0.5s"))
    ).shot("s3")
    assert shot.clip_in.value == 12 and shot.clip_in.rate == 24


def test_a_malformed_clip_in_names_the_field(write_scene) -> None:
    with pytest.raises(SceneError, match="clip_in"):
        previz.load(write_scene(THREE.replace("Ana leaves.", "Ana leaves.\n        clip_in: soon")))
