"""Template lookup, overrides, hashes, and the sandbox around project templates."""

from __future__ import annotations

from pathlib import Path

import pytest

import previz
from previz.errors import TemplateError
from previz.prompts.compiler import compile_shotlist
from tests.scene_text import MINIMAL

WITH_TEMPLATES = MINIMAL.replace(
    "  resolution: 320x180", "  resolution: 320x180\n  templates: templates"
)


@pytest.fixture
def project(write_scene, tmp_path: Path) -> tuple[Path, Path]:
    scene = write_scene(WITH_TEMPLATES)
    folder = tmp_path / "templates"
    (folder / "blocks").mkdir(parents=True)
    return scene, folder


def test_a_project_block_overrides_the_packaged_one(project) -> None:
    scene, folder = project
    (folder / "blocks" / "camera.j2").write_text(
        "{% macro camera_line(shot) %}CAMERA-{{ shot.size }}{% endmacro %}"
    )
    prompt = compile_shotlist(previz.load(scene), "veo")[0]
    assert prompt.text.startswith("CAMERA-MS")


def test_editing_a_shared_block_changes_the_template_hash(project) -> None:
    scene, folder = project
    before = compile_shotlist(previz.load(scene), "veo")[0].template_hash
    (folder / "blocks" / "lighting.j2").write_text(
        "{% macro lighting_line(shot, heading) %}flat{% endmacro %}"
    )
    after = compile_shotlist(previz.load(scene), "veo")[0].template_hash
    assert before != after


def test_a_template_syntax_error_names_the_file_and_line(project) -> None:
    scene, folder = project
    (folder / "veo.j2").write_text("line one\n{{ shot.id \n")
    with pytest.raises(TemplateError) as caught:
        compile_shotlist(previz.load(scene), "veo")
    assert caught.value.path == folder / "veo.j2"
    assert caught.value.line == 2


def test_the_sandbox_refuses_python_internals(project) -> None:
    scene, folder = project
    (folder / "veo.j2").write_text("{{ shot.__class__.__mro__ }}")
    with pytest.raises(TemplateError, match="sandbox forbids") as caught:
        compile_shotlist(previz.load(scene), "veo")
    assert caught.value.shot_id == "s1"


def test_the_sandbox_refuses_private_attributes(project) -> None:
    scene, folder = project
    (folder / "veo.j2").write_text("{{ shot.shot._abc_impl }}")
    with pytest.raises(TemplateError, match="sandbox forbids"):
        compile_shotlist(previz.load(scene), "veo")


def test_the_sandbox_still_refuses_after_allowing_attributes_for_earlier_shots(project) -> None:
    """Attribute safety is remembered per type and name: what the first shot's render was
    allowed must not let a later one reach a class internal (``mro`` of a type)."""
    scene, folder = project
    (folder / "veo.j2").write_text(
        "{{ shot.id }}{% set x = shot.shot.cast %}{% if shot.id == 's2' %}{{ dict.mro() }}"
        "{% endif %}"
    )
    with pytest.raises(TemplateError, match="sandbox forbids") as caught:
        compile_shotlist(previz.load(scene), "veo")
    assert caught.value.shot_id == "s2"


def test_the_sandbox_refuses_internals_reached_through_str_format(project) -> None:
    scene, folder = project
    (folder / "veo.j2").write_text("{{ shot.id }} {{ '{0.__class__}'.format(shot) }}")
    with pytest.raises(TemplateError, match="sandbox forbids"):
        compile_shotlist(previz.load(scene), "veo")


def test_an_undefined_variable_is_an_error_not_an_empty_string(project) -> None:
    scene, folder = project
    (folder / "veo.j2").write_text("{{ shot.id }} {{ mood }}")
    with pytest.raises(TemplateError, match="'mood' is undefined") as caught:
        compile_shotlist(previz.load(scene), "veo")
    assert caught.value.shot_id == "s1"


def test_a_missing_included_template_lists_the_search_path(project) -> None:
    scene, folder = project
    (folder / "veo.j2").write_text('{% include "nowhere.j2" %}')
    with pytest.raises(TemplateError, match=r"'nowhere\.j2' not found") as caught:
        compile_shotlist(previz.load(scene), "veo")
    assert str(folder) in (caught.value.hint or "")
