"""One build per project at a time: a second one waits, then stops naming the holder's pid."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from previz.cli import cli
from previz.errors import ProjectLocked
from previz.generate import lock
from previz.generate.lock import project_lock
from tests.scene_text import MINIMAL

REPO = Path(__file__).resolve().parents[2]
HOLD = """
import asyncio, sys
from pathlib import Path
from previz.generate.lock import project_lock

async def hold():
    async with project_lock(Path(sys.argv[1])):
        print("held", flush=True)
        await asyncio.sleep(float(sys.argv[2]))

asyncio.run(hold())
"""


def holding(state: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process (another build) holding the project's lock for ``seconds``."""
    state.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state), str(seconds)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    child = holding(tmp_path / ".previz", 30.0)
    yield child
    child.kill()
    child.wait()


async def test_a_second_build_stops_naming_the_holder(tmp_path: Path, holder) -> None:
    with pytest.raises(ProjectLocked, match=f"pid {holder.pid}") as caught:
        async with project_lock(tmp_path / ".previz", wait=0.3):
            pass
    assert "--wait" in str(caught.value)


async def test_with_wait_a_second_build_starts_when_the_first_ends(tmp_path: Path) -> None:
    child = holding(tmp_path / ".previz", 0.5)
    start = time.monotonic()
    async with project_lock(tmp_path / ".previz", wait=None) as path:
        assert time.monotonic() - start >= 0.3
        assert path.read_text().strip() == str(os.getpid())
    child.wait()


async def test_a_killed_build_leaves_no_stale_lock(tmp_path: Path) -> None:
    child = holding(tmp_path / ".previz", 30.0)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    async with project_lock(tmp_path / ".previz", wait=0.0):
        await asyncio.sleep(0)


def test_the_cli_exits_2_with_the_holders_pid(
    write_scene, holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = write_scene(MINIMAL)  # in the project folder the holder locked
    monkeypatch.setattr(lock, "LOCK_WAIT", 0.3)
    result = CliRunner().invoke(cli, ["build", str(scene), "-f", "otio"])
    assert result.exit_code == 2
    assert f"pid {holder.pid}" in result.output and "Traceback" not in result.output
    assert not list(scene.parent.rglob("*.mp4"))
