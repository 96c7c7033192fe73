"""previz's FCP7 writer writes, byte for byte, the document the adapter path wrote.

The golden files in ``tests/data/fcp7`` were written by the path previz used before it wrote
FCP7 XML itself (``otio-fcp-adapter`` with minidom pretty printing, then lxml fix-up passes),
for the cuts of ``tests/fcp7_cases.py`` and ``tests/export_cases.py``: dissolves, fades in and
out (also at the head and the tail), gaps, placeholders for failed shots, an alternates track,
clip and timeline markers, four sound stems and mixed sound, 23.976/24/25/29.97 fps, one shot
and a long cut, an editor's edit through OTIO, and hand-made OTIO with back-references.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import opentimelineio as otio
import pytest

from previz.errors import TimelineError
from previz.timeline import fcp7
from previz.timeline.export import frame_size
from tests import export_cases, fcp7_cases

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "fcp7"
CASES: dict[str, tuple[Callable[[], otio.schema.Timeline], tuple[int, int] | None]] = {
    **{name: (build, (320, 180)) for name, build in fcp7_cases.CASES.items()},
    **{f"exports-{name}": (build, None) for name, build in export_cases.CASES.items()},
}


def _golden(name: str) -> bytes:
    plain = GOLDEN / f"{name}.xml"
    if plain.exists():
        return plain.read_bytes()
    return gzip.decompress((GOLDEN / f"{name}.xml.gz").read_bytes())


@pytest.mark.parametrize("name", list(CASES))
def test_the_document_is_the_one_the_adapter_path_wrote(name: str, tmp_path: Path) -> None:
    build, size = CASES[name]
    timeline = build()
    width, height = size or frame_size(timeline)
    path = tmp_path / "timeline.xml"
    fcp7.write(timeline, path, width=width, height=height)
    assert path.read_bytes() == _golden(name)


def test_every_golden_file_has_its_case() -> None:
    names = {p.name.removesuffix(".gz").removesuffix(".xml") for p in GOLDEN.iterdir()}
    assert names == set(CASES)


def test_a_nested_stack_is_refused_with_its_name(tmp_path: Path) -> None:
    timeline = otio.schema.Timeline(name="nested")
    track = otio.schema.Track(name="V1")
    track.append(otio.schema.Stack(name="compound"))
    timeline.tracks.append(track)
    with pytest.raises(TimelineError, match="compound"):
        fcp7.write(timeline, tmp_path / "t.xml", width=64, height=36)


def test_a_control_character_xml_cannot_hold_is_refused_with_the_text(tmp_path: Path) -> None:
    timeline = fcp7_cases.one_shot()
    timeline.find_clips()[0].name = "sh0010\x0b"
    with pytest.raises(TimelineError, match="sh0010"):
        fcp7.write(timeline, tmp_path / "t.xml", width=64, height=36)
