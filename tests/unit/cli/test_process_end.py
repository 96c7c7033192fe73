"""How the ``previz`` process ends after its command (:mod:`previz.cli.ending`): as the
interpreter would end it, less the teardown, and only as the program's last act."""

from __future__ import annotations

import atexit
import gc
import io
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from previz.cli import ending, main
from tests.scene_text import MINIMAL

CONSOLE_SCRIPT = """
import atexit, os, sys
from previz.cli import run

class TornDown:
    def __del__(self, write=os.write):  # os is gone by then
        write(1, b"torn down\\n")

kept = TornDown()
atexit.register(print, "the plugin's handler ran")
{before}
sys.argv = ["previz", *sys.argv[1:]]
sys.exit(run())
"""
"""A program shaped like the ``previz`` console script, with a plugin's exit handler."""


def _console(tmp_path: Path, *args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    script = tmp_path / "previz_script.py"
    script.write_text(CONSOLE_SCRIPT.format(before=before))
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as for users
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=60,
        env=buffered,
    )  # fmt: skip


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    path = tmp_path / "scene.yaml"
    path.write_text(MINIMAL)
    return path


def test_the_console_script_ends_without_tearing_down_after_its_handlers_and_output(
    tmp_path: Path, scene: Path
) -> None:
    result = _console(tmp_path, "validate", str(scene))
    assert result.returncode == 0, result.stderr
    assert "2 shot(s)" in result.stdout  # printed last, to a pipe: flushed, not lost
    assert result.stdout.endswith("the plugin's handler ran\n")
    assert "torn down" not in result.stdout


def test_a_bad_scene_still_exits_2_with_its_message_and_no_traceback(
    tmp_path: Path, scene: Path
) -> None:
    scene.write_text(MINIMAL.replace("duration: 2", "duration: -2", 1))
    result = _console(tmp_path, "validate", str(scene))
    assert result.returncode == 2
    assert "duration" in result.stderr and "Traceback" not in result.stderr


def test_an_interrupted_command_still_exits_130(tmp_path: Path, scene: Path) -> None:
    interrupt = (
        "def hook(event, args):\n"
        "    if event == 'open' and str(args[0]).endswith('scene.yaml'):\n"
        "        raise KeyboardInterrupt\n"
        "sys.addaudithook(hook)"
    )
    result = _console(tmp_path, "validate", str(scene), before=interrupt)
    assert result.returncode == 130
    assert "interrupted" in result.stderr
    assert result.stdout.endswith("the plugin's handler ran\n")


def test_a_program_running_previz_through_runpy_goes_on_after_it(scene: Path) -> None:
    program = (
        "import runpy, sys\n"
        f"sys.argv = ['previz', 'validate', {str(scene)!r}]\n"
        "try:\n"
        "    runpy.run_module('previz', run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    print('went on after status', stop.code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.endswith("went on after status 0\n"), result.stderr


BUILT = """
schema_version: 1
project: {title: T, fps: 24, resolution: 160x90}
scenes:
  - id: sc1
    heading: INT. ROOM - DAY
    shots:
      - {id: s1, action: A door., duration: 12f}
      - {id: s2, action: A hall., duration: 12f}
"""


def _still_open(found: object) -> bool:
    if isinstance(found, sqlite3.Connection):
        try:
            return found.total_changes >= 0
        except sqlite3.ProgrammingError:  # closed
            return False
    in_memory = isinstance(found, (io.BytesIO, io.StringIO))
    return isinstance(found, io.IOBase) and not in_memory and not found.closed


def test_a_build_leaves_nothing_open_nor_running_for_the_teardown_to_finish(
    write_scene, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """What the process's ending leaves out: no file or journal left to close, no thread."""
    monkeypatch.setattr(sys, "argv", ["previz", "build", str(write_scene(BUILT))])
    before = {id(found) for found in gc.get_objects() if _still_open(found)}
    running = set(threading.enumerate())  # other tests' servers may still run
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 0
    left = [f for f in gc.get_objects() if _still_open(f) and id(f) not in before]
    assert left == [] and set(threading.enumerate()) <= running


@pytest.mark.parametrize(
    ("code", "expected"), [(None, 0), (2, 2), (True, 1), ("a message", None), (2**40, None)]
)
def test_the_exit_status_is_the_one_the_interpreter_gives(code: object, expected: int) -> None:
    assert ending.status(code) == expected


def test_a_python_without_atexits_runner_ends_as_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # nothing else would stop it
    monkeypatch.delattr(atexit, "_run_exitfuncs")
    assert ending.end(0) is None  # returned: the interpreter ends the process itself
