"""What the CLI prints and writes: narrow terminals, errors first, dry runs that touch nothing,
and the starter project's templates folder in use."""

from __future__ import annotations

import io
import re
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from previz.backends.base import Job
from previz.cli import cli
from previz.cli.logview import print_log
from previz.generate.journal import Generation
from previz.generate.progress import RichProgress
from previz.generate.report import PlanRow, RunReport
from tests.scene_text import MINIMAL

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _job(shot_id: str) -> Job:
    return Job(
        shot_id=shot_id, take=1, backend="veo", model="veo-3.0-generate-001", prompt="p",
        template_hash="h", seconds=4, shot_seconds=4, width=64, height=36, fps=24,
    )  # fmt: skip


def _generation(take: int, reason: str | None) -> Generation:
    return Generation(
        key="k", scene_id="sc12a", shot_id="sc12a-040-rooftop-chase-wide", take=take,
        backend="runway", model="gen4_turbo", prompt="p", remote_id=None, cost=12.5,
        latency=123.4, outcome="failed" if reason else "generated", reason=reason,
        started="2026-11-30T10:48:00+00:00", finished="2026-11-30T10:48:49.141+00:00",
    )  # fmt: skip


def test_the_log_reads_at_80_columns() -> None:
    out = io.StringIO()
    reason = "HTTP 429: rate limited; the service asked to retry after 30 seconds and never did"
    print_log(Console(file=out, width=80), [_generation(1, None), _generation(2, reason)])
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    row = next(line for line in lines if "#2" in line)
    for word in ("11-30 10:48", "runway · gen4_turbo", "failed", "$12.50", "123.4"):
        assert word in row, row
    assert reason in " ".join(out.getvalue().split())


def test_the_build_progress_line_is_whole_at_100_columns() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, color_system=None)
    plan = [
        PlanRow(_job(f"sc1-{i:03d}-a-long-shot-identifier"), "k", False, 1.6) for i in range(12)
    ]
    with RichProgress(console) as progress:
        progress.begin(plan)
        progress.status(plan[0].job, "retrying in 4s (HTTP 429 from the service, waiting)")
        for row in plan[1:]:
            progress.job_done(row.job, "generated", 1.6)
        progress.end(RunReport())
    last = ANSI.sub("", out.getvalue()).split("\r")[-1]
    overall = next(line for line in last.splitlines() if "build" in line)
    assert "11 generated · 0 cached · 0 failed · spent $17.60" in overall
    assert "━" in overall and re.search(r"\d:\d\d:\d\d", overall)


def test_a_build_error_is_the_first_line_printed(write_scene) -> None:
    scene = write_scene(MINIMAL.replace("fps: 24", 'fps: 24\n  start_timecode: "25:00:00:00"'))
    result = CliRunner().invoke(cli, ["build", str(scene)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {scene}:"), repr(result.output)


def test_a_dry_run_writes_nothing(write_scene, tmp_path: Path) -> None:
    scene = write_scene(MINIMAL)
    before = sorted(tmp_path.rglob("*"))
    result = CliRunner().invoke(cli, ["build", str(scene), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "nothing was submitted" in result.output
    assert sorted(tmp_path.rglob("*")) == before


def test_the_starter_scene_uses_its_templates_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    blocks = tmp_path / "templates" / "blocks"
    blocks.mkdir()
    (blocks / "camera.j2").write_text(
        "{% macro camera_line(shot) -%}HOUSE STYLE CAMERA{%- endmacro %}\n", encoding="utf-8"
    )
    result = runner.invoke(cli, ["prompts", str(tmp_path / "scene.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    assert "HOUSE STYLE CAMERA" in result.output
