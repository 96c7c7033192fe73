"""The formats of one export share the prepared cut, so no built-in writer may change it."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from previz.timeline.export import BUILTIN, Prepared, export_products, write_format
from previz.timeline.formats import ExportContext, Format, register_format, unregister_format
from tests.export_cases import CASES, RELATIVE_TO

MEDIA_FREE = [name for name in BUILTIN if name not in ("otioz", "aaf")]  # these open the media


@pytest.mark.parametrize("fmt", MEDIA_FREE)
def test_a_built_in_writer_leaves_the_cut_it_is_given_unchanged(fmt: str, tmp_path: Path) -> None:
    timeline = CASES["cut-29.97"]()
    before = timeline.to_json_string()
    relative = RELATIVE_TO if BUILTIN[fmt].relative_media else None
    write_format(Prepared(timeline), tmp_path, "t", BUILTIN[fmt], ExportContext(320, 180, relative))
    assert timeline.to_json_string() == before


def test_a_cut_whose_media_already_follows_the_policy_is_not_copied() -> None:
    timeline = CASES["representative"]()
    prepared = Prepared(timeline)
    assert prepared.for_writer(BUILTIN["edl"], None) is timeline
    relative = prepared.for_writer(BUILTIN["kdenlive"], RELATIVE_TO)
    assert relative is not timeline
    assert relative.find_clips()[0].media_reference.target_url.startswith("../")


def test_a_plugin_writer_that_changes_its_cut_changes_no_other_format(tmp_path: Path) -> None:
    def vandal(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
        for clip in timeline.find_clips():
            clip.name = "vandalised"
        path.write_text("x")

    register_format(Format("vandal", ".vandal", "a test", vandal))
    try:
        export_products(CASES["short-25"](), tmp_path, ["vandal", "kdenlive"], parallel=False)
    finally:
        unregister_format("vandal")
    assert "vandalised" not in (tmp_path / "timeline.kdenlive").read_text()


@pytest.mark.parametrize("frozen_before", [False, True])
def test_an_export_leaves_the_collector_as_it_found_it(frozen_before: bool, tmp_path: Path) -> None:
    """Writing in this process freezes the cut for the writers (asked once per call whether
    anything was frozen): nothing stays frozen that was not, nothing frozen before is thawed."""
    import gc

    gc.unfreeze()
    if frozen_before:
        gc.freeze()
    before = gc.get_freeze_count()
    try:
        export_products(CASES["cut-24"](), tmp_path, ["otio", "fcp7", "edl"], parallel=False)
        after = gc.get_freeze_count()
    finally:
        gc.unfreeze()
    assert (after >= before > 0) if frozen_before else after == 0
