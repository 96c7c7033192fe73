"""When a build writes build.json and the review page: on a rebuild, once ``timeline.otio`` is
written, while the other exports are written and the animatic is joined (the same bytes as
after them); on a first build, after them; and when an export or the animatic fails after
them, build.json is put back and the page is no longer recorded as current."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import opentimelineio as otio
import pytest

import previz
from previz.errors import MediaError, TimelineError
from previz.media import find_ffmpeg
from previz.products import ProductStore
from previz.review import write_review
from previz.review.page import PRODUCT, inputs_key
from previz.timeline.formats import ExportContext, Format, register_format, unregister_format
from tests.scene_text import MINIMAL

SMALL = MINIMAL.replace("resolution: 320x180", "resolution: 160x90")
FORMATS = ["otio", "edl"]


def mux_wrapper(folder: Path, *, action: str) -> Path:
    """The real ffmpeg behind a script doing ``action`` (shell) before each run that encodes a
    picture part of the animatic (the animatic is joined from the parts in-process, right
    after them: delaying or failing a part delays or fails the animatic)."""
    script = folder / "ffmpeg-mux"
    script.write_text(
        "#!/bin/sh\nfor out; do :; done\n"
        f'case "$out" in */sequence/picture/*) {action};; esac\n'
        f'exec "{find_ffmpeg()}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def page_files(out: Path) -> dict[Path, bytes]:
    folder = out / "review"
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def built(write_scene) -> Path:  # type: ignore[no-untyped-def]
    scene = write_scene(SMALL)
    assert previz.build(scene, out=scene.parent / "out", formats=FORMATS).ok
    scene.write_text(scene.read_text().replace("Ben arrives.", "Ben runs in."))  # one shot
    return scene


def test_a_rebuild_writes_build_json_and_the_page_while_the_animatic_is_joined(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = built.parent / "out"
    monkeypatch.setenv("PREVIZ_FFMPEG", str(mux_wrapper(built.parent, action="sleep 1")))
    assert previz.build(built, out=out, formats=FORMATS).ok
    joined = (out / "animatic.mp4").stat().st_mtime_ns
    assert (out / "build.json").stat().st_mtime_ns < joined
    assert (out / "review" / "index.html").stat().st_mtime_ns < joined
    written = page_files(out)
    shutil.rmtree(out / "review")
    write_review(out)  # the page of the finished folder, animatic and all
    assert page_files(out) == written


def test_a_first_build_writes_the_page_after_the_animatic(
    write_scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    scene = write_scene(SMALL)
    monkeypatch.setenv("PREVIZ_FFMPEG", str(mux_wrapper(tmp_path, action="sleep 0.2")))
    out = scene.parent / "out"
    assert previz.build(scene, out=out, formats=FORMATS).ok
    page = out / "review" / "index.html"
    assert page.stat().st_mtime_ns > (out / "animatic.mp4").stat().st_mtime_ns
    assert '<video id="player" src="../animatic.mp4"' in page.read_text("utf-8")


def test_an_animatic_failing_after_them_puts_build_json_back_and_unrecords_the_page(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = built.parent / "out"
    summary, animatic = (out / "build.json").read_bytes(), (out / "animatic.mp4").read_bytes()
    failing = mux_wrapper(built.parent, action="sleep 0.5; echo 'part refused' >&2; exit 1")
    monkeypatch.setenv("PREVIZ_FFMPEG", str(failing))
    with pytest.raises(MediaError, match="part refused"):
        previz.build(built, out=out, formats=FORMATS)
    assert (out / "build.json").read_bytes() == summary
    assert (out / "animatic.mp4").read_bytes() == animatic
    assert not ProductStore(out / "review").current(PRODUCT, inputs_key(out))
    assert not [p.name for p in out.iterdir() if p.name.startswith(".animatic-")]


class Witness:
    """A format whose writer notes build.json and the page as they are when it runs (after
    ``timeline.otio``), and fails when told to."""

    def __init__(self) -> None:
        self.seen: list[tuple[bytes, bytes]] = []
        self.fail = False

    def write(self, timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
        out = path.parent
        self.seen.append((_bytes(out / "build.json"), _bytes(out / "review" / "index.html")))
        if self.fail:
            raise RuntimeError("witness refused")
        path.write_text(timeline.name, encoding="utf-8")


def _bytes(path: Path) -> bytes:
    return path.read_bytes() if path.is_file() else b""


@pytest.fixture
def witness() -> Iterator[Witness]:
    one = Witness()
    register_format(Format("witness", ".witness", "a test", one.write, cost=0.1))
    try:
        yield one
    finally:
        unregister_format("witness")


@pytest.fixture
def witnessed(write_scene, witness: Witness) -> Path:  # type: ignore[no-untyped-def]
    scene = write_scene(SMALL)
    assert previz.build(scene, out=scene.parent / "out", formats=[*FORMATS, "witness"]).ok
    scene.write_text(scene.read_text().replace("Ben arrives.", "Ben runs in."))  # one shot
    return scene


def test_a_rebuild_writes_build_json_and_the_page_before_the_exports_but_the_otio(
    witnessed: Path, witness: Witness
) -> None:
    out = witnessed.parent / "out"
    assert previz.build(witnessed, out=out, formats=[*FORMATS, "witness"]).ok
    summary, page = witness.seen[-1]
    assert summary == (out / "build.json").read_bytes()
    assert page == (out / "review" / "index.html").read_bytes()
    assert b"Ben runs in." in page


def test_an_export_failing_after_them_puts_build_json_back_and_unrecords_the_page(
    witnessed: Path, witness: Witness
) -> None:
    out = witnessed.parent / "out"
    summary = (out / "build.json").read_bytes()
    witness.fail = True
    with pytest.raises(TimelineError, match="witness refused"):
        previz.build(witnessed, out=out, formats=[*FORMATS, "witness"])
    assert b"Ben runs in." in witness.seen[-1][1]  # the page was written before the export
    assert (out / "build.json").read_bytes() == summary
    assert not ProductStore(out / "review").current(PRODUCT, inputs_key(out))
