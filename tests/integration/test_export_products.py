"""Exports are products: exporting an unchanged cut again touches no file; a change rewrites."""

from __future__ import annotations

import json
from pathlib import Path

import opentimelineio as otio
import pytest

import previz
from previz.timeline import FORMATS
from previz.timeline.export import export_products
from tests.scene_text import MINIMAL
from tests.timeline_fixtures import RATES, representative_timeline


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> otio.schema.Timeline:
    media = tmp_path_factory.getbasetemp() / "timeline-media" / "24"
    return representative_timeline(RATES["24"], media)[0]


def identities(paths: list[Path]) -> dict[str, tuple[int, int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size) for p in paths}


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "otioz"])
def test_exporting_an_unchanged_cut_again_leaves_the_export_untouched(
    cut: otio.schema.Timeline, tmp_path: Path, fmt: str
) -> None:
    first = export_products(cut, tmp_path, [fmt])
    before = identities(first.files[fmt])
    again = export_products(cut, tmp_path, [fmt])
    assert again.rewritten == []
    assert identities(again.files[fmt]) == before


def test_an_unchanged_otioz_bundle_is_not_rebundled(
    cut: otio.schema.Timeline, tmp_path: Path
) -> None:
    before = identities(export_products(cut, tmp_path, ["otioz"]).files["otioz"])
    again = export_products(cut, tmp_path, ["otioz"])
    assert (again.rewritten, identities(again.files["otioz"])) == ([], before)


def test_a_changed_clip_rewrites_every_export_of_the_cut(
    cut: otio.schema.Timeline, tmp_path: Path
) -> None:
    formats = ["otio", "fcp7", "edl"]
    export_products(cut, tmp_path, formats)
    changed = cut.deepcopy()
    changed.find_clips()[0].metadata["previz"]["action"] = "A new action."
    assert sorted(export_products(changed, tmp_path, formats).rewritten) == sorted(formats)


def test_a_different_frame_size_is_a_different_product(
    cut: otio.schema.Timeline, tmp_path: Path
) -> None:
    export_products(cut, tmp_path, ["fcpxml"])
    bigger = cut.deepcopy()
    bigger.metadata["previz"]["resolution"] = [640, 360]
    assert export_products(bigger, tmp_path, ["fcpxml"]).rewritten == ["fcpxml"]


def test_an_export_replaced_by_hand_is_written_again(
    cut: otio.schema.Timeline, tmp_path: Path
) -> None:
    files = export_products(cut, tmp_path, ["fcp7"]).files["fcp7"]
    files[0].write_text("<xmeml/>")
    assert export_products(cut, tmp_path, ["fcp7"]).rewritten == ["fcp7"]
    assert files[0].read_text() != "<xmeml/>"


def test_a_no_op_build_rewrites_no_timeline_or_export(write_scene) -> None:
    """Every built-in format, AAF included, through the build's path."""
    scene = write_scene(MINIMAL)
    out = scene.parent / "out"
    first = previz.build(scene, out=out, formats=["all"])
    products = [p for p in out.iterdir() if p.suffix not in (".mp4", ".json") and p.is_file()]
    assert {"timeline.otio", "timeline.aaf", "timeline.V1.edl"} <= {p.name for p in products}
    before = identities(products)
    again = previz.build(scene, out=out, formats=["all"])
    assert (first.ok, again.ok, again.rewritten) == (True, True, [])
    assert identities(products) == before


def test_a_rebuild_that_takes_everything_from_the_cache_leaves_the_summary(write_scene) -> None:
    """build.json keeps the counters of the run that made the cut (2 generated): the next run
    found every clip cached and spent nothing, so it rewrites no file, summary and page included."""
    scene = write_scene(MINIMAL)
    out = scene.parent / "out"
    previz.build(scene, out=out, formats=["otio"])  # generated: 2
    files = [p for p in out.rglob("*") if p.is_file()]
    before = identities(files)
    again = previz.build(scene, out=out, formats=["otio"])  # cached: 2, nothing else differs
    assert (again.report.cached, again.report.generated) == (2, 0)
    assert identities(files) == before
    assert json.loads((out / "build.json").read_text())["generated"] == 2


def test_the_build_summary_is_rewritten_when_the_cut_changes(write_scene) -> None:
    scene = write_scene(MINIMAL)
    out = scene.parent / "out"
    previz.build(scene, out=out, formats=["otio"])
    previz.build(scene, out=out, formats=["otio", "edl"])  # the same clips, another export
    assert "edl" in json.loads((out / "build.json").read_text())["exports"]


def test_exports_take_the_frame_size_from_recorded_facts_without_opening_media(
    cut: otio.schema.Timeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import av

    def no_media(*args: object, **kwargs: object) -> None:
        raise AssertionError("media opened")

    unsized = cut.deepcopy()
    unsized.metadata.get("previz", {}).pop("resolution", None)
    for clip in unsized.find_clips():
        clip.metadata.setdefault("previz", {}).update(width=320, height=180)
    monkeypatch.setattr(av, "open", no_media)
    written = export_products(unsized, tmp_path, ["fcpxml", "kdenlive"])
    assert written.rewritten == ["fcpxml", "kdenlive"]
    assert 'width="320"' in written.files["fcpxml"][0].read_text()
