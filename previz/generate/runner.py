"""The generation runner: every job through cache ▸ journal ▸ backend, concurrently.

:func:`run_jobs` plans the run (cache key, cached or not, estimated cost, journal state per
job), refuses it if the estimate is over ``max_cost``, then runs every uncached job at once
under each backend's concurrency limit. A cache hit never calls a backend. One take failing is
recorded in the report and the others carry on. Cancelling the run (Ctrl-C) cancels the jobs in
flight; the journal keeps their remote ids, so the next run resumes them.

A take the journal holds — ``unknown`` (a submission whose reply was lost and that the service
cannot account for), ``blocked`` (moderation refused this exact request) or ``expired`` (made,
but gone before it was fetched) — is reported and left alone unless the run is told otherwise
(``resubmit_unknown``, ``retry_blocked``, ``regenerate_expired``); a changed prompt is a new
cache key and so a new take.

In continuity mode each scene runs shot after shot, each shot opened by the last frame of the
one before (see :mod:`previz.generate.continuity`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from previz.backends.base import Backend, Clip, Job, JobStatus, RemoteBackend
from previz.errors import BudgetError, MediaError, SceneError
from previz.generate import continuity
from previz.generate.cache import Cache, CachedClip
from previz.generate.cost import backend_for, job_price
from previz.generate.journal import Journal
from previz.generate.keys import job_key
from previz.generate.lifecycle import Budget, JobLifecycle, TakeFailed
from previz.generate.limits import Clock, RequestRate, Sleep, concurrency_limits, slots
from previz.generate.outcomes import held_reason, released_states
from previz.generate.progress import RunProgress, SilentProgress
from previz.generate.report import JobFailure, PlanRow, RunReport
from previz.generate.retry import RetryPolicy
from previz.media import last_frame

DEFAULT_POLL_INTERVAL = 5.0
Kept = Callable[[Mapping[tuple[str, int], Clip]], None]


async def run_jobs(
    jobs: Sequence[Job],
    backends: Mapping[str, Backend],
    *,
    cache: Cache,
    journal: Journal,
    workdir: Path,
    concurrency: Mapping[str, int] | None = None,
    max_cost: float | None = None,
    request_rate: float | None = None,
    job_timeout: float | None = None,
    continuity: bool = False,
    selected_takes: Mapping[str, int] | None = None,
    dry_run: bool = False,
    progress: RunProgress | None = None,
    retry: RetryPolicy | None = None,
    resubmits: int = 1,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    resubmit_unknown: bool = False,
    retry_blocked: bool = False,
    regenerate_expired: bool = False,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    wall_clock: Clock = time.time,
    on_kept: Kept | None = None,
) -> RunReport:
    """Generate every job (or, with ``dry_run``, only plan them) and report what came out.

    ``concurrency`` overrides a backend's ``max_concurrency``; ``request_rate`` caps calls per
    second to each remote backend; ``job_timeout`` bounds one job in seconds; ``resubmits`` is
    how often a job the *service* lost is submitted again. ``selected_takes`` (shot id → take)
    says which take continues into the next shot. ``resubmit_unknown``, ``retry_blocked`` and
    ``regenerate_expired`` let held takes through (see the module docstring). ``clock`` and
    ``sleep`` must agree (seconds); ``wall_clock`` is epoch seconds (send times, expiry).
    ``on_kept`` is called once, in the event loop, with the clips so far when the takes the
    plan found cached are kept and takes are still being made (so a caller can start on them).
    Raises :class:`~previz.errors.BudgetError` before anything runs if the estimate of
    uncached jobs exceeds ``max_cost``.
    """
    _check(jobs, backends)
    selected = dict(selected_takes or {})
    released = released_states(resubmit_unknown, retry_blocked, regenerate_expired)
    report = RunReport(
        plan=plan_run(jobs, backends, cache, journal, continuity, selected, released)
    )
    if dry_run:
        report.dry_run = True
        return report
    _refuse_over_budget(report.estimated_cost, max_cost)
    cache.sweep_partial()
    journal.plan_all((row.key, row.job) for row in report.plan if row.key and not row.cached)
    watcher = progress or SilentProgress()
    lifecycle = JobLifecycle(
        backends=backends,
        cache=cache,
        journal=journal,
        workdir=workdir,
        slots=slots(concurrency_limits(_used(jobs, backends), concurrency)),
        rates=_rates(backends, request_rate, clock, sleep),
        budget=Budget(max_cost),
        progress=watcher,
        clock=clock,
        sleep=sleep,
        retry=retry or RetryPolicy(),
        poll_interval=poll_interval,
        job_timeout=job_timeout,
        resubmits=resubmits,
        resubmit_unknown=resubmit_unknown,
        wall=wall_clock,
    )
    run = _Run(lifecycle, report, watcher, selected, released, on_kept)
    watcher.begin(report.plan)
    try:
        await run.everything(jobs, continuity)
    finally:
        report.spent = lifecycle.budget.spent + report.at_risk
        watcher.end(report)
    return report


def plan_run(
    jobs: Sequence[Job],
    backends: Mapping[str, Backend],
    cache: Cache,
    journal: Journal,
    continuity_mode: bool = False,
    selected_takes: Mapping[str, int] | None = None,
    released: frozenset[JobStatus] = frozenset(),
) -> list[PlanRow]:
    """Per job: key, cached?, estimated cost this run, and the journal state it resumes from.

    In continuity mode a shot's key is known only when the shot before it is cached with its
    last frame already extracted; otherwise the key is None and the job counts as uncached.
    A take held in the journal costs nothing unless its state is ``released``.
    """
    if not continuity_mode:
        return [
            _row(job, job_key(job, backends), backends, cache, journal, released) for job in jobs
        ]
    rows: list[PlanRow] = []
    for scene in continuity.scenes(jobs):
        opening: continuity.Opening | None = None
        known = True
        for shot in scene:
            for job in shot.takes:
                job = continuity.opened_by(job, opening, backends)
                key = job_key(job, backends) if known else None
                rows.append(_row(job, key, backends, cache, journal, released))
            chosen = continuity.opened_by(shot.selected(selected_takes or {}), opening, backends)
            opening = _cached_opening(chosen, job_key(chosen, backends), cache) if known else None
            known = opening is not None
    return rows


def _cached_opening(job: Job, key: str, cache: Cache) -> continuity.Opening | None:
    """How a cached take would open the next shot, if its last frame was already taken."""
    existing = cache.existing_last_frame(key)
    entry = cache.get(key) if existing else None
    if existing is None or entry is None:
        return None
    return continuity.Opening(
        continuity.frame_reference(existing, job.shot_id),
        job.backend,
        entry.record.provenance.remote_id,
    )


def _row(
    job: Job,
    key: str | None,
    backends: Mapping[str, Backend],
    cache: Cache,
    journal: Journal,
    released: frozenset[JobStatus],
) -> PlanRow:
    if key is None:
        return PlanRow(job, None, False, job_price(job, backends[job.backend]))
    cached = cache.get(key) is not None
    record = None if cached else journal.record(key)
    skipped = cached or (record is not None and record.held and record.state not in released)
    cost = 0.0 if skipped else job_price(job, backends[job.backend])
    return PlanRow(job, key, cached, cost, record.state if record else None)


class _Run:
    """One run in progress: dispatches takes, shares keys, fills the report."""

    def __init__(
        self,
        lifecycle: JobLifecycle,
        report: RunReport,
        progress: RunProgress,
        selected: Mapping[str, int],
        released: frozenset[JobStatus] = frozenset(),
        on_kept: Kept | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self.on_kept = on_kept
        self.report = report
        self.progress = progress
        self.selected = selected
        self.released = released
        self._making: dict[str, asyncio.Task[tuple[CachedClip, float]]] = {}

    async def everything(self, jobs: Sequence[Job], continuity_mode: bool) -> None:
        if continuity_mode:
            scenes = continuity.scenes(jobs)
            await _all([asyncio.ensure_future(self.scene(s)) for s in scenes])
            return
        # The takes to make start first; the ones the plan found cached are kept meanwhile, by
        # one task queued behind them (kept first, by a task each, they held the renders up).
        cached = {id(row.job) for row in self.report.plan if row.cached}
        tasks = [asyncio.ensure_future(self.take(job)) for job in jobs if id(job) not in cached]
        kept = [job for job in jobs if id(job) in cached]
        await _all([*tasks, asyncio.ensure_future(self.keep_cached(kept))])

    async def keep_cached(self, jobs: Sequence[Job]) -> None:
        """Keep the takes the plan found cached, once the takes to make have had their turn;
        one gone from the cache since (evicted meanwhile) is made like any other take."""
        await asyncio.sleep(0)
        gone = [asyncio.ensure_future(self.take(job)) for job in jobs if not self._cached(job)]
        making = any(not task.done() for task in self._making.values())
        if self.on_kept is not None and (gone or making):
            self.on_kept(dict(self.report.clips))
        await _all(gone)

    async def take(self, job: Job) -> Clip | None:
        """One take: from the cache, or made; None (and a failure recorded) if it failed."""
        clip = self._cached(job)
        if clip is not None:
            return clip
        key = job_key(job, self.lifecycle.backends)
        making = self._making.get(key)
        shared = making is not None  # an identical take in this run is already being made
        if making is None:
            record = self.lifecycle.journal.record(key)
            if record is not None and record.held and record.state not in self.released:
                self._fail(job, held_reason(record), False, key, record.state.value)
                return None
            making = asyncio.ensure_future(self.lifecycle.make(job, key))
            self._making[key] = making
        try:
            made, cost = await making
        except TakeFailed as failure:
            cost = 0.0 if shared else failure.cost  # money at risk counts once
            self._fail(job, failure.reason, failure.retryable, key, failure.state, cost)
            return None
        if shared or key in self.lifecycle.made_elsewhere:  # this run or another machine
            self.report.cached += 1
            self.progress.job_done(job, "cached", 0.0)
        else:
            self.report.generated += 1
            self.progress.job_done(job, "generated", cost)
        return self._keep(job, made)

    async def scene(self, shots: Sequence[continuity.ShotTakes]) -> None:
        """A scene in continuity mode: shot after shot, each opened by the last frame before."""
        opening: continuity.Opening | None = None
        blocked: str | None = None
        pending: list[asyncio.Future[Any]] = []
        try:
            for shot in shots:
                opening, blocked = await self._shot(shot, opening, blocked, pending)
        except asyncio.CancelledError:
            await _cancel(pending)
            raise
        await _all(pending)

    async def _shot(
        self,
        shot: continuity.ShotTakes,
        opening: continuity.Opening | None,
        blocked: str | None,
        pending: list[asyncio.Future[Any]],
    ) -> tuple[continuity.Opening | None, str | None]:
        """Start every take of ``shot``; wait for the selected one and take its last frame."""
        if blocked is not None:
            for job in shot.takes:
                self._fail(job, blocked, True, "")
            return None, blocked
        backends = self.lifecycle.backends
        jobs = {j.take: continuity.opened_by(j, opening, backends) for j in shot.takes}
        tasks = {take: asyncio.ensure_future(self.take(job)) for take, job in jobs.items()}
        pending.extend(tasks.values())
        clip = await tasks[shot.selected(self.selected).take]
        return self._closing_frame(shot.shot_id, clip)

    def _closing_frame(
        self, shot_id: str, clip: Clip | None
    ) -> tuple[continuity.Opening | None, str | None]:
        if clip is None:
            return None, f"waits for the last frame of shot '{shot_id}', which did not come out"
        try:
            frame = self.lifecycle.cache.last_frame(clip.cache_key, last_frame)
        except MediaError as error:
            return None, f"cannot take the last frame of shot '{shot_id}': {error.message}"
        if frame is None:
            return None, f"the clip of shot '{shot_id}' left the cache during the run"
        reference = continuity.frame_reference(frame, shot_id)
        return continuity.Opening(reference, clip.backend, clip.remote_id), None

    def _cached(self, job: Job) -> Clip | None:
        """The take from the cache (counted and kept), or None when it is not there."""
        entry = self.lifecycle.cache.get(job_key(job, self.lifecycle.backends))
        if entry is None:
            return None
        self.report.cached += 1
        self.progress.job_done(job, "cached", 0.0)
        return self._keep(job, entry)

    def _keep(self, job: Job, entry: CachedClip) -> Clip:
        clip = to_clip(job, entry)
        self.report.clips[(job.shot_id, job.take)] = clip
        return clip

    def _fail(
        self,
        job: Job,
        reason: str,
        retryable: bool,
        key: str,
        state: str = "failed",
        cost: float = 0.0,
    ) -> None:
        self.report.failures.append(
            JobFailure(job.shot_id, job.take, job.backend, reason, retryable, key, state, cost)
        )
        self.progress.job_done(job, "failed", cost, reason)


def to_clip(job: Job, entry: CachedClip) -> Clip:
    """The :class:`Clip` for ``job`` from its cache entry (facts from the record, no probing)."""
    record = entry.record
    facts = record.facts
    return Clip(
        shot_id=job.shot_id,
        take=job.take,
        path=entry.video,
        duration=facts.duration,
        fps=facts.fps,
        width=facts.width,
        height=facts.height,
        has_audio=facts.has_audio,
        backend=job.backend,
        model=job.model,
        prompt=job.prompt,
        template_hash=job.template_hash,
        cache_key=entry.key,
        cost=record.provenance.cost,
        remote_id=record.provenance.remote_id,
        stems=entry.stems,
    )


async def _all(tasks: Sequence[asyncio.Future[Any]]) -> None:
    """Wait for every task; on cancellation cancel them all and wait until they have cleaned up."""
    if not tasks:
        return
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        await _cancel(tasks)
        raise


async def _cancel(tasks: Sequence[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)


def _rates(
    backends: Mapping[str, Backend], per_second: float | None, clock: Clock, sleep: Sleep
) -> dict[str, RequestRate]:
    if per_second is None:
        return {}
    return {
        name: RequestRate(per_second, clock=clock, sleep=sleep)
        for name, backend in backends.items()
        if isinstance(backend, RemoteBackend)  # a local renderer makes no requests
    }


def _refuse_over_budget(estimate: float, max_cost: float | None) -> None:
    if max_cost is not None and estimate > max_cost + 1e-9:
        raise BudgetError(
            f"the run would cost about ${estimate:.2f}, over --max-cost ${max_cost:.2f}",
            hint="raise --max-cost, build fewer shots or takes, or preview with the animatic",
        )


def _used(jobs: Sequence[Job], backends: Mapping[str, Backend]) -> dict[str, Backend]:
    return {job.backend: backends[job.backend] for job in jobs}


def _check(jobs: Sequence[Job], backends: Mapping[str, Backend]) -> None:
    """Every job names a known backend, and no shot's take is planned twice."""
    seen: set[tuple[str, int]] = set()
    for job in jobs:
        backend_for(job, backends)
        ident = (job.shot_id, job.take)
        if ident in seen:
            raise SceneError(
                f"take {job.take} is planned twice",
                shot_id=job.shot_id,
                hint="shot ids must be unique across the scenes of a build",
            )
        seen.add(ident)
