"""The whole pipeline: scene → animatic clips → sequence MP4 → timeline, from Python and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest

import previz
from previz.backends.animatic import AnimaticBackend
from previz.backends.base import Job, RenderedMedia
from previz.errors import JobFailedError, PrevizError
from previz.media import probe
from previz.pipeline import abuild, build
from tests.scene_text import MINIMAL


class FailingShot(AnimaticBackend):
    """The animatic, except that one shot's render is refused like a content-policy block."""

    def __init__(self, shot_id: str) -> None:
        super().__init__()
        self.shot_id = shot_id

    async def render(self, job: Job, workdir: Path) -> RenderedMedia:
        if job.shot_id == self.shot_id:
            raise JobFailedError("blocked by policy", retryable=False, shot_id=job.shot_id)
        return await super().render(job, workdir)


@pytest.fixture
def scene(write_scene) -> Path:
    return write_scene(MINIMAL)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> previz.pipeline.BuildResult:
    folder = tmp_path_factory.mktemp("built")
    path = folder / "scene.yaml"
    path.write_text(MINIMAL.lstrip("\n"))
    return build(path, out=folder / "out", formats=["otio"])


def test_the_animatic_lasts_exactly_as_long_as_the_cut(built) -> None:
    info = probe(built.animatic)
    assert (info.frames, info.width, info.height, info.has_audio) == (96, 320, 180, True)


def test_the_timeline_references_the_clips_in_the_output_folder(built) -> None:
    timeline = otio.adapters.read_from_file(str(built.timeline))
    clips = list(timeline.find_clips())
    assert [c.name for c in clips][:2] == ["s1", "s2"]
    target = clips[0].media_reference.target_url
    assert str(built.out_dir / "clips") in target


def test_build_json_says_what_was_generated(built) -> None:
    summary = json.loads((built.out_dir / "build.json").read_text())
    assert (summary["shots"], summary["generated"], summary["failures"]) == (2, 2, [])


def test_a_build_result_prints_as_a_one_line_summary_without_the_shot_list(built) -> None:
    # asyncio.run (3.11) reprs the finished task's result while restoring Ctrl-C handling
    text = repr(built)
    assert text.startswith("BuildResult(out_dir=") and "clips=" in text
    assert "ResolvedShot" not in text and len(text) < 300


def test_a_second_build_comes_entirely_from_the_cache(built) -> None:
    again = build(built.shotlist.source_path, out=built.out_dir, formats=["otio"])
    assert (again.report.cached, again.report.generated) == (2, 0)


def test_a_failed_shot_is_a_slate_of_the_right_length_and_the_rest_is_built(scene: Path) -> None:
    result = build(
        scene, out=scene.parent / "out", formats=["otio"], backends={"animatic": FailingShot("s1")}
    )
    assert not result.ok
    assert [f.shot_id for f in result.report.failures] == ["s1"]
    assert probe(result.animatic).frames == 96
    timeline = otio.adapters.read_from_file(str(result.timeline))
    first = timeline.find_clips()[0]
    assert isinstance(first.media_reference, otio.schema.MissingReference)
    assert first.duration().value == 48


def test_build_inside_a_running_event_loop_says_to_use_abuild(scene: Path) -> None:
    async def notebook_cell() -> None:
        build(scene)

    with pytest.raises(PrevizError, match="abuild"):
        asyncio.run(notebook_cell())


def test_abuild_works_inside_a_running_event_loop(scene: Path) -> None:
    result = asyncio.run(abuild(scene, out=scene.parent / "out", dry_run=True))
    assert [row.job.shot_id for row in result.report.plan] == ["s1", "s2"]


def test_building_on_a_service_without_its_key_exits_2_before_anything_runs(scene: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RUNWAYML_API_SECRET"}
    result = subprocess.run(
        [sys.executable, "-m", "previz", "build", str(scene), "-b", "runway"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 2
    assert "RUNWAYML_API_SECRET" in result.stderr and "Traceback" not in result.stderr
    assert not (scene.parent / ".previz" / "journal.sqlite").exists()


def test_an_output_folder_that_cannot_be_created_is_a_clear_error(
    scene: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [sys.executable, "-m", "previz", "build", str(scene), "--out", str(blocker / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and str(blocker) in result.stderr
    assert not (scene.parent / ".previz" / "journal.sqlite").exists()  # nothing was generated


def test_an_unknown_export_format_fails_before_anything_is_generated(scene: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "previz", "build", str(scene), "-f", "prproj"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "unknown export format 'prproj'" in result.stderr
    assert not (scene.parent / ".previz").exists()
