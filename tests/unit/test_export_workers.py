"""Exports written by forked workers, begun before the caller's other work: the same files as
written serially, recorded as products, a worker's error raised in the caller, nothing recorded
when the caller fails before asking for them."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest

from previz.cli import stamp
from previz.errors import TimelineError
from previz.products import ProductStore
from previz.timeline.export import PendingExport, export_products
from previz.timeline.formats import ExportContext, Format, register_format, unregister_format
from tests.export_cases import CASES

FORMATS = ["otio", "fcp7", "fcpxml", "edl", "xges", "kdenlive"]


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_workers_write_the_same_files_as_a_serial_export(tmp_path: Path) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    export_products(CASES["cut-29.97"](), serial, FORMATS, parallel=False)
    written = export_products(CASES["cut-29.97"](), parallel, FORMATS, parallel=True)
    assert sorted(written.rewritten) == sorted(FORMATS)
    assert files(parallel) == files(serial)


def test_what_workers_wrote_is_recorded_so_the_same_cut_writes_nothing(tmp_path: Path) -> None:
    export_products(CASES["cut-29.97"](), tmp_path, FORMATS, parallel=True)
    assert export_products(CASES["cut-29.97"](), tmp_path, FORMATS, parallel=True).rewritten == []


def test_the_caller_works_while_the_workers_write(tmp_path: Path) -> None:
    with PendingExport(CASES["short-25"](), tmp_path, FORMATS, parallel=True) as pending:
        done_meanwhile = (tmp_path / "meanwhile.txt").write_text("x")
        written = pending.result()
    assert done_meanwhile and sorted(written.rewritten) == sorted(FORMATS)


def test_the_workers_have_exited_once_the_block_is_left(tmp_path: Path) -> None:
    """The workers are let go after the result (their exit overlaps the caller's next work),
    and waited for when the block is left: no process outlives the export call."""
    with PendingExport(CASES["short-25"](), tmp_path, FORMATS, parallel=True) as pending:
        pending.result()
        workers = pending.worker_ids
    assert len(workers) == pending.processes > 0
    for worker in workers:  # each one exited and was reaped: no longer a child of this process
        with pytest.raises(ChildProcessError):
            os.waitpid(worker, os.WNOHANG)


def test_a_caller_failing_before_the_result_records_nothing(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError),
        PendingExport(CASES["short-25"](), tmp_path, FORMATS, parallel=True),
    ):
        raise RuntimeError("the animatic failed")
    again = export_products(CASES["short-25"](), tmp_path, FORMATS, parallel=False)
    assert sorted(again.rewritten) == sorted(FORMATS)


def test_a_workers_timeline_error_is_raised_in_the_caller(tmp_path: Path) -> None:
    def broken(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
        raise TimelineError("broken writer", hint="a test")

    register_format(Format("broken", ".broken", "a test", broken))
    try:
        with pytest.raises(TimelineError, match="broken writer"):
            export_products(CASES["short-25"](), tmp_path, ["broken", "kdenlive"], parallel=True)
    finally:
        unregister_format("broken")


def _dying(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    os._exit(3)  # the worker ends there (as if killed), reporting nothing


def _failing(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    raise KeyError("a bug in a plugin writer")


@pytest.mark.parametrize(
    ("writer", "said"), [(_dying, "ended before"), (_failing, "KeyError")], ids=["dies", "raises"]
)
def test_a_worker_that_dies_or_fails_unexpectedly_fails_its_format_in_the_caller(
    tmp_path: Path, writer: Any, said: str
) -> None:
    register_format(Format("odd", ".odd", "a test", writer, cost=10))
    try:
        with PendingExport(CASES["short-25"](), tmp_path, ["odd", "otio"], parallel=True,
                           first=["otio"]) as pending:  # fmt: skip
            assert pending.wait_for("otio") == [tmp_path / "timeline.otio"]
            with pytest.raises(TimelineError, match=said):
                pending.wait_for("odd")
    finally:
        unregister_format("odd")


def _held(timeline: otio.schema.Timeline, path: Path, context: ExportContext) -> None:
    """A slow writer: waits (up to 10 s) for ``go`` beside its file."""
    for _ in range(1000):
        if (path.parent / "go").exists():
            break
        time.sleep(0.01)
    path.write_text(timeline.name, encoding="utf-8")


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two workers (two cores)")
def test_a_format_waited_for_first_is_written_beside_the_longest(tmp_path: Path) -> None:
    """Two slow formats would take both workers; the ``.otio`` asked for first comes after
    the longest only, so it is in while both are still being written."""
    register_format(Format("slow", ".slow", "a test", _held, cost=10))
    register_format(Format("slower", ".slower", "a test", _held, cost=20))
    formats = ["otio", "slow", "slower"]
    try:
        with PendingExport(CASES["short-25"](), tmp_path, formats, parallel=True,
                           first=["otio"]) as pending:  # fmt: skip
            assert pending.wait_for("otio") == [tmp_path / "timeline.otio"]
            assert not (tmp_path / "timeline.slow").exists()
            (tmp_path / "go").touch()
            written = pending.result()
    finally:
        unregister_format("slow")
        unregister_format("slower")
    assert sorted(written.rewritten) == sorted(formats)


def _retaken(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """The first clip given a new take (its file and facts), as a one-shot change does."""
    copy = timeline.deepcopy()
    clip = next(iter(copy.find_clips()))
    clip.metadata["previz"]["cache_key"] = "retaken"
    return copy


BUILD_FORMATS = [*FORMATS, "aaf"]


def test_a_change_written_from_the_memos_takes_one_worker_with_the_otio_first(
    tmp_path: Path,
) -> None:
    """A first write keeps one worker per core; once every format left its memo, one worker
    writes them all (a second would only parse the cut again), the .otio first, and the
    files are those of a write from scratch."""
    first = PendingExport(CASES["cut-29.97"](), tmp_path / "out", BUILD_FORMATS, parallel=True)
    with first:
        first.result()
    changed = _retaken(CASES["cut-29.97"]())
    with PendingExport(changed, tmp_path / "out", BUILD_FORMATS, parallel=True,
                       first=["otio"]) as pending:  # fmt: skip
        assert pending.stale[0][0].name == "otio"
        assert (first.processes, pending.processes) == (min(os.cpu_count() or 1, 7), 1)
        assert sorted(pending.result().rewritten) == sorted(BUILD_FORMATS)
    export_products(changed, tmp_path / "whole", BUILD_FORMATS, parallel=False)
    assert files(tmp_path / "out") == files(tmp_path / "whole")


def test_memos_read_here_and_rewritten_by_the_worker_leave_a_build_its_stamp(
    tmp_path: Path,
) -> None:
    """Choosing one worker reads each memo's head in this process; the worker then rewrites
    the memo. To the stamp of the build (the audit hook sees only this process) the memo is
    the build's own file, not an input changed under it."""
    export_products(CASES["cut-29.97"](), tmp_path, BUILD_FORMATS, parallel=True)
    recorder = stamp.record(["build", str(tmp_path / "scene.yaml")])
    try:
        with PendingExport(_retaken(CASES["cut-29.97"]()), tmp_path, BUILD_FORMATS,
                           parallel=True) as pending:  # fmt: skip
            assert pending.processes == 1
            pending.result()
        recorder.inputs.check(recorder, str(tmp_path), [])
    finally:
        stamp.stop()
    assert any(path.endswith(".fragments") for path in recorder.read)
    assert not recorder.inputs.changed


def test_a_memo_of_another_writer_version_means_a_worker_per_core(tmp_path: Path) -> None:
    export_products(CASES["cut-29.97"](), tmp_path, BUILD_FORMATS, parallel=True)
    memo = next(ProductStore(tmp_path).records.glob("timeline.xml.fragments"))
    memo.write_bytes(memo.read_bytes().replace(b"\n", b"\nanother version\n", 1))
    with PendingExport(_retaken(CASES["cut-29.97"]()), tmp_path, BUILD_FORMATS,
                       parallel=True) as pending:  # fmt: skip
        assert pending.processes == min(os.cpu_count() or 1, 7)
        pending.result()
