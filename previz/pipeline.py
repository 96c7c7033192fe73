"""The whole pipeline in one call: scene file → clips → animatic MP4 → timeline and exports.

``build`` (scripts) and ``abuild`` (async code, notebooks) load and plan the shot list, run every
take through the cache, journal and backends, copy the selected and alternate takes into the
output folder, join the selected takes into ``animatic.mp4``, assemble and export the
timeline, and write the review page. A failed shot does not stop the build: it is reported,
stands in the cut as a slate of the right length, and the next run retries only what is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import opentimelineio as otio

from previz.backends.animatic.fonts import TYPEFACE
from previz.backends.base import Backend, Clip, Job
from previz.backends.options import OptionValues, check_cli_options, merge_options
from previz.backends.registry import backend_class
from previz.cut_ahead import CutAhead
from previz.errors import (
    BackendUnavailableError,
    PrevizError,
    SceneError,
    TimelineError,
)
from previz.generate import (
    Journal,
    RunProgress,
    RunReport,
    estimate_cost,
    job_key,
    run_jobs,
)
from previz.generate import lock as build_lock
from previz.generate.cache import Cache
from previz.generate.pins import TakePins
from previz.generate.plan import plan_jobs
from previz.generate.reuse import reuse_cached_takes
from previz.generate.shared import SharedCache, open_cache
from previz.media import find_ffmpeg, replacing
from previz.media.parts import Frame
from previz.media.sequence import SequenceResult, build_sequence
from previz.placing import writable_folder
from previz.products import ProductStore
from previz.review import write_review
from previz.review.build import ANIMATIC_FILE, RUN_COUNTERS, SUMMARY_FILE
from previz.review.page import PRODUCT as REVIEW_PRODUCT
from previz.review.page import REVIEW_DIR
from previz.scripting import Scene, resolve_scene
from previz.shotlist.installed import check_backends
from previz.shotlist.loader import SCRIPT_SUFFIXES, position, read_yaml
from previz.shotlist.resolve import ResolvedShotList
from previz.timebase import exact_rate
from previz.timeline import ahead, resolve_formats
from previz.timeline.export import Exported, PendingExport, export_products
from previz.timeline.playout import playout

DEFAULT_FORMATS: tuple[str, ...] = ("otio", "fcp7", "fcpxml", "edl", "aaf", "xges", "kdenlive")
"""What a build writes when the project names no ``exports``: every NLE's format (Premiere,
Resolve, Final Cut, any NLE, Avid and Pro Tools, GES and Pitivi, Kdenlive and Shotcut). Only
``.otioz``, which copies every clip into one archive, is left to ``previz export -f otioz``."""


@dataclass(repr=False)
class BuildResult:
    """What a build made and where: the run report, the output folder and its files."""

    shotlist: ResolvedShotList
    report: RunReport
    out_dir: Path
    animatic: Path | None = None
    timeline: Path | None = None
    exports: dict[str, list[Path]] = field(default_factory=dict)
    transition_problems: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)  # exports written (not current)
    review: Path | None = None
    settled: bool = False  # a rerun would only find its clips in the cache (see _settles)

    @property
    def ok(self) -> bool:
        return self.report.ok

    def __repr__(self) -> str:
        # Short on purpose: Python 3.11's asyncio.run reprs the finished task (and so its
        # result) while restoring the SIGINT handler; the full shot list took ~0.8 s each time.
        report = self.report
        return (
            f"BuildResult(out_dir={str(self.out_dir)!r}, clips={len(report.clips)}, "
            f"cached={report.cached}, generated={report.generated}, "
            f"failures={len(report.failures)})"
        )


def project_dir(shotlist: ResolvedShotList) -> Path:
    """The folder that holds the scene file; ``.previz/`` (cache, journal) lives there."""
    return shotlist.base_dir


def make_backends(names: Sequence[str], options: OptionValues | None = None) -> dict[str, Backend]:
    """One instance per backend name, with its declared options (checked against them)."""
    options = options or {}
    instances = {}
    for name in set(names):
        cls = backend_class(name)
        values = cls.parse_options(options.get(name, {})).model_dump(exclude_unset=True)
        instances[name] = cls(**values)
    return instances


def backends_for(
    shotlist: ResolvedShotList, backend: str | None = None, options: OptionValues | None = None
) -> dict[str, Backend]:
    """The backends a shot list uses (or ``backend`` for all), with the scene's options and
    ``options`` (the command line's) over them."""
    if options:
        check_cli_options(options)
    names = [backend or shot.backend for shot in shotlist.shots]
    return make_backends(names, merge_options(shotlist.project.backends, options))


async def abuild(
    scene: Scene,
    *,
    out: Path | None = None,
    backend: str | None = None,
    model: str | None = None,
    max_cost: float | None = None,
    dry_run: bool = False,
    formats: Sequence[str] | None = None,
    cache_dir: str | Path | None = None,
    concurrency: Mapping[str, int] | None = None,
    request_rate: float | None = None,
    job_timeout: float | None = None,
    backends: Mapping[str, Backend] | None = None,
    progress: RunProgress | None = None,
    options: OptionValues | None = None,
    resubmit_unknown: bool = False,
    retry_blocked: bool = False,
    regenerate_expired: bool = False,
    wait: bool = False,
) -> BuildResult:
    """Build a scene: generate what is not cached, then write the animatic and timeline.

    ``formats`` defaults to the project's ``exports`` (else :data:`DEFAULT_FORMATS`); the
    timeline's ``.otio`` is always written. ``options`` override the scene's
    ``project.backends`` option by option (``{"luma": {"resolution": "1080p"}}`` is what
    ``-o luma.resolution=1080p`` gives). One build runs per project at a time
    (``.previz/build.lock``): another one waits ``LOCK_WAIT`` seconds, then stops naming the
    holder — or, with ``wait``, queues behind it. ``resubmit_unknown``, ``retry_blocked`` and
    ``regenerate_expired`` let takes the journal holds be generated again (see
    :mod:`previz.generate.runner`).
    """
    shotlist = resolve_scene(scene, caller="previz.abuild")
    if backend is None and backends is None:
        check_backends(shotlist)  # located at the 'backend:' that names it
    formats = build_formats(shotlist, formats)  # a typo fails now, not after generating
    root = project_dir(shotlist)
    out_dir = out or root / "out" / _stem(shotlist)
    instances = dict(backends) if backends is not None else backends_for(shotlist, backend, options)
    pins = TakePins(root / ".previz" / "takes.json")
    jobs = plan_jobs(shotlist, instances, backend=backend, model=model, pins=pins)
    state = root / ".previz"
    cache = open_cache(root, cache_dir, setting=shotlist.project.cache)  # a bad store fails now
    cache.prefetch(job_key(job, instances) for job in jobs)  # a shared store: all at once
    jobs = reuse_cached_takes(jobs, instances, cache, pins)  # an edited shot keeps its paid take
    if not dry_run:
        require_credentials(jobs, instances, cache)
        writable_folder(out_dir)  # unwritable: must fail before anything is paid for
    locked = (
        contextlib.nullcontext()
        if dry_run
        else build_lock.project_lock(
            writable_folder(state), wait=None if wait else build_lock.LOCK_WAIT
        )
    )
    cut = None if dry_run else CutAhead(shotlist, out_dir)
    try:
        async with locked:
            with _journal(state, dry_run) as journal:
                report = await run_jobs(
                    jobs,
                    instances,
                    cache=cache,
                    journal=journal,
                    workdir=state / "work",
                    concurrency=concurrency,
                    request_rate=request_rate,
                    job_timeout=job_timeout,
                    max_cost=max_cost,
                    continuity=shotlist.project.continuity,
                    dry_run=dry_run,
                    progress=progress,
                    selected_takes={s.id: s.selected_take for s in shotlist.shots},
                    resubmit_unknown=resubmit_unknown,
                    retry_blocked=retry_blocked,
                    regenerate_expired=regenerate_expired,
                    on_kept=cut.start if cut is not None else None,
                )
            result = BuildResult(shotlist=shotlist, report=report, out_dir=out_dir)
            if cut is not None:
                pins.record(jobs, report.clips, instances)
                _write_outputs(result, formats, cut)
                result.settled = _settles(scene, cache, report)
    finally:
        if cut is not None:  # no thread of the build's outlives it
            cut.join()
        if not dry_run:  # a dry run writes nothing, not even hit counts
            cache.close()
        if backends is None:  # ours to close; a caller's backends stay open for the caller
            await asyncio.gather(*(b.aclose() for b in instances.values()))
    return result


def _settles(scene: Scene, cache: Cache, report: RunReport) -> bool:
    """Whether running the same build again would find nothing to do: nothing failed (a rerun
    would try again), the takes are in a local cache folder (a shared store changes elsewhere),
    and the scene is a file, not a Python scene script (which may read anything). What this run
    generated is in the cache now, so a rerun takes it from there and, spending nothing, leaves
    ``build.json`` as this run wrote it (:func:`write_summary`). :mod:`previz.cli.stamp` stamps
    only such builds, with what the rerun would print (:func:`as_rerun`)."""
    is_file = isinstance(scene, str | os.PathLike) and Path(scene).suffix not in SCRIPT_SUFFIXES
    return report.ok and is_file and not isinstance(cache, SharedCache)


def as_rerun(result: BuildResult) -> BuildResult:
    """``result`` as the same build run again would report it: every clip from the cache,
    nothing generated, nothing spent (only for a settled build: nothing failed)."""
    report = result.report
    if not report.generated and not report.spent:
        return result
    again = replace(report, cached=report.cached + report.generated, generated=0, spent=0.0)
    return replace(result, report=again)


WAITING_EVENT = "previz.waiting"
"""The audit event a build raises as it starts waiting for its writers in other processes and
threads (arguments: its output folder and the folders of its own state), for whoever watches
it: the CLI's stamp checks the inputs read so far then (:mod:`previz.cli.stamp`)."""


def _write_outputs(result: BuildResult, formats: Sequence[str], cut: CutAhead) -> None:
    """Place the clips; write the animatic, the timeline and its exports, build.json, review.

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
        _write_cut(result, formats, cut, early)


def _write_cut(
    result: BuildResult, formats: Sequence[str], cut: CutAhead, early: ahead.Ahead
) -> None:
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


def build_formats(shotlist: ResolvedShotList, formats: Sequence[str] | None) -> list[str]:
    """The exports a build writes: ``formats``, else ``project.exports``, else the defaults.

    An unknown name in ``project.exports`` is reported at its line in the scene file.
    """
    if formats is not None:
        return resolve_formats(["otio", *formats])
    chosen = shotlist.project.exports
    try:
        return resolve_formats(["otio", *(DEFAULT_FORMATS if chosen is None else chosen)])
    except TimelineError as error:
        path = shotlist.source_path
        line = column = None
        if chosen is not None and path is not None and path.suffix in (".yaml", ".yml"):
            bad = next((i for i, n in enumerate(chosen) if n in str(error.message)), 0)
            line, column = position(read_yaml(path), ("project", "exports", bad))
        raise SceneError(
            f"project.exports: {error.message}", path=path, line=line, column=column,
            hint=error.hint,
        ) from None  # fmt: skip


def require_credentials(jobs: Sequence[Job], backends: Mapping[str, Backend], cache: Cache) -> None:
    """Refuse to start when a backend with takes to generate has no key (cached ones need none).

    Only the takes of a backend without its key are looked up in the cache (the run looks
    every take up anyway): a build on configured backends asks nothing more here."""
    keyless = {name for name, backend in backends.items() if not backend.is_configured()}
    waiting = [job for job in jobs if job.backend in keyless or job.backend not in backends]
    estimate = estimate_cost(waiting, backends, cache)  # an unknown backend is named here
    for name in sorted({row.job.backend for row in estimate.jobs if not row.cached}):
        backend = backends[name]
        if not backend.is_configured():
            needed = " or ".join(backend.capabilities().env_vars) or "its credentials"
            raise BackendUnavailableError(
                f"no API key: set {needed}",
                backend=name,
                hint="previz backends shows what each backend needs; the animatic backend "
                "needs nothing",
            )


def build(scene: Scene, **options: Any) -> BuildResult:
    """Synchronous :func:`abuild` for scripts; inside a running event loop use ``abuild``."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(abuild(scene, **options))
    raise PrevizError(
        "previz.build() cannot run inside a running event loop (a notebook, an async app)",
        hint="use 'await previz.abuild(...)' there instead",
    )


@contextlib.contextmanager
def _journal(state: Path, dry_run: bool) -> Iterator[Journal]:
    """The project's journal; a dry run that finds none reads an empty one in a temporary
    folder, so planning writes nothing into the project."""
    path = state / "journal.sqlite"
    if dry_run and not path.exists():
        with (
            tempfile.TemporaryDirectory(prefix="previz-dry-run-") as folder,
            Journal(Path(folder) / "journal.sqlite") as journal,
        ):
            yield journal
        return
    with Journal(writable_folder(state) / "journal.sqlite") as journal:
        yield journal


def _stem(shotlist: ResolvedShotList) -> str:
    return shotlist.source_path.stem if shotlist.source_path else "build"


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


def write_summary(result: BuildResult) -> Path:
    """``build.json``: what was built, from the cache or fresh, what failed and what it cost.

    The counters are those of the run that made the cut: a rebuild that takes every clip from
    the cache and spends nothing, with everything else the same, leaves the file as it was
    (a no-op rewrites nothing; the totals of the run that paid for the cut stay readable)."""
    report = result.report
    summary = {
        "title": result.shotlist.project.title,
        "shots": len(result.shotlist.shots),
        "clips": len(report.clips),
        "cached": report.cached,
        "generated": report.generated,
        "spent_usd": round(report.spent, 4),
        "unknown_usd": round(report.at_risk, 4),
        "failures": [
            {
                "shot": f.shot_id,
                "take": f.take,
                "backend": f.backend,
                "reason": f.reason,
                "retryable": f.retryable,
                "state": f.state,
            }
            for f in report.failures
        ],
        "transition_problems": result.transition_problems,
        "animatic": result.animatic.name if result.animatic else None,
        # by name: a format's files come in the writer's order when written, by name when reused
        "exports": {fmt: sorted(p.name for p in paths) for fmt, paths in result.exports.items()},
    }
    path = result.out_dir / SUMMARY_FILE
    text = json.dumps(summary, indent=2) + "\n"
    with contextlib.suppress(OSError, ValueError):
        found = path.read_text(encoding="utf-8")
        if found == text:
            return path  # the same summary: leave the file (and its mtime) alone
        if report.generated == 0 and report.spent == 0 and _same_cut(json.loads(found), summary):
            return path  # nothing made or paid for: the counters of the run that made the cut
    path.write_text(text, encoding="utf-8")
    return path


def _same_cut(found: object, summary: dict[str, object]) -> bool:
    """Whether a ``build.json`` read back says what ``summary`` says, run counters aside."""
    if not isinstance(found, dict):
        return False
    return {k: v for k, v in found.items() if k not in RUN_COUNTERS} == {
        k: v for k, v in summary.items() if k not in RUN_COUNTERS
    }
