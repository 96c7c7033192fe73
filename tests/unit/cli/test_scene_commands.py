"""The scene commands: init, validate, prompts, schema — and bad input as exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from previz.cli import cli
from tests.scene_text import MINIMAL


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "previz", *args], capture_output=True, text=True, timeout=60
    )


def test_init_scaffolds_a_project_that_validates(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path / "film")]).exit_code == 0
    result = runner.invoke(cli, ["validate", str(tmp_path / "film" / "scene.yaml")])
    assert result.exit_code == 0, result.output
    assert "3 shot(s)" in result.output


def test_init_refuses_to_overwrite_a_scene(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["init", str(tmp_path)])
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 2


def test_validate_reports_the_running_time(demo_scene: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(demo_scene)])
    assert result.exit_code == 0, result.output
    assert "10 shot(s)" in result.output and "00:00:29:00" in result.output


def test_prompts_json_lists_every_shot(demo_scene: Path) -> None:
    result = CliRunner().invoke(cli, ["prompts", str(demo_scene), "--backend", "veo", "--json"])
    rows = json.loads(result.output)
    assert [r["shot"] for r in rows][:2] == ["sc1-010", "sc1-020"]
    assert all(r["backend"] == "veo" and r["length"] == len(r["prompt"]) for r in rows)


def test_schema_is_json_schema_of_the_scene_format(tmp_path: Path) -> None:
    out = tmp_path / "scene.schema.json"
    assert CliRunner().invoke(cli, ["schema", "--out", str(out)]).exit_code == 0
    schema = json.loads(out.read_text())
    assert schema["title"] == "previz scene file"
    assert schema["additionalProperties"] is False
    assert "Shot" in schema["$defs"]


def test_schema_accepts_the_demo_scene(demo_scene: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    schema = json.loads(CliRunner().invoke(cli, ["schema"]).output)
    jsonschema.validate(json.loads(json.dumps(YAML(typ="safe").load(demo_scene))), schema)


BROKEN = {
    "malformed YAML": MINIMAL.replace("cast: [ana]", "cast: [ana"),
    "unknown key": MINIMAL.replace("action: Ana waits.", "acton: Ana waits."),
    "wrong type": MINIMAL.replace("duration: 2\n      - id: s2", "duration: [2]\n      - id: s2"),
    "unknown character": MINIMAL.replace("cast: [ben]", "cast: [bob]"),
    "duplicate id": MINIMAL.replace("id: s2", "id: s1"),
    "unsafe id": MINIMAL.replace("id: s2", "id: ../x"),
    "zero duration": MINIMAL.replace("duration: 2\n      - id: s2", "duration: 0\n      - id: s2"),
    "missing reference": MINIMAL.replace(
        "description: a small cafe", "description: a small cafe\n    references: [x.png]"
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_bad_input_exits_2_with_a_located_message_and_no_traceback(
    tmp_path: Path, case: str
) -> None:
    scene = tmp_path / "scene.yaml"
    scene.write_text(BROKEN[case].lstrip("\n"))
    result = run("validate", str(scene))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert f"{scene}:" in result.stderr
    assert result.stderr.startswith("error: ")
