"""What a change to the scene regenerates: exactly the shots whose clip would differ."""

from __future__ import annotations

from pathlib import Path

import pytest

import previz
from tests.scene_text import MINIMAL

THREE_SHOTS = MINIMAL.replace(
    "        cast: [ben]\n        duration: 2\n",
    "        cast: [ben]\n        duration: 2\n"
    "      - id: s3\n        action: They both look up.\n        cast: [ana, ben]\n"
    "        duration: 1\n",
)


@pytest.fixture
def scene(write_scene) -> Path:
    path = write_scene(THREE_SHOTS)
    previz.build(path, out=path.parent / "out", formats=["otio"])
    return path


def cache_keys(scene: Path) -> set[str]:
    return {p.name for p in (scene.parent / ".previz" / "cache").glob("*/*") if p.is_dir()}


def regenerated(scene: Path, old: str, new: str, out: str = "out") -> list[str]:
    """Edit the scene file, build again, and list the shots whose clip is new to the cache."""
    before = cache_keys(scene)
    scene.write_text(scene.read_text().replace(old, new))
    result = previz.build(scene, out=scene.parent / out, formats=["otio"])
    assert result.ok
    return sorted(
        shot for (shot, _take), clip in result.report.clips.items() if clip.cache_key not in before
    )


def test_changing_one_shots_action_regenerates_that_shot_only(scene: Path) -> None:
    assert regenerated(scene, "Ben arrives.", "Ben bursts in.") == ["s2"]


def test_changing_a_characters_description_regenerates_exactly_their_shots(scene: Path) -> None:
    new_look = regenerated(scene, "a woman with red hair", "a woman with a shaved head")
    assert new_look == ["s1", "s3"]


def test_renaming_the_output_folder_regenerates_nothing(scene: Path) -> None:
    assert regenerated(scene, "unchanged", "unchanged", out="renamed-out") == []
