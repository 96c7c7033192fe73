"""The library's entry points take what a Python user holds: a path, a shot list, a builder."""

from __future__ import annotations

from pathlib import Path

import pytest

import previz
from tests.scene_text import MINIMAL


def project() -> previz.ProjectBuilder:
    builder = previz.ProjectBuilder("Scripted", fps=24, resolution="320x180")
    ana = builder.character("ana", "Ana", description="a woman with red hair")
    builder.scene("sc1", "INT. CAFE - DAY").shot("s1", "Ana waits.", cast=[ana], duration=2)
    return builder


def test_validate_takes_a_project_builder() -> None:
    assert previz.validate(project()).shots == 1


def test_compile_prompts_takes_a_shotlist_model(write_scene) -> None:
    model = previz.load(write_scene(MINIMAL)).source
    assert isinstance(model, previz.ShotList)
    prompts = previz.compile_prompts(model)
    assert [p.shot_id for p in prompts] == ["s1", "s2"]


def test_compile_prompts_takes_a_path_as_text(write_scene) -> None:
    assert len(previz.compile_prompts(str(write_scene(MINIMAL)))) == 2


def test_build_takes_the_builder_of_a_scene_script(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = previz.build(project(), dry_run=True, cache_dir=tmp_path / "cache")
    assert result.report.dry_run and [row.job.shot_id for row in result.report.plan] == ["s1"]


@pytest.mark.parametrize("entry", [previz.build, previz.validate, previz.compile_prompts])
def test_a_wrong_argument_says_what_is_accepted(entry) -> None:
    with pytest.raises(previz.PrevizError, match="takes a scene, not int") as caught:
        entry(42)
    assert "ProjectBuilder" in (caught.value.hint or "")


async def test_abuild_refuses_a_wrong_argument_the_same_way() -> None:
    with pytest.raises(previz.PrevizError, match=r"previz\.abuild\(\) takes a scene"):
        await previz.abuild([1, 2])
