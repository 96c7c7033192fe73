"""An unchanged ``previz build`` is answered from its stamp; any change makes it build again.

Each test builds a small project through :func:`previz.cli.main` (as the console script does):
once to generate, once more to settle and leave the stamp. Whether the stamp still answers is
asked of :func:`previz.cli.stamp.replay` directly; what a rebuild restores is checked by file
identity (inode, mtime), never by timing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from previz.cli import main, stamp
from previz.generate.cache import Cache
from previz.generate.report import JobFailure, RunReport
from previz.pipeline import WAITING_EVENT, _settles

SCENE = """\
schema_version: 1
project: {title: Stamp, fps: 24, resolution: 160x90, templates: templates}
characters:
  - {id: ana, name: Ana, description: a woman with red hair, references: [ana.png]}
scenes:
  - id: sc1
    heading: INT. CAFE - DAY
    shots:
      - {id: s1, action: Ana waits., cast: [ana], duration: 12f}
      - {id: s2, action: Ana leaves., duration: 12f}
"""

Identity = tuple[int, int, int]
DEFAULT_RACY_NS = stamp.RACY_NS


def identities(folder: Path) -> dict[str, Identity]:
    """Every file under ``folder`` with its (inode, mtime_ns, size)."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            seen = path.stat()
            found[str(path.relative_to(folder))] = (seen.st_ino, seen.st_mtime_ns, seen.st_size)
    return found


class Project:
    """A project folder and the ``previz build`` command line run in it."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys
        self.scene, self.out = root / "scene.yaml", root / "out"
        self.argv = ["build", "scene.yaml", "--out", "out", "-f", "otio"]

    def build(self, *extra: str) -> str:
        """Run ``previz build`` through the console-script entry point; return its stdout."""
        self.capsys.readouterr()
        saved = sys.argv
        sys.argv = ["previz", *self.argv, *extra]
        try:
            main()
        except SystemExit as done:
            assert done.code in (0, None), self.capsys.readouterr()
        finally:
            sys.argv = saved
        return self.capsys.readouterr().out

    def current(self) -> bool:
        return stamp.replay(self.argv)


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Project]:
    """Built twice: generated (and stamped), then answered from the stamp."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(stamp, "RACY_NS", 0)  # the scene was written a moment ago
    (tmp_path / "templates").mkdir()
    Image.new("RGB", (8, 8), "red").save(tmp_path / "ana.png")
    made = Project(tmp_path, capsys)
    made.scene.write_text(SCENE, encoding="utf-8")
    assert "2 generated" in made.build()
    assert "0 generated" in made.build()
    yield made
    capsys.readouterr()


def test_an_unchanged_build_answers_from_its_stamp_and_touches_nothing(project: Project) -> None:
    assert project.current()
    before = identities(project.root)
    said = project.build()
    assert identities(project.root) == before
    assert "2 clip(s): 2 from the cache, 0 generated" in said
    assert "timeline.otio (unchanged)" in said


def test_a_touched_scene_with_the_same_text_still_answers(project: Project) -> None:
    os.utime(project.scene)
    assert project.current()


def edit_scene(project: Project) -> None:
    project.scene.write_text(SCENE.replace("Ana leaves.", "Ana runs."), encoding="utf-8")


def edit_reference(project: Project) -> None:
    Image.new("RGB", (8, 8), "blue").save(project.root / "ana.png")


def add_template(project: Project) -> None:
    (project.root / "templates" / "animatic.j2").write_text("{{ shot.action }}", "utf-8")


def edit_pins(project: Project) -> None:
    (project.root / ".previz" / "takes.json").write_text("{}", encoding="utf-8")


def set_variable(project: Project) -> None:
    os.environ["PREVIZ_STAMP_TEST"] = "changed"


@pytest.mark.parametrize(
    "change", [edit_scene, edit_reference, add_template, edit_pins, set_variable]
)
def test_a_changed_input_builds_again(
    project: Project, change: Callable[[Project], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREVIZ_STAMP_TEST", raising=False)
    change(project)
    assert not project.current()


def test_other_arguments_are_not_answered_by_this_stamp(project: Project) -> None:
    assert not stamp.replay([*project.argv, "-f", "edl"])


def test_a_deleted_output_is_restored(project: Project) -> None:
    otio = project.out / "timeline.otio"
    otio.unlink()
    assert not project.current()
    project.build()
    assert otio.is_file()


def test_a_touched_output_is_written_again(project: Project) -> None:
    otio = project.out / "timeline.otio"
    os.utime(otio, ns=(1, 1))
    assert not project.current()
    project.build()
    assert otio.stat().st_mtime_ns != 1


def test_an_evicted_cache_take_is_generated_again(project: Project) -> None:
    record = next((project.root / ".previz" / "cache").rglob("record.json"))
    for path in record.parent.iterdir():
        path.unlink()
    record.parent.rmdir()
    assert not project.current()
    assert "1 generated" in project.build()


def test_a_build_that_generated_is_answered_as_its_rerun(project: Project) -> None:
    """What it generated is cached now: the same command says so and touches nothing."""
    edit_scene(project)
    assert "1 generated" in project.build()
    assert project.current()
    before = identities(project.root)
    assert "2 clip(s): 2 from the cache, 0 generated, $0.00 spent" in project.build()
    assert identities(project.root) == before


def test_a_build_with_a_failed_shot_does_not_settle(project: Project) -> None:
    """A rerun would try the shot again, so nothing may answer for it."""
    failed = RunReport(failures=[JobFailure("s2", 1, "animatic", "ffmpeg failed", True)])
    assert not _settles(project.scene, Cache(project.root / "cache"), failed)
    assert _settles(project.scene, Cache(project.root / "cache"), RunReport(generated=2))


def test_an_input_changed_just_before_the_build_leaves_no_stamp(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stamp, "RACY_NS", 10**12)  # every input counts as just changed
    os.utime(project.out / "build.json", ns=(1, 1))
    project.build()
    assert not project.current()


def test_builds_run_back_to_back_by_a_script_still_stamp(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The racy window counts from each read, not from the start of the build: the scene saved
    a moment before, the previous build's records written a moment before, still a stamp."""
    monkeypatch.setattr(stamp, "RACY_NS", DEFAULT_RACY_NS)  # the fixture turned it off
    edit_scene(project)
    time.sleep(0.1)
    assert "1 generated" in project.build()
    assert project.current()
    assert "0 generated" in project.build()


def test_a_python_scene_script_is_never_stamped(project: Project) -> None:
    script = project.root / "scene.py"
    script.write_text(
        "from pathlib import Path\nimport previz\n"
        "shots = previz.load(Path(__file__).with_name('scene.yaml'))\n",
        encoding="utf-8",
    )
    project.argv = ["build", "scene.py", "--out", "out", "-f", "otio"]
    assert "0 generated" in project.build()
    assert "0 generated" in project.build()
    assert not project.current()


def test_a_build_that_used_the_network_leaves_no_stamp(tmp_path: Path) -> None:
    recorder = stamp.record(["build", str(tmp_path / "scene.yaml")])
    recorder.note("socket.connect", (None, ("127.0.0.1", 80)))
    assert stamp.settle(recorder, tmp_path, [], "", "") is None


def test_a_damaged_stamp_is_ignored_and_the_build_runs(project: Project) -> None:
    path = stamp.stamp_path(project.argv)
    inputs = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(f"{inputs}\n{json.dumps(['not', 'a', 'mapping'])}\n", encoding="utf-8")
    assert not project.current()
    assert "0 generated" in project.build()
    assert project.current()  # and it is stamped again


def test_a_stamp_that_cannot_be_written_does_not_fail_the_build(project: Project) -> None:
    folder = stamp.stamp_path(project.argv).parent
    shutil.rmtree(folder)
    folder.write_text("a file where the stamps' folder would be", encoding="utf-8")
    try:
        assert "0 generated" in project.build()
    finally:
        folder.unlink()


def test_a_file_changed_after_the_build_read_it_leaves_no_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stamp, "RACY_NS", -(10**15))  # clock check off: no ctime is that late
    scene = tmp_path / "scene.yaml"
    scene.write_text("one", encoding="utf-8")
    recorder = stamp.record(["build", str(scene)])
    scene.read_text(encoding="utf-8")  # the audit hook notes it as it was
    subprocess.run(["touch", "-d", "@5", str(scene)], check=True)  # someone else, meanwhile
    assert stamp.settle(recorder, tmp_path / "out", [], "", "") is None


def test_an_event_the_recorder_cannot_read_never_breaks_the_build_and_leaves_no_stamp(
    tmp_path: Path,
) -> None:
    recorder = stamp.record(["build", str(tmp_path / "scene.yaml")])
    sys.audit("subprocess.Popen", None, [], None, None)  # no program named at all
    assert recorder.unsure
    assert stamp.settle(recorder, tmp_path, [], "", "") is None


def _stamped_in(project: Project, *folder: str) -> list[str]:
    """Files under ``folder`` the stamp compares by identity; none of it may be hashed."""
    stamped = stamp.read(stamp.stamp_path(project.argv))
    inside = str(project.root.joinpath(*folder)) + os.sep
    assert not [path for path in stamped["content"] if path.startswith(inside)]
    return [path for path in stamped["exact"] if path.startswith(inside) and os.path.isfile(path)]


def test_a_touched_work_file_builds_again(project: Project) -> None:
    """previz's own files are compared by identity, not hashed like other inputs."""
    edit_scene(project)  # the animatic is made again from the other shot's work files
    project.build()
    read = _stamped_in(project, ".previz", "work")
    assert read
    os.utime(read[0])
    assert not project.current()


def test_a_touched_cache_record_builds_again(project: Project) -> None:
    read = [path for path in _stamped_in(project, ".previz", "cache") if path.endswith(".json")]
    assert read
    os.utime(read[0])
    assert not project.current()


def test_a_stamp_in_one_document_is_not_answered(project: Project) -> None:
    """A stamp whose identities are not on a line of their own (an older layout) means build."""
    path = stamp.stamp_path(project.argv)
    path.write_text(json.dumps(stamp.read(path)), encoding="utf-8")
    assert not project.current()


def test_inputs_checked_while_the_build_waited_are_found_changed_by_the_stamps_next_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build's inputs are checked as it starts waiting for its writers (off its serial
    end); one edited after that check leaves a stamp that does not answer."""
    monkeypatch.setattr(stamp, "RACY_NS", -(10**15))  # clock check off: no ctime is that late
    scene = tmp_path / "scene.yaml"
    scene.write_text("one", encoding="utf-8")
    argv = ["build", str(scene)]
    recorder = stamp.record(argv)
    scene.read_text(encoding="utf-8")
    sys.audit(WAITING_EVENT, str(tmp_path / "out"), [str(tmp_path / ".previz")])
    # someone else edits it after its check, before the build is over
    subprocess.run(["sh", "-c", f"printf three > '{scene}'"], check=True)
    assert stamp.settle(recorder, tmp_path / "out", [], "", "") is not None
    assert not stamp.replay(argv)
