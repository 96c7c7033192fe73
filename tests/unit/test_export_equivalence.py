"""Every writer writes, byte for byte, the document its previous version wrote for the same cut.

The golden documents in ``tests/data/golden/exports/`` were written from ``tests.export_cases``
by the FCPXML, Kdenlive and EDL writers before they were rewritten for speed; a rewrite must
not change a byte of what an editor imports.
"""

from __future__ import annotations

import json
from pathlib import Path

import opentimelineio as otio
import pytest

from previz.timeline import export_timeline, otioz
from tests.export_cases import CASES, GOLDEN, bundle_summary, with_media_files, write_all


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_writer_writes_the_golden_documents_of_the_case(case: str, tmp_path: Path) -> None:
    written = write_all(tmp_path, case, CASES[case]())
    golden = sorted(p.name for p in (GOLDEN / case).iterdir())
    assert sorted(p.name for p in written) == golden
    changed = [p.name for p in written if p.read_bytes() != (GOLDEN / case / p.name).read_bytes()]
    assert changed == []


@pytest.mark.parametrize("case", ["cut-23.976", "representative"])
def test_the_otioz_bundle_holds_the_golden_members_and_timeline(case: str, tmp_path: Path) -> None:
    timeline = with_media_files(CASES[case](), tmp_path / "media")
    otioz.write(timeline, tmp_path / "cut.otioz")
    golden = json.loads((GOLDEN / "otioz.json").read_text())[case]
    assert bundle_summary(tmp_path / "cut.otioz") == golden


@pytest.mark.parametrize("case", ["cut-29.97", "representative"])
def test_the_otio_export_is_what_otios_adapter_writes(case: str, tmp_path: Path) -> None:
    """The ``.otio`` writer calls OTIO's JSON writer directly (no plugin manifest to load)
    and writes its text: the same bytes as through ``otio.adapters.write_to_file``, names
    outside ASCII included."""
    timeline = CASES[case]()
    timeline.name = "Scène 12 — « la fuite » 🎬"
    reference = tmp_path / "adapter.otio"
    otio.adapters.write_to_file(timeline, str(reference), adapter_name="otio_json")
    written = export_timeline(timeline, tmp_path / "out", ["otio"])["otio"]
    assert [p.read_bytes() for p in written] == [reference.read_bytes()]
