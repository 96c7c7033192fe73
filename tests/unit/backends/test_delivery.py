"""A clip is accepted only when every frame decodes and the frames cover what was ordered."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from previz.backends.http import probe_clip, store_clip
from previz.errors import JobFailedError, RetryableServiceError
from previz.media import find_ffmpeg


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s at 24 fps with the index up front (faststart), so a cut body still opens."""
    dest = tmp_path_factory.mktemp("clip") / "whole.mp4"
    subprocess.run(
        [str(find_ffmpeg()), "-v", "error", "-y", "-f", "lavfi",
         "-i", "testsrc=size=64x36:rate=24", "-t", "2", "-pix_fmt", "yuv420p",
         "-c:v", "libx264", "-movflags", "+faststart", str(dest)],
        check=True,
    )  # fmt: skip
    return dest


def test_whole_clip_is_accepted_with_its_frame_count(clip: Path, tmp_path: Path) -> None:
    probe = store_clip(
        clip.read_bytes(), tmp_path / "take.mp4", backend="x", shot_id="s", expected_seconds=2.0
    )
    assert (probe.frames, probe.fps) == (48, 24.0) and (tmp_path / "take.mp4").exists()


def test_body_cut_short_is_retryable_and_never_stored(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    with pytest.raises(RetryableServiceError, match="decode"):
        store_clip(
            data[: len(data) * 2 // 3], tmp_path / "take.mp4",
            backend="x", shot_id="s", expected_seconds=2.0,
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_whole_clip_shorter_than_ordered_is_fetched_again(clip: Path, tmp_path: Path) -> None:
    with pytest.raises(RetryableServiceError, match="48 frame"):
        store_clip(
            clip.read_bytes(), tmp_path / "take.mp4", backend="x", shot_id="s",
            expected_seconds=4.0,
        )  # fmt: skip


def test_clip_longer_than_ordered_is_a_final_failure(clip: Path, tmp_path: Path) -> None:
    with pytest.raises(JobFailedError, match=r"runs 2\.00s but 1s was ordered"):
        store_clip(
            clip.read_bytes(), tmp_path / "take.mp4", backend="x", shot_id="s",
            expected_seconds=1.0,
        )  # fmt: skip


def test_probe_counts_every_frame(clip: Path) -> None:
    assert probe_clip(clip).frames == 48
