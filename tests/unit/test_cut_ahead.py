"""A cut prepared from the takes at hand, finished once the run is over: the cut of its takes."""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from previz import cut_ahead
from previz.cut_ahead import CutAhead
from previz.placing import Placement
from previz.shotlist.loader import from_data
from previz.timeline.assemble import Assembly, assemble
from tests import export_cases

Takes = dict[tuple[str, int], Any]


@pytest.fixture(scope="module")
def cut() -> tuple[Any, Takes, dict[str, str]]:
    """24 shots at 23.976: alternates, failures, dissolves, fades, stems and mixed sound."""
    shotlist = from_data(export_cases._scene_data(24, "23.976"), base_dir=export_cases.MEDIA)
    failures = {s.id: "content policy" for i, s in enumerate(shotlist.shots) if i % 9 == 4}
    return shotlist, export_cases._takes(shotlist), failures


def _other(take: Any) -> Any:
    """Another take in the same place: longer, from another file."""
    return dataclasses.replace(
        take, duration=take.duration + 0.5, path=take.path.with_suffix(".mov")
    )


def test_a_cut_finished_around_prepared_pieces_is_the_cut_of_its_takes(
    cut: tuple[Any, Takes, dict[str, str]],
) -> None:
    shotlist, takes, failures = cut
    whole = assemble(shotlist, takes, failures=failures).to_json_string()
    keys = sorted(takes)
    prepared = {k: takes[k] if i % 3 else _other(takes[k]) for i, k in enumerate(keys[:-4])}
    assembly = Assembly(shotlist)
    assembly.prepare(prepared)
    assert assembly.finish(takes, failures=failures).to_json_string() == whole
    same = {k[0] for k, v in prepared.items() if v is takes[k]}
    other = {k[0] for k, v in prepared.items() if v is not takes[k]} | {k[0] for k in keys[-4:]}
    assert assembly.reused == len(same - other - set(failures))


def test_a_prepared_shot_whose_media_changed_since_is_built_again(
    cut: tuple[Any, Takes, dict[str, str]],
) -> None:
    shotlist, takes, failures = cut
    assembly = Assembly(shotlist)
    assembly.prepare(takes)
    assembly.forget([shotlist.shots[0].id])
    timeline = assembly.finish(takes, failures=failures)
    assert assembly.reused == len(shotlist.shots) - len(failures) - 1
    assert (
        timeline.to_json_string() == assemble(shotlist, takes, failures=failures).to_json_string()
    )


def _on_disk(takes: Takes, folder: Path) -> Takes:
    """The takes with a small file of their own for the picture and each stem."""
    folder.mkdir()

    def made(path: Path) -> Path:
        (folder / path.name).write_bytes(path.name.encode())
        return folder / path.name

    return {
        k: dataclasses.replace(t, path=made(t.path), stems={r: made(p) for r, p in t.stems.items()})
        for k, t in takes.items()
    }


def test_placing_says_which_shots_files_it_wrote_or_found_linked(
    cut: tuple[Any, Takes, dict[str, str]], tmp_path: Path
) -> None:
    _, takes, _ = cut
    takes = _on_disk(takes, tmp_path / "cache")
    placement = Placement(tmp_path / "out")
    placed, moved = placement.place(takes)
    assert moved == {shot for shot, _ in takes}
    first = min(placed)
    os.unlink(placed[first].path)
    os.symlink(takes[first].path, placed[first].path)  # the same file, through a link
    assert placement.place(takes)[1] == {first[0]}


def test_a_cut_prepared_before_its_takes_are_placed_references_them_as_placed(
    cut: tuple[Any, Takes, dict[str, str]], tmp_path: Path
) -> None:
    shotlist, takes, failures = cut
    takes = _on_disk(takes, tmp_path / "cache")
    out = tmp_path / "out"
    Placement(out).place(takes)
    first = min(takes)
    placed_first = out / "clips" / takes[first].path.name
    placed_first.unlink()
    placed_first.symlink_to(takes[sorted(takes)[1]].path)  # another take's file
    ahead = CutAhead(shotlist, out)
    ahead.start(takes)
    timeline = ahead.assemble(ahead.place(takes), failures)  # the link replaced by the take
    expected = assemble(shotlist, Placement(out).place(takes)[0], failures=failures)
    assert timeline.to_json_string() == expected.to_json_string()


class _NoThreads(threading.Thread):
    def start(self) -> None:
        raise RuntimeError("can't start new thread")


def test_a_cut_with_no_thread_to_prepare_it_is_made_after_the_run(
    cut: tuple[Any, Takes, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shotlist, takes, failures = cut
    takes = _on_disk(takes, tmp_path / "cache")
    monkeypatch.setattr(cut_ahead.threading, "Thread", _NoThreads)
    ahead = cut_ahead.CutAhead(shotlist, tmp_path / "out")
    ahead.start(takes)  # the run goes on
    timeline = ahead.assemble(ahead.place(takes), failures)
    expected = assemble(shotlist, Placement(tmp_path / "out").place(takes)[0], failures=failures)
    assert timeline.to_json_string() == expected.to_json_string()
