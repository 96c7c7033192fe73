"""``previz export BUILD_DIR``: the build's timeline.otio written to the formats asked for."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from click.testing import CliRunner

from previz.cli import cli
from tests.timeline_fixtures import RATES, representative_timeline


@pytest.fixture
def build_dir(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    media = tmp_path_factory.getbasetemp() / "timeline-media" / "24"
    timeline, _ = representative_timeline(RATES["24"], media)
    build = tmp_path / "build"
    build.mkdir()
    otio.adapters.write_to_file(timeline, str(build / "timeline.otio"))
    return build


def test_export_writes_each_requested_format_into_the_out_folder(
    build_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["export", str(build_dir), "--format", "fcp7", "-f", "edl", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "timeline.A1.edl", "timeline.V0_alternates.edl", "timeline.V1.edl", "timeline.xml",
    ]  # fmt: skip


def test_export_defaults_to_every_format_in_build_exports(build_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["export", str(build_dir)])
    assert result.exit_code == 0, result.output
    suffixes = {p.suffix for p in (build_dir / "exports").iterdir()}
    assert suffixes == {".otio", ".otioz", ".xml", ".fcpxml", ".edl", ".aaf", ".xges", ".kdenlive"}


def test_relative_export_of_a_relative_timeline_still_finds_the_media(
    build_dir: Path, tmp_path: Path
) -> None:
    first = CliRunner().invoke(cli, ["export", str(build_dir), "-f", "otio", "--relative",
                                     "--out", str(build_dir / "moved")])  # fmt: skip
    assert first.exit_code == 0, first.output
    again = build_dir / "moved"
    result = CliRunner().invoke(cli, ["export", str(again), "-f", "otio", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    timeline = otio.adapters.read_from_file(str(tmp_path / "timeline.otio"))
    for clip in timeline.find_clips():
        path = Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url))
        assert path.is_absolute() and path.exists()


def test_a_folder_without_a_timeline_is_an_error_with_a_hint(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", str(tmp_path)])
    assert result.exit_code == 2
    assert "timeline.otio" in result.output and "previz build" in result.output
