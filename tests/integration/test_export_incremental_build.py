"""A rebuild after a one-shot change writes its text exports from the last build's fragments,
and they are the documents a fresh export of the same cut writes, byte for byte."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

import previz
from previz.products import ProductStore
from previz.timeline.export import export_products
from tests.integration.test_rebuild import THREE_SHOTS

TEXT = ["otio", "fcpxml", "edl", "kdenlive", "fcp7"]


def test_a_rebuilds_incremental_exports_are_a_fresh_exports(write_scene, tmp_path: Path) -> None:
    scene = write_scene(THREE_SHOTS)
    out = scene.parent / "out"
    assert previz.build(scene, out=out, formats=TEXT).ok
    memos = sorted(p.name for p in ProductStore(out).records.glob("*.fragments"))
    assert memos == ["timeline.edl.fragments", "timeline.fcpxml.fragments",
                     "timeline.kdenlive.fragments", "timeline.otio.fragments",
                     "timeline.xml.fragments"]  # fmt: skip
    scene.write_text(scene.read_text().replace("Ben arrives.", "Ben bursts in."))
    result = previz.build(scene, out=out, formats=TEXT)
    assert result.ok
    cut = otio.adapters.read_from_file(str(out / "timeline.otio"))
    fresh = export_products(cut, tmp_path / "fresh", TEXT, parallel=False).files
    for fmt in TEXT:
        written = {p.name: p.read_bytes() for p in result.exports[fmt]}
        assert written == {p.name: p.read_bytes() for p in fresh[fmt]}, fmt
