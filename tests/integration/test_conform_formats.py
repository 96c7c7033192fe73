"""Conform reads the edit back from every format previz exports and OTIO's own adapters write.

One build; the editor's changes are made through OTIO's API (``tests/conform_fixtures.py``),
written through each writer, then conformed. The scene file must come out exactly as
:data:`~tests.conform_fixtures.CONFORMED`: each change on its line, every other byte as it was.
Where a format cannot carry something, the case says so: the marker's comment (FCP7, FCPXML,
xges keep its name only; an EDL LOC is upper case; OTIO's AAF adapter drops markers), the speed
change (only OTIO and EDL carry it; the others' writers drop it) and a title card without media
(FCPXML, xges and EDL writers leave it out).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio
import pytest

import previz
from previz.conform import conform
from previz.timeline import export_timeline
from previz.timeline.export import BUILTIN
from tests.conform_fixtures import SCENE, conformed, edit_the_cut, picture

Writer = Callable[[otio.schema.Timeline, Path], Path]


def previz_writer(fmt: str) -> Writer:
    def write(timeline: otio.schema.Timeline, folder: Path) -> Path:
        paths = export_timeline(timeline, folder, [fmt])[fmt]
        return next(p for p in paths if ".V1." in p.name) if fmt == "edl" else paths[0]

    return write


def adapter_writer(adapter: str, suffix: str, **options: object) -> Writer:
    def write(timeline: otio.schema.Timeline, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"edited{suffix}"
        if adapter == "cmx_3600":  # OTIO's EDL writer takes one picture track
            only = otio.schema.Timeline(name=timeline.name)
            only.tracks.append(picture(timeline).clone())
            timeline = only
        otio.adapters.write_to_file(timeline, str(path), adapter_name=adapter, **options)
        return path

    return write


@dataclass(frozen=True)
class Case:
    write: Writer
    note: str | None
    speed: bool = True  # the format carries the speed change
    title: bool = True  # the format carries the title card


FULL, NAME = "tighten: hold less on the empty hallway", "tighten"
CASES = {
    "previz-otio": Case(previz_writer("otio"), FULL),
    "previz-otioz": Case(previz_writer("otioz"), FULL),
    "previz-fcp7": Case(previz_writer("fcp7"), NAME, speed=False),
    "previz-fcpxml": Case(previz_writer("fcpxml"), NAME, speed=False, title=False),
    "previz-edl": Case(previz_writer("edl"), "TIGHTEN", title=False),
    "previz-aaf": Case(previz_writer("aaf"), NAME, speed=False),
    "previz-xges": Case(previz_writer("xges"), NAME, speed=False, title=False),
    "previz-kdenlive": Case(previz_writer("kdenlive"), FULL, speed=False),
    "otio-otio_json": Case(adapter_writer("otio_json", ".otio"), FULL),
    "otio-otioz": Case(adapter_writer("otioz", ".otioz"), FULL),
    "otio-fcp_xml": Case(adapter_writer("fcp_xml", ".xml"), NAME, speed=False),
    "otio-fcpx_xml": Case(adapter_writer("fcpx_xml", ".fcpxml"), NAME, speed=False),
    "otio-cmx_3600": Case(adapter_writer("cmx_3600", ".edl"), "TIGHTEN", title=False),
    "otio-AAF": Case(adapter_writer("AAF", ".aaf", use_empty_mob_ids=True), None, speed=False),
    "otio-xges": Case(adapter_writer("xges", ".xges"), NAME, speed=False, title=False),
}


def test_every_exporter_previz_has_is_conformed() -> None:
    assert {name.removeprefix("previz-") for name in CASES if name.startswith("previz-")} == set(
        BUILTIN
    )


def test_a_final_cut_bundle_is_read_through_its_info_file(
    built: Path, scene: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "cut.fcpxmld"
    bundle.mkdir()
    written = previz_writer("fcpxml")(edited_timeline(built), tmp_path / "edited")
    written.rename(bundle / "Info.fcpxml")
    conform(bundle, scene, apply=True)
    assert scene.read_bytes() == conformed(NAME).encode()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project built once (animatic, tiny frames): its folder holds scene.yaml and out/."""
    folder = tmp_path_factory.mktemp("conform")
    (folder / "scene.yaml").write_text(SCENE, encoding="utf-8")
    previz.build(folder / "scene.yaml", formats=["otio"], out=folder / "out")
    return folder


@pytest.fixture
def scene(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "scene.yaml"
    shutil.copyfile(built / "scene.yaml", copy)
    return copy


def edited_timeline(built: Path, *, speed: bool = True) -> otio.schema.Timeline:
    timeline = otio.adapters.read_from_file(str(built / "out" / "timeline.otio"))
    return edit_the_cut(timeline, speed=speed)


@pytest.mark.parametrize("name", list(CASES))
def test_every_change_lands_and_nothing_else_moves(
    name: str, built: Path, scene: Path, tmp_path: Path
) -> None:
    case = CASES[name]
    edited = case.write(edited_timeline(built), tmp_path / "edited")
    result = conform(edited, scene, apply=True)
    assert scene.read_bytes() == conformed(case.note).encode()
    speed = [u for u in result.plan.unexpressed if "speed" in u.what]
    assert [u.shot_id for u in speed] == (["s3"] if case.speed else [])
    titles = [u for u in result.plan.unknown if "TITLE CARD" in u.name]
    if case.title:
        assert [u.timecode for u in titles] == ["01:00:03:19"]


def test_a_preview_changes_nothing_and_shows_the_diff(
    built: Path, scene: Path, tmp_path: Path
) -> None:
    edited = previz_writer("otio")(edited_timeline(built), tmp_path / "edited")
    result = conform(edited, scene)
    assert scene.read_text() == SCENE and not result.applied
    assert "+        clip_in: 3f\n" in result.diff
    assert ("s1", "duration", "1s", "19f") in [(c.shot_id, c.field, c.old, c.new)
                                              for c in result.rows]  # fmt: skip


def test_conforming_the_same_edit_twice_changes_nothing_more(
    built: Path, scene: Path, tmp_path: Path
) -> None:
    edited = previz_writer("otio")(edited_timeline(built), tmp_path / "edited")
    conform(edited, scene, apply=True)
    again = conform(edited, scene, apply=True)
    assert again.rows == [] and not again.applied


def test_the_kdenlive_adapter_without_speed_changes(
    built: Path, scene: Path, tmp_path: Path
) -> None:
    # OTIO's deprecated kdenlive adapter turns a speed-changed clip into an unknown producer
    edited = adapter_writer("kdenlive", ".kdenlive")(
        edited_timeline(built, speed=False), tmp_path / "edited"
    )
    conform(edited, scene, apply=True)
    assert scene.read_bytes() == conformed(None).encode()
