"""``previz cache --verify`` decodes every frame of every take and evicts what is not whole."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import previz
from previz.backends.base import RenderedMedia
from previz.cli import cli
from previz.generate import Cache, Provenance
from tests.fakes.generated_media import CLIPS
from tests.scene_text import MINIMAL

KEY = "v1-" + "cd" * 32
PROVENANCE = Provenance(
    prompt="Mara climbs", backend="openai", backend_version="1", model="sora-2",
    template_hash="f" * 64, seconds=2.0, take=1, shot_id="1A",
)  # fmt: skip


def cut_clip(folder: Path) -> Path:
    """A clip whose body was cut: its index (at the front) still declares every frame."""
    data = CLIPS.clip(64, 36, 2)
    path = folder / "clip.mp4"
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def test_verify_evicts_a_take_whose_first_frames_play_but_whose_end_is_missing(
    tmp_path: Path,
) -> None:
    cache = Cache(tmp_path / "cache")
    cache.put(KEY, RenderedMedia(video=cut_clip(tmp_path)), PROVENANCE)  # a header probe passes
    assert cache.get(KEY) is not None
    assert cache.verify(KEY) is False
    assert cache.get(KEY) is None


def test_verify_keeps_a_whole_take(tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp4"
    whole.write_bytes(CLIPS.clip(64, 36, 2))
    cache = Cache(tmp_path / "cache")
    cache.put(KEY, RenderedMedia(video=whole), PROVENANCE)
    assert cache.verify(KEY) is True and cache.get(KEY) is not None


def test_the_cli_says_how_many_takes_it_checked(write_scene) -> None:
    scene = write_scene(MINIMAL)
    previz.build(scene, formats=["otio"])
    output = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["cache", str(scene), "--verify"])
    assert output.exit_code == 0, output.output
    assert "checked 2 take(s), decoding every frame: removed 0 take(s)" in output.output
