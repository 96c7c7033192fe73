"""The README's examples are true: its scene file validates and its script runs."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

import previz

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def block(language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", README, re.S)
    assert match, f"no {language} example in the README"
    return match.group(1)


def test_the_readme_scene_file_validates(tmp_path: Path) -> None:
    (tmp_path / "refs").mkdir()
    Image.new("RGB", (64, 64), "grey").save(tmp_path / "refs" / "mara.png")
    scene = tmp_path / "scene.yaml"
    scene.write_text(block("yaml"))
    summary = previz.validate(scene)
    assert summary.shots == 2 and summary.characters == 2


def test_the_readme_python_example_builds_a_valid_shot_list(tmp_path: Path) -> None:
    script = tmp_path / "scene.py"
    script.write_text(block("python"))
    assert [s.id for s in previz.load(script).shots] == ["sc1-030"]
