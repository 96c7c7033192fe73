"""Export formats as plugins: ``previz.formats`` entry points, ``register_format``, and the
fallback to an installed OpenTimelineIO adapter for a name previz does not know."""

from __future__ import annotations

import textwrap
from pathlib import Path

import opentimelineio as otio
import pytest
from click.testing import CliRunner

from previz.cli import cli
from previz.timeline.formats import ExportContext, Format, register_format, unregister_format
from tests.timeline_fixtures import RATES, representative_timeline

PLUGIN = '''
"""A third-party format: one line per clip of the top video track."""
from previz.timeline.formats import Format


def write(timeline, path, context):
    names = [clip.name for clip in timeline.video_tracks()[-1].find_clips()]
    path.write_text(f"{context.width}x{context.height} " + " ".join(names) + "\\n")


SHOTLIST = Format("shotlines", ".shots.txt", "a line-per-shot reader", write, version="1")
'''


@pytest.fixture
def build_dir(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    media = tmp_path_factory.getbasetemp() / "timeline-media" / "24"
    timeline, _ = representative_timeline(RATES["24"], media)
    build = tmp_path / "build"
    build.mkdir()
    otio.adapters.write_to_file(timeline, str(build / "timeline.otio"))
    return build


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small installed distribution declaring a ``previz.formats`` entry point."""
    site = tmp_path / "site"
    dist = site / "previz_shotlines-1.0.dist-info"
    dist.mkdir(parents=True)
    (site / "previz_shotlines.py").write_text(textwrap.dedent(PLUGIN))
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: previz-shotlines\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[previz.formats]\nshotlines = previz_shotlines:SHOTLIST\n"
    )
    monkeypatch.syspath_prepend(str(site))


def export(build_dir: Path, *formats: str) -> tuple[int, str, Path]:
    out = build_dir / "exports"
    args = ["export", str(build_dir), "--out", str(out)]
    for fmt in formats:
        args += ["-f", fmt]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output, out


def test_a_format_from_an_entry_point_is_used_by_previz_export(
    build_dir: Path, installed_plugin: None
) -> None:
    code, output, out = export(build_dir, "shotlines")
    assert code == 0, output
    assert (out / "timeline.shots.txt").read_text() == "320x180 sh010 sh020 sh030 sh040\n"


def test_a_format_registered_in_process_is_used_by_previz_export(build_dir: Path) -> None:
    def write(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
        path.write_text(timeline.name)

    register_format(Format("title", ".title", "a test", write))
    try:
        code, output, out = export(build_dir, "title")
    finally:
        unregister_format("title")
    assert code == 0, output
    assert (out / "timeline.title").read_text() == otio.adapters.read_from_file(
        str(build_dir / "timeline.otio")
    ).name


def test_an_unknown_name_falls_back_to_an_installed_otio_adapter(build_dir: Path) -> None:
    code, output, out = export(build_dir, "svg")  # otio-svg-adapter is installed
    assert code == 0, output
    assert (out / "timeline.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_an_unknown_name_with_no_adapter_lists_what_exists(build_dir: Path) -> None:
    code, output, out = export(build_dir, "betacam")
    assert code == 2
    assert "unknown export format 'betacam'" in output
    assert "fcp7" in output and "svg" in output and "Traceback" not in output
    assert not out.exists() or not any(out.iterdir())


def test_previz_export_says_which_files_it_left_unchanged(build_dir: Path) -> None:
    export(build_dir, "fcp7")
    code, output, _out = export(build_dir, "fcp7")
    assert code == 0, output
    assert "unchanged" in output
