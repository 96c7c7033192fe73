"""ffmpeg binaries that answered ``-version`` are remembered between processes by identity."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg
import pytest

from previz.media import answered
from tests.unit.media_fixtures import ffmpeg_bin

__all__ = ["ffmpeg_bin"]


def _later() -> int:
    """A clock a minute ahead: every file made by the test has settled by then."""
    return time.time_ns() + 60_000_000_000


# A fresh interpreter finds ffmpeg, prints how many processes that started, then what it found.
_FIND = """
import sys
started = []
sys.addaudithook(lambda event, args: started.append(1) if event == "subprocess.Popen" else None)
from previz.media import find_ffmpeg
try:
    found = str(find_ffmpeg())
except Exception as error:
    found = str(error)
print(len(started), "imageio_ffmpeg" in sys.modules)
print(found)
"""


@pytest.fixture(autouse=True)
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps its answers in a folder of its own."""
    folder = tmp_path / "records"
    monkeypatch.setenv("PREVIZ_PRODUCTS_DIR", str(folder))
    return folder


def _find_in_new_process(env: dict[str, str]) -> tuple[str, int]:
    return _find_and_import(env)[:2]


def _find_and_import(env: dict[str, str]) -> tuple[str, int, bool]:
    """What a fresh process finds, how many processes it started, whether it imported
    imageio-ffmpeg."""
    environ = dict(os.environ)
    environ.pop("PREVIZ_FFMPEG", None)
    environ.pop("IMAGEIO_FFMPEG_EXE", None)
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-c", _FIND], env=environ, capture_output=True, text=True, check=True
    )
    head, found = done.stdout.strip().split("\n", 1)
    started, imported = head.split()
    return found, int(started), imported == "True"


def _script(folder: Path, body: str) -> Path:
    path = folder / "ffmpeg-wrapper"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_the_bundled_ffmpeg_is_not_started_again_by_a_later_process(tmp_path: Path) -> None:
    empty = tmp_path / "no-ffmpeg-here"
    empty.mkdir()
    env = {"PATH": str(empty)}
    first = _find_in_new_process(env)
    second = _find_in_new_process(env)
    assert first[0] == second[0] == imageio_ffmpeg.get_ffmpeg_exe()
    assert first[1] >= 1
    assert second[1] == 0


def test_the_recorded_bundled_ffmpeg_is_found_without_importing_imageio_ffmpeg(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "no-ffmpeg-here"
    empty.mkdir()
    first = _find_and_import({"PATH": str(empty)})
    second = _find_and_import({"PATH": str(empty)})
    assert first[2] and not second[2]  # the package located, not imported (~1 ms a build)
    assert second[0] == first[0]


def test_a_recorded_ffmpeg_replaced_since_is_asked_again(tmp_path: Path, ffmpeg_bin: Path) -> None:
    chosen = _script(tmp_path, f'exec "{ffmpeg_bin}" "$@"')
    found = answered.identity(chosen)
    assert found is not None
    answered.remember(found, now=_later)
    env = {"PREVIZ_FFMPEG": str(chosen)}
    assert _find_in_new_process(env) == (str(chosen), 0)
    _script(tmp_path, "exit 1")  # the same path, now broken
    message, started = _find_in_new_process(env)
    assert "exited with status 1" in message
    assert started == 1


def test_a_binary_changed_within_two_seconds_is_not_recorded(
    tmp_path: Path, ffmpeg_bin: Path
) -> None:
    chosen = _script(tmp_path, f'exec "{ffmpeg_bin}" "$@"')
    found = answered.identity(chosen)
    assert found is not None
    answered.remember(found)
    assert found not in answered.recorded()
    answered.remember(found, now=_later)
    assert found in answered.recorded()


def test_the_bundled_binary_is_recorded_for_its_package_only(ffmpeg_bin: Path) -> None:
    found = answered.identity(ffmpeg_bin)
    assert found is not None
    answered.remember(found, package=ffmpeg_bin.parent, now=_later)
    assert answered.bundled(ffmpeg_bin.parent) == ffmpeg_bin
    assert answered.bundled(ffmpeg_bin.parent / "elsewhere") is None


def test_a_damaged_record_means_asking_again() -> None:
    path = answered.record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    assert answered.recorded() == set()
    path.write_text(json.dumps({"answered": "everything"}), encoding="utf-8")
    assert answered.recorded() == set()
