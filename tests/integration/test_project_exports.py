"""``project.exports`` chooses what a build writes; the rest comes on demand (previz export)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import previz
from previz.cli import cli
from previz.errors import SceneError
from tests.scene_text import MINIMAL


def with_exports(line: str) -> str:
    return MINIMAL.replace("  resolution: 320x180\n", f"  resolution: 320x180\n  exports: {line}\n")


def test_a_build_writes_the_projects_exports_and_the_timeline(write_scene) -> None:
    scene = write_scene(with_exports("[fcp7, edl]"))
    result = previz.build(scene, out=scene.parent / "out")
    assert sorted(result.exports) == ["edl", "fcp7", "otio"]
    assert not (scene.parent / "out" / "timeline.aaf").exists()


def test_format_flags_override_the_projects_exports(write_scene) -> None:
    scene = write_scene(with_exports("[fcp7]"))
    out = scene.parent / "out"
    result = CliRunner().invoke(cli, ["build", str(scene), "--out", str(out), "-f", "fcpxml"])
    assert result.exit_code == 0, result.output
    assert (out / "timeline.fcpxml").exists() and not (out / "timeline.xml").exists()


def test_an_unknown_export_in_the_project_names_its_line(write_scene) -> None:
    scene = write_scene(with_exports("[fcp7, betacam]"))
    with pytest.raises(SceneError) as caught:
        previz.build(scene, out=scene.parent / "out")
    assert (caught.value.path, caught.value.line) == (scene, 6)
    assert "betacam" in caught.value.message and "fcp7" in (caught.value.hint or "")
    assert not (scene.parent / ".previz" / "cache").exists()
