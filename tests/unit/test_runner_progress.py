"""The rich progress display shows failures as they happen and ends with counts and spend."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from previz.generate import RichProgress
from tests.fakes.backend import FakeRemoteBackend, Faults, Project, jobs_for


async def test_the_display_reports_failures_counts_and_spend(tmp_path: Path, clip: Path) -> None:
    project = Project(tmp_path)
    remote = FakeRemoteBackend(clip, clock=project.clock, faults=Faults(blocked_shots={"1B"}))
    screen = io.StringIO()
    progress = RichProgress(Console(file=screen, width=120, force_terminal=False))
    await project.run(jobs_for(["1A", "1B"], backend=remote.name), remote, progress=progress)
    text = screen.getvalue()
    assert "✗ 1B take 1: blocked by the content policy" in text
    assert "1 generated · 0 cached · 1 failed · spent $0.10" in text


async def test_the_runner_is_silent_without_a_display(
    tmp_path: Path, clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = Project(tmp_path)
    remote = FakeRemoteBackend(clip, clock=project.clock)
    await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert capsys.readouterr() == ("", "")
