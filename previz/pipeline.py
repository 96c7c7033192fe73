"""The whole pipeline in one call: scene file → clips → animatic MP4 → timeline and exports.

``build`` (scripts) and ``abuild`` (async code, notebooks) load and plan the shot list, run every
take through the cache, journal and backends, copy the selected and alternate takes into the
output folder, join the selected takes into ``animatic.mp4``, assemble and export the
timeline, and write the review page. A failed shot does not stop the build: it is reported,
stands in the cut as a slate of the right length, and the next run retries only what is missing.
What the run's takes become is :mod:`previz.build_outputs`; what a build made, with its record
``build.json``, is :mod:`previz.build_result`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from previz.backends.base import Backend, Job
from previz.backends.options import OptionValues, check_cli_options, merge_options
from previz.backends.registry import backend_class
from previz.build_outputs import WAITING_EVENT as WAITING_EVENT
from previz.build_outputs import project_dir as project_dir
from previz.build_outputs import write_animatic as write_animatic
from previz.build_outputs import write_outputs
from previz.build_outputs import write_timeline as write_timeline
from previz.build_result import BuildResult as BuildResult
from previz.build_result import as_rerun as as_rerun
from previz.build_result import write_summary as write_summary
from previz.cut_ahead import CutAhead
from previz.errors import BackendUnavailableError, PrevizError, SceneError, TimelineError
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
from previz.placing import writable_folder
from previz.scripting import Scene, resolve_scene
from previz.shotlist.installed import check_backends
from previz.shotlist.loader import SCRIPT_SUFFIXES, position, read_yaml
from previz.shotlist.resolve import ResolvedShotList
from previz.timeline import resolve_formats

DEFAULT_FORMATS: tuple[str, ...] = ("otio", "fcp7", "fcpxml", "edl", "aaf", "xges", "kdenlive")
"""What a build writes when the project names no ``exports``: every NLE's format (Premiere,
Resolve, Final Cut, any NLE, Avid and Pro Tools, GES and Pitivi, Kdenlive and Shotcut). Only
``.otioz``, which copies every clip into one archive, is left to ``previz export -f otioz``."""


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
                    # closing the journal (a checkpoint, a sync) waits for the disk: done
                    # once the build waits for its writers, not before its cut
                    write_outputs(result, formats, cut, waiting=journal.close)
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
