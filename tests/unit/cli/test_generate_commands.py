"""The commands around generation: select, cost, log, backends."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import previz
from previz.cli import cli
from tests.scene_text import MINIMAL

THREE_TAKES = "# the director wants options\n" + MINIMAL.lstrip("\n").replace(
    "action: Ana waits.", "action: Ana waits.  # keep it still\n        takes: 3"
)


@pytest.fixture
def scene(write_scene) -> Path:
    return write_scene(THREE_TAKES)


def test_select_sets_the_take_and_keeps_the_comments(scene: Path) -> None:
    result = CliRunner().invoke(cli, ["select", str(scene), "s1", "2"])
    assert result.exit_code == 0, result.output
    text = scene.read_text()
    assert "# the director wants options" in text and "# keep it still" in text
    assert previz.load(scene).shot("s1").selected_take == 2


def test_select_refuses_a_take_that_does_not_exist(scene: Path) -> None:
    result = CliRunner().invoke(cli, ["select", str(scene), "s1", "4"])
    assert result.exit_code == 2
    assert previz.load(scene).shot("s1").selected_take == 1


def test_select_suggests_the_shot_for_a_typo(scene: Path) -> None:
    result = CliRunner().invoke(cli, ["select", str(scene), "s11", "1"])
    assert result.exit_code == 2


def test_cost_prices_every_take_without_a_key(scene: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RUNWAYML_API_SECRET"}
    result = CliRunner(env=env).invoke(cli, ["cost", str(scene), "-b", "runway"])
    assert result.exit_code == 0, result.output
    # gen4.5 at $0.12/s [unconfirmed price]: 3 takes + 1 take of 2 s each
    assert "total: $0.96 for 4 take(s) to generate, 0 cached" in result.output


def test_the_animatic_costs_nothing(scene: Path) -> None:
    result = CliRunner().invoke(cli, ["cost", str(scene)])
    assert "total: $0.00" in result.output


def test_log_is_empty_before_any_build(scene: Path) -> None:
    assert previz.reports.generation_log(scene) == []


def test_log_lists_each_generated_take_after_a_build(write_scene) -> None:
    scene = write_scene(MINIMAL)
    previz.build(scene, formats=["otio"])
    entries = previz.reports.generation_log(scene)
    assert sorted((e.shot_id, e.outcome) for e in entries) == [
        ("s1", "generated"),
        ("s2", "generated"),
    ]
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["log", str(scene)])
    assert "s1" in result.output and "generated" in result.output


def test_log_json_carries_the_prompt_of_each_generation(write_scene) -> None:
    scene = write_scene(MINIMAL)
    previz.build(scene, formats=["otio"])
    result = CliRunner().invoke(cli, ["log", str(scene), "--json", "--shot", "s1"])
    rows = json.loads(result.output)
    assert [r["shot_id"] for r in rows] == ["s1"]
    assert "Ana waits." in rows[0]["prompt"]


def test_backends_lists_every_builtin_backend_and_its_key() -> None:
    env = {**{k: v for k, v in os.environ.items() if k != "LUMAAI_API_KEY"}, "COLUMNS": "250"}
    result = CliRunner(env=env).invoke(cli, ["backends"])
    assert result.exit_code == 0, result.output
    for name in ("animatic", "openai", "veo", "runway", "luma"):
        assert name in result.output
    assert "missing: LUMAAI_API_KEY" in result.output


def test_cache_shows_verifies_and_clears_a_projects_takes(write_scene) -> None:
    scene = write_scene(MINIMAL)
    previz.build(scene, formats=["otio"])
    runner = CliRunner(env={"COLUMNS": "250"})
    assert ": 2 take(s)" in runner.invoke(cli, ["cache", str(scene)]).output
    broken = next((scene.parent / ".previz" / "cache").rglob("clip.mp4"))
    broken.write_bytes(b"\0" * broken.stat().st_size)  # same size, no longer a video
    verified = runner.invoke(cli, ["cache", str(scene), "--verify"]).output
    assert "removed 1 take(s)" in verified and ": 1 take(s)" in verified
    cleared = runner.invoke(cli, ["cache", str(scene), "--clear"]).output
    assert "removed 1 take(s)" in cleared and ": 0 take(s)" in cleared
