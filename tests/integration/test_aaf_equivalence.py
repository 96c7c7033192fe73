"""The AAF writer makes the file the OTIO adapter path made, structure for structure.

``previz.timeline.aaf`` lays AAF objects out itself (pyaaf2's encodings, its own compound-file
writer); ``tests/aaf_reference.py`` is the path it replaced (``otio_aaf_adapter`` plus the pyaaf2
marker pass). For a varied set of cuts both files are read back with pyaaf2 and compared object
by object (``tests/aaf_structure.py``): mobs, slots, sequences, source clips and what they
reach, fillers, dissolves, timecode, markers, comments, locators, rates, lengths, the
dictionary's definitions and the header. Only mob ids (random) and timestamps differ.
"""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from previz.shotlist.loader import from_data
from previz.timeline import aaf, assemble
from tests.aaf_reference import write_reference
from tests.aaf_structure import structure
from tests.export_cases import CASES
from tests.timeline_fixtures import RATES, assembled_cut, representative_timeline
from tests.transition_fixtures import edges_cut

MORE_RATES = {**RATES, "25": Fraction(25), "29.97": Fraction(30000, 1001)}


def _same_structure(timeline: otio.schema.Timeline, folder: Path) -> None:
    old, new = folder / "adapter.aaf", folder / "previz.aaf"
    write_reference(timeline, old)
    aaf.write(timeline, new)
    expected, written = structure(old), structure(new)
    assert written["header"] == expected["header"]
    assert written["dictionary"] == expected["dictionary"]
    assert len(written["mobs"]) == len(expected["mobs"])
    for ours, theirs in zip(written["mobs"], expected["mobs"], strict=True):
        assert ours == theirs


@pytest.mark.parametrize("label", ["24", "23.976", "25", "29.97"])
def test_the_representative_cut_matches_the_adapter_at_each_rate(
    label: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """Alternate take, gap, dissolve, dialogue track, clip and timeline markers, facts."""
    media = tmp_path_factory.getbasetemp() / "timeline-media" / label
    timeline, _ = representative_timeline(MORE_RATES[label], media)
    _same_structure(timeline, tmp_path)


def test_an_assembled_cut_with_a_failed_shot_matches_the_adapter(
    write_scene: Callable[[str, str], Path], tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
) -> None:  # fmt: skip
    """Nested facts (camera, lighting), a placeholder for the failed shot, markers."""
    media = tmp_path_factory.getbasetemp() / "assembled-media" / "1"
    timeline, _ = assembled_cut(write_scene, media, Fraction(24))
    _same_structure(timeline, tmp_path)


@pytest.mark.parametrize("label", ["24", "29.97"])
def test_fades_dissolves_stems_and_gaps_match_the_adapter(
    label: str, write_scene: Callable[[str, str], Path], tmp_path: Path
) -> None:
    """Fade in and out (dissolves against empty gaps), stem tracks, an editor's gap."""
    timeline, _, _ = edges_cut(write_scene, tmp_path / "media", label, MORE_RATES[label])
    _same_structure(timeline, tmp_path)


def test_a_longer_generated_scene_matches_the_adapter(tmp_path: Path) -> None:
    """bench/export.py's scene at 24 shots: alternates, a dissolve every tenth cut, every
    tenth shot failed, four stems a take, at 23.976 fps."""
    bench = _bench_export()
    shotlist = from_data(bench.scene_data(24, 23.976, random.Random(3)), base_dir=tmp_path)
    media = tmp_path / "media"
    media.mkdir()
    timeline = assemble(shotlist, bench.clips_for(shotlist, media))
    _same_structure(timeline, tmp_path)


def _bench_export() -> object:
    path = Path(__file__).resolve().parents[2] / "bench" / "export.py"
    spec = importlib.util.spec_from_file_location("bench_export", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_markers_at_another_rate_or_on_a_clip_without_source_range_match_the_adapter(
    tmp_path: Path,
) -> None:
    """A marker is placed from the cut's JSON when its times are at the cut's rate; one at
    another rate, or on a clip whose range is its media's, is placed through OTIO."""
    timeline = CASES["representative"]()
    v1 = next(track for track in timeline.tracks if track.name == "V1")
    clips = v1.find_clips()
    clips[1].markers.append(otio.schema.Marker(name="at 48", marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(7, 48), otio.opentime.RationalTime(2, 48))))  # fmt: skip
    whole = clips[2]
    assert whole.media_reference.available_range is not None
    whole.source_range = None
    five = otio.opentime.RationalTime(5, whole.duration().rate)
    whole.markers.append(
        otio.schema.Marker(name="on the whole take", marked_range=otio.opentime.TimeRange(five))
    )
    _same_structure(timeline, tmp_path)
