"""A build's outputs from its run's takes: the takes placed in the output folder, the cut
assembled (prepared during the run, :mod:`previz.cut_ahead`), ``animatic.mp4``, the timeline
and its exports, ``build.json`` and the review page — the exports in forked workers and the
animatic in a thread, written at once."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import opentimelineio as otio

from previz.backends.animatic.fonts import TYPEFACE
from previz.backends.base import Clip
from previz.build_result import BuildResult, write_summary
from previz.cut_ahead import CutAhead
from previz.media import find_ffmpeg, replacing
from previz.media.parts import Frame
from previz.media.sequence import SequenceResult, build_sequence
from previz.products import ProductStore
from previz.review import write_review
from previz.review.build import ANIMATIC_FILE, SUMMARY_FILE
from previz.review.page import PRODUCT as REVIEW_PRODUCT
from previz.review.page import REVIEW_DIR
from previz.shotlist.resolve import ResolvedShotList
from previz.timebase import exact_rate
from previz.timeline import ahead
from previz.timeline.export import Exported, PendingExport, export_products
from previz.timeline.playout import playout


def project_dir(shotlist: ResolvedShotList) -> Path:
    """The folder that holds the scene file; ``.previz/`` (cache, journal) lives there."""
    return shotlist.base_dir


WAITING_EVENT = "previz.waiting"
"""The audit event a build raises as it starts waiting for its writers in other processes and
threads (arguments: its output folder and the folders of its own state), for whoever watches
it: the CLI's stamp checks the inputs read so far then (:mod:`previz.cli.stamp`)."""


def write_outputs(
    result: BuildResult, formats: Sequence[str], cut: CutAhead,
    waiting: Callable[[], None] = lambda: None,
) -> None:  # fmt: skip
    """Place the clips; write the animatic, the timeline and its exports, build.json, review;
    ``waiting`` is called once the exports and the animatic are under way.

    Meanwhile a helper process encodes the animatic parts this build's new takes will need,
    as the last cut foresees them (:mod:`previz.timeline.ahead`): from the cache's files,
    which hold what the placed ones will. (The cut prepared during the run is waited for
    first: no thread of ours may run when the helper forks.)"""
    workdir = _sequence_dir(result.shotlist)
    memo = ahead.memo_path(workdir, result.out_dir / ANIMATIC_FILE)
    takes, frame = result.report.clips, _animatic_frame(result.shotlist)
    wanted = ahead.worth_it(result.report.generated)
    cut.join()
    with ahead.encoding_ahead(memo, takes, frame, workdir, wanted=wanted) as early:
        _write_cut(result, formats, cut, early, waiting)


def _write_cut(
    result: BuildResult, formats: Sequence[str], cut: CutAhead, early: ahead.Ahead,
    waiting: Callable[[], None],
) -> None:  # fmt: skip
    """Assemble the cut; write the animatic, the timeline and its exports, build.json, review."""
    failures = {f.shot_id: f.reason for f in result.report.failures}
    clips = cut.place(result.report.clips)
    timeline = cut.assemble(clips, failures)
    problems = timeline.metadata["previz"].get("transition_problems", [])
    result.transition_problems = [str(problem["message"]) for problem in problems]
    # A big cut's exports are written in forked workers (forked first: no thread of ours may
    # run when they fork) and the animatic joined in a thread, both mostly waiting.
    animatic = result.out_dir / ANIMATIC_FILE
    with (
        PendingExport(timeline, result.out_dir, formats, first=["otio"]) as exporting,
        ThreadPoolExecutor(1, thread_name_prefix="previz-animatic") as joiner,
    ):
        joining = joiner.submit(
            write_animatic, result.shotlist, timeline, result.out_dir, takes=clips, early=early
        )
        state = project_dir(result.shotlist) / ".previz"
        sys.audit(WAITING_EVENT, str(result.out_dir), [str(state)])  # see WAITING_EVENT
        waiting()
        planned = exporting.planned()
        # see _before_the_rest: on a rebuild whose every file is already there
        if planned and animatic.is_file() and all(p.is_file() for f in planned.values() for p in f):
            result.timeline, result.exports = exporting.wait_for("otio")[0], planned
            result.animatic = animatic
            _before_the_rest(result, timeline, lambda: _the_rest(result, exporting, joining))
            return
        _the_rest(result, exporting, joining)
    write_summary(result)
    result.review = write_review(result.out_dir, timeline)


def _the_rest(
    result: BuildResult, exporting: PendingExport, joining: Future[SequenceResult]
) -> None:
    """Wait for the exports, then the animatic; both in ``result``."""
    exported = exporting.result()
    result.timeline, result.exports = exported.files["otio"][0], exported.files
    result.rewritten = exported.rewritten
    result.animatic = joining.result().path


def _before_the_rest(
    result: BuildResult, timeline: otio.schema.Timeline, rest: Callable[[], None]
) -> None:
    """Write build.json and the review page, then ``rest`` (the other exports and the
    animatic, written meanwhile).

    Both show the exports and the animatic by name only, and on a rebuild whose every file
    is already there (each is replaced in one rename) they are the same bytes as written
    after them: ``timeline.otio`` is written first, and the page after every file it shows
    exists. Should ``rest`` then fail, build.json goes back to what it was and the page's
    product record is dropped (its files are whole; the next build checks them again):
    neither stands as current for a cut whose exports or animatic were not written."""
    summary = result.out_dir / SUMMARY_FILE
    before = _contents(summary)
    write_summary(result)
    result.review = write_review(result.out_dir, timeline)
    planned = result.exports
    try:
        rest()
    except BaseException:
        ProductStore(result.out_dir / REVIEW_DIR).forget(REVIEW_PRODUCT)
        if before is None:
            summary.unlink(missing_ok=True)
        elif _contents(summary) != before:
            with replacing(summary) as temp:
                temp.write_bytes(before)
        raise
    if result.exports != planned:  # a writer wrote other files than planned: say so
        write_summary(result)
        result.review = write_review(result.out_dir, timeline)


def _contents(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_animatic(
    shotlist: ResolvedShotList,
    timeline: otio.schema.Timeline,
    out_dir: Path,
    *,
    takes: Mapping[tuple[str, int], Clip] | None = None,
    early: ahead.Ahead | None = None,
) -> SequenceResult:
    """``animatic.mp4``: the timeline's picture and sound as it plays (a slate where a shot
    failed), left untouched when the cut has not changed. ``takes``: the placed clips the
    timeline was assembled from, for the memo of the cut the next build foresees its parts
    from; ``early``: the helper encoding them ahead, waited for before any part is looked for.
    """
    parts = playout(timeline)
    if early is not None:
        early.wait()
    frame = _animatic_frame(shotlist)
    dest = out_dir / ANIMATIC_FILE
    result = build_sequence(
        parts.pictures,
        parts.sounds,
        dest,
        ffmpeg=find_ffmpeg(),
        width=frame.width,
        height=frame.height,
        fps=frame.fps,
        workdir=_sequence_dir(shotlist),
        font=frame.font,
    )
    memo = ahead.memo_path(_sequence_dir(shotlist), dest)
    if takes is not None and (result.written or not memo.is_file()):
        ahead.remember(memo, parts, takes, frame)
    return result


def _sequence_dir(shotlist: ResolvedShotList) -> Path:
    """The animatic's work folder: its parts, sound mixes and chunks, and their memos."""
    return project_dir(shotlist) / ".previz" / "work" / "sequence"


def _animatic_frame(shotlist: ResolvedShotList) -> Frame:
    """The animatic's picture: the project's size and rate, record timecode burnt in."""
    return Frame(shotlist.width, shotlist.height, exact_rate(shotlist.rate), TYPEFACE)


def write_timeline(
    timeline: otio.schema.Timeline, out_dir: Path, formats: Sequence[str]
) -> Exported:
    """Export the assembled timeline to every requested format whose key changed."""
    return export_products(timeline, out_dir, formats)
