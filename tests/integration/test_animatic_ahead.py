"""A changed take's animatic parts are encoded ahead, while the cut is assembled, and the
animatic joined from them is the one a full render gives; a forecast from another cut only
costs its helper, never a wrong part."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import previz
from previz.cli import stamp
from previz.media import parts as parts_module
from previz.media import soundtrack as soundtrack_module
from previz.timeline import ahead
from tests.integration.test_animatic_sequence import THREE_SHOTS

SOUNDED = THREE_SHOTS.replace(  # its stems differ: a part mixed from the wrong one would show
    "        action: They both look up.\n",
    "        action: They both look up.\n        sound:\n"
    "          - {kind: dialogue, speaker: ana, line: Up there!, start: 0.2}\n"
    "          - {kind: sfx, description: a door slams, start: 0.5, duration: 0.25}\n",
)
EDITED = SOUNDED.replace("They both look up.", "They both duck.")


def work_files(project: Path) -> dict[str, bytes]:
    work = project / ".previz" / "work" / "sequence"
    return {p.name: p.read_bytes() for p in work.glob("*/*") if p.is_file()}


def build(project: Path) -> None:
    assert previz.build(project / "scene.yaml", out=project / "out", formats=["otio"]).ok


def full_render(project: Path, into: Path) -> Path:
    """The same project's animatic with every part encoded afresh (takes from its cache)."""
    shutil.copytree(project, into)
    shutil.rmtree(into / ".previz" / "work" / "sequence")
    (into / "out" / "animatic.mp4").unlink()
    build(into)
    return into


def counting(monkeypatch: pytest.MonkeyPatch, calls: list[str]) -> None:
    """Count this process's part encodes, sound mixes and chunk encodes (a forked helper's
    calls land in its own copy of ``calls``)."""
    for owner, name in ((parts_module, "encode_picture"), (parts_module, "_mix_sound"),
                        (soundtrack_module._Chunk, "encode")):  # fmt: skip
        real = getattr(owner, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
    monkeypatch.setattr("previz.media.sequence.encode_picture", parts_module.encode_picture)


@pytest.fixture(scope="module")
def one_shot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A three-shot cut built, then its last shot's action edited and built again while the
    audit recorder of ``previz build`` notes what the build made."""
    project = tmp_path_factory.mktemp("ahead") / "project"
    project.mkdir()
    (project / "scene.yaml").write_text(SOUNDED.lstrip("\n"), encoding="utf-8")
    build(project)
    before = work_files(project)
    (project / "scene.yaml").write_text(EDITED.lstrip("\n"), encoding="utf-8")
    calls: list[str] = []
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(ahead, "core_idle", lambda: True)  # whatever else runs meanwhile
        counting(monkeypatch, calls)
        recorder = stamp.record(["test-ahead"])
        try:
            build(project)
        finally:
            stamp.stop()
    after = work_files(project)
    new = {name for name in after if name not in before}
    full = full_render(project, project.parent / "full")
    return {"project": project, "new": new, "calls": calls, "recorder": recorder,
            "after": after, "full": full}  # fmt: skip


def test_the_changed_shots_parts_are_encoded_ahead_not_by_the_animatic(
    one_shot: dict[str, Any],
) -> None:
    # s3's body, its fade out, its sound and the chunk it falls in: all there, none made here
    assert len(one_shot["new"]) == 4
    assert one_shot["calls"] == []


def test_the_parts_made_ahead_are_the_builds_own_to_its_stamp(one_shot: dict[str, Any]) -> None:
    work = one_shot["project"] / ".previz" / "work" / "sequence"
    made = {str(path) for path in work.glob("*/*") if path.name in one_shot["new"]}
    assert made <= one_shot["recorder"].created


def test_parts_made_ahead_join_the_animatic_a_full_render_gives(one_shot: dict[str, Any]) -> None:
    full = one_shot["full"]
    fresh = work_files(full)
    assert {name: one_shot["after"][name] for name in one_shot["new"]} == {
        name: fresh[name] for name in one_shot["new"]
    }
    animatic = (one_shot["project"] / "out" / "animatic.mp4").read_bytes()
    assert animatic == (full / "out" / "animatic.mp4").read_bytes()


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(  # every later part moves (its record timecode is burnt in)
            lambda text: text.replace("        duration: 1\n", "        duration: 2\n", 1),
            id="a-shot-longer",
        ),
        pytest.param(lambda text: text.replace("fps: 24", "fps: 25"), id="another-rate"),
    ],
)
def test_a_forecast_from_another_cut_joins_what_a_full_render_gives(
    tmp_path: Path, edit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ahead, "core_idle", lambda: True)
    project = tmp_path / "project"
    project.mkdir()
    (project / "scene.yaml").write_text(SOUNDED.lstrip("\n"), encoding="utf-8")
    build(project)
    (project / "scene.yaml").write_text(edit(EDITED).lstrip("\n"), encoding="utf-8")
    build(project)
    full = full_render(project, tmp_path / "full")
    animatic = (project / "out" / "animatic.mp4").read_bytes()
    assert animatic == (full / "out" / "animatic.mp4").read_bytes()
