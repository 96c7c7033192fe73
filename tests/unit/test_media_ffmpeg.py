"""Finding ffmpeg and turning its failures into previz errors."""

from __future__ import annotations

import os
from pathlib import Path

import imageio_ffmpeg
import pytest

from previz.errors import MediaError, OutputError
from previz.media import find_ffmpeg, run_ffmpeg
from tests.unit.media_fixtures import ffmpeg_bin, unwritable_dir

__all__ = ["ffmpeg_bin"]


def _script(folder: Path, body: str, mode: int = 0o755) -> Path:
    path = folder / "ffmpeg-wrapper"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_previz_ffmpeg_variable_wins_over_path(tmp_path: Path, ffmpeg_bin: Path) -> None:
    chosen = _script(tmp_path, f'exec "{ffmpeg_bin}" "$@"')
    assert find_ffmpeg({"PREVIZ_FFMPEG": str(chosen), "PATH": os.environ["PATH"]}) == chosen


def test_non_executable_previz_ffmpeg_is_an_error_naming_it(tmp_path: Path) -> None:
    chosen = _script(tmp_path, "exit 0", mode=0o644)
    with pytest.raises(MediaError) as caught:
        find_ffmpeg({"PREVIZ_FFMPEG": str(chosen), "PATH": os.environ["PATH"]})
    assert "PREVIZ_FFMPEG" in str(caught.value)
    assert str(chosen) in str(caught.value)


def test_previz_ffmpeg_that_exits_1_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    chosen = _script(tmp_path, "exit 1")
    with pytest.raises(MediaError, match="exited with status 1"):
        find_ffmpeg({"PREVIZ_FFMPEG": str(chosen), "PATH": os.environ["PATH"]})


def test_without_path_ffmpeg_the_imageio_binary_is_used(tmp_path: Path) -> None:
    found = find_ffmpeg({"PATH": str(tmp_path)})
    assert found == Path(imageio_ffmpeg.get_ffmpeg_exe())


def test_broken_ffmpeg_on_path_is_skipped_for_the_bundled_one(tmp_path: Path) -> None:
    _script(tmp_path, "exit 1").rename(tmp_path / "ffmpeg")
    assert find_ffmpeg({"PATH": str(tmp_path)}) == Path(imageio_ffmpeg.get_ffmpeg_exe())


def test_failed_run_names_the_shot_and_quotes_ffmpeg(tmp_path: Path, ffmpeg_bin: Path) -> None:
    args = ["-f", "lavfi", "-i", "nosuchsource", "-y", str(tmp_path / "out.mp4")]
    with pytest.raises(MediaError) as caught:
        run_ffmpeg(args, ffmpeg=ffmpeg_bin, shot_id="sc1-020")
    text = str(caught.value)
    assert "shot 'sc1-020'" in text
    assert "nosuchsource" in text


def test_full_disk_is_an_output_error(ffmpeg_bin: Path) -> None:
    args = ["-f", "lavfi", "-i", "testsrc2=s=320x180:d=2", "-y", "-f", "matroska", "/dev/full"]
    with pytest.raises(OutputError, match="disk is full"):
        run_ffmpeg(args, ffmpeg=ffmpeg_bin, shot_id="sc1-010", dest=Path("/dev/full"))


def test_unwritable_folder_is_an_output_error(tmp_path: Path, ffmpeg_bin: Path) -> None:
    with unwritable_dir(tmp_path / "locked") as folder:
        dest = folder / "out.mp4"
        args = ["-f", "lavfi", "-i", "testsrc2=s=320x180:d=0.2", "-y", str(dest)]
        with pytest.raises(OutputError, match="cannot be written") as caught:
            run_ffmpeg(args, ffmpeg=ffmpeg_bin, dest=dest)
    assert caught.value.path == dest


def test_missing_previz_ffmpeg_is_an_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such file") as caught:
        find_ffmpeg({"PREVIZ_FFMPEG": str(tmp_path / "nowhere" / "ffmpeg")})
    assert "imageio-ffmpeg" in (caught.value.hint or "")


def test_a_working_ffmpeg_is_asked_for_its_version_once(tmp_path: Path, ffmpeg_bin: Path) -> None:
    calls = tmp_path / "calls"
    chosen = _script(tmp_path, f'echo x >> "{calls}"\nexec "{ffmpeg_bin}" "$@"')
    env = {"PREVIZ_FFMPEG": str(chosen), "PATH": os.environ["PATH"]}
    assert find_ffmpeg(env) == find_ffmpeg(env) == chosen
    assert calls.read_text().count("x") == 1


def test_a_replaced_ffmpeg_is_asked_again(tmp_path: Path, ffmpeg_bin: Path) -> None:
    chosen = _script(tmp_path, f'exec "{ffmpeg_bin}" "$@"')
    env = {"PREVIZ_FFMPEG": str(chosen), "PATH": os.environ["PATH"]}
    find_ffmpeg(env)
    _script(tmp_path, "exit 1")  # the same path, now broken
    with pytest.raises(MediaError, match="exited with status 1"):
        find_ffmpeg(env)
