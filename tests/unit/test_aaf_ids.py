"""The AAF's mob ids and time stamps: derived from the cut, so the same cut gives the same file.

A clip's three mobs take their ids from its media (so a new build's master clips are the ones
an editor already has in an Avid bin); two clips of one cut showing the same media still get
mobs of their own; different media never share an id.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import aaf2
import opentimelineio as otio
import pytest

from previz.timeline import aaf
from tests.export_cases import CASES


def _master_ids(path: Path) -> dict[str, str]:
    """Each master mob's id by the URL of the media it reaches."""
    found: dict[str, str] = {}
    with aaf2.open(str(path)) as handle:
        mobs = {mob.mob_id: mob for mob in handle.content.mobs}
        for master in handle.content.mastermobs():
            file_mob = mobs[master.slots[0].segment.mob_id]
            locators = list(file_mob.descriptor["Locator"].value or [])
            url = locators[0]["URLString"].value if locators else f"none:{master.name}"
            found[url] = str(master.mob_id)
    return found


def _every_id(path: Path) -> list[str]:
    with aaf2.open(str(path)) as handle:
        return [str(mob.mob_id) for mob in handle.content.mobs]


def _clip(name: str, url: str, frames: int = 24) -> otio.schema.Clip:
    span = otio.opentime.TimeRange(duration=otio.opentime.RationalTime(frames, 24))
    return otio.schema.Clip(
        name=name,
        media_reference=otio.schema.ExternalReference(target_url=url, available_range=span),
        source_range=span,
    )


def _cut(*clips: otio.schema.Clip) -> otio.schema.Timeline:
    track = otio.schema.Track(name="V1")
    track.extend(clips)
    timeline = otio.schema.Timeline(name="cut")
    timeline.tracks.append(track)
    return timeline


@pytest.mark.parametrize("case", sorted(CASES))
def test_two_writes_of_the_same_cut_are_byte_identical(case: str, tmp_path: Path) -> None:
    timeline = CASES[case]()
    aaf.write(timeline, tmp_path / "one.aaf")
    aaf.write(timeline, tmp_path / "two.aaf")
    assert (tmp_path / "one.aaf").read_bytes() == (tmp_path / "two.aaf").read_bytes()


def test_a_take_keeps_its_master_clip_when_the_cut_around_it_changes(tmp_path: Path) -> None:
    first = _cut(_clip("sh010", "file:///m/a.mp4"), _clip("sh020", "file:///m/b.mp4"))
    second = _cut(_clip("sh005", "file:///m/c.mp4"), _clip("sh020", "file:///m/b.mp4", 12),
                  _clip("sh010 renamed", "file:///m/a.mp4"))  # fmt: skip
    second.tracks[0][1].source_range = otio.opentime.TimeRange(
        duration=otio.opentime.RationalTime(12, 24)
    )  # trimmed: the same media, shown shorter
    aaf.write(first, tmp_path / "first.aaf")
    aaf.write(second, tmp_path / "second.aaf")
    before, after = _master_ids(tmp_path / "first.aaf"), _master_ids(tmp_path / "second.aaf")
    assert after["file:///m/a.mp4"] == before["file:///m/a.mp4"]
    assert after["file:///m/c.mp4"] not in before.values()


def test_other_media_gets_another_master_clip(tmp_path: Path) -> None:
    aaf.write(_cut(_clip("sh010", "file:///m/a.mp4")), tmp_path / "one.aaf")
    aaf.write(_cut(_clip("sh010", "file:///m/a_take2.mp4")), tmp_path / "two.aaf")
    assert set(_every_id(tmp_path / "one.aaf")).isdisjoint(_every_id(tmp_path / "two.aaf"))


def test_the_same_media_twice_in_a_cut_gets_mobs_of_its_own(tmp_path: Path) -> None:
    cut = _cut(_clip("sh010", "file:///m/a.mp4"), _clip("sh010", "file:///m/a.mp4"),
               _clip("sh020", "file:///m/b.mp4"))  # fmt: skip
    aaf.write(cut, tmp_path / "cut.aaf")
    ids = _every_id(tmp_path / "cut.aaf")
    assert len(ids) == 1 + 3 * 3
    assert Counter(ids).most_common(1)[0][1] == 1


@pytest.mark.parametrize("case", ["representative", "cut-29.97"])
def test_no_mob_id_repeats_in_a_varied_cut(case: str, tmp_path: Path) -> None:
    aaf.write(CASES[case](), tmp_path / "cut.aaf")
    ids = _every_id(tmp_path / "cut.aaf")
    assert len(ids) > 3
    assert len(ids) == len(set(ids))


def _placeholder_cut(timeline_name: str) -> otio.schema.Timeline:
    """A cut of one clip without media (a failed shot's placeholder), named ``timeline_name``."""
    span = otio.opentime.TimeRange(duration=otio.opentime.RationalTime(24, 24))
    cut = _cut(otio.schema.Clip(name="sh010", media_reference=otio.schema.MissingReference(),
                                source_range=span))  # fmt: skip
    cut.name = timeline_name
    return cut


def test_placeholders_of_two_timelines_get_master_clips_of_their_own(tmp_path: Path) -> None:
    aaf.write(_placeholder_cut("scene A"), tmp_path / "a.aaf")
    aaf.write(_placeholder_cut("scene A"), tmp_path / "a_again.aaf")
    aaf.write(_placeholder_cut("scene B"), tmp_path / "b.aaf")
    scene_a, again, scene_b = (_master_ids(tmp_path / f"{n}.aaf") for n in ("a", "a_again", "b"))
    assert scene_a == again  # the same timeline's placeholder: the same master clip
    assert scene_a["none:sh010"] != scene_b["none:sh010"]
