"""One take from nothing to a cache entry: submit, journal, poll, download, store, log.

For a remote backend: the job is journalled ``planned``; ``submit`` returns the service's id,
which is committed (``submitted``) before the first poll; polls follow at the interval the
service asks for; the finished clip is downloaded into a scratch folder, moved into the cache,
and only then is the job marked ``downloaded``. A job found ``submitted`` in the journal is
polled again, never resubmitted. A local backend just renders. Every backend call goes through
the request-rate limit and the retry policy; the whole job is bounded by ``job_timeout``.

Failures end as :class:`TakeFailed` with the service's reason and whether another run can help.
A job that times out, is cancelled or loses its connection while submitted stays ``submitted``
so the next run resumes it instead of paying twice.
"""

from __future__ import annotations

import asyncio
import functools
import math
import shutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from previz.backends.base import (
    Backend,
    Job,
    JobStatus,
    JobUpdate,
    LocalBackend,
    RemoteBackend,
    RenderedMedia,
)
from previz.errors import JobFailedError, MediaError, PrevizError, RetryableServiceError
from previz.generate.cache import Cache, CachedClip, Provenance
from previz.generate.cost import job_price
from previz.generate.journal import Generation, Journal
from previz.generate.lease import Team
from previz.generate.limits import Clock, RequestRate, Sleep
from previz.generate.progress import RunProgress
from previz.generate.retry import RetryPolicy, call_with_retries, is_transient

T = TypeVar("T")

_DONE = (JobStatus.SUCCEEDED, JobStatus.DOWNLOADED)
SUBMIT_GRACE = 5.0
"""Seconds a cancelled run waits for a submission already on the wire to answer."""


class TakeFailed(Exception):
    """A take did not come out: ``reason`` in the service's words; ``retryable``: rerun may help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class _Timeout(Exception):
    """The job ran past its ``job_timeout``."""


class _OverBudget(Exception):
    """Submitting would take the run's committed spend over ``--max-cost``."""


@dataclass
class Budget:
    """The ``--max-cost`` guard.

    ``committed`` is the price of every submission this run made — money at risk, since a
    service may bill a generation it then loses — and is what the limit is checked against
    before each submission (a resubmission counts again). ``spent`` is the price of the clips
    that came out.
    """

    limit: float | None
    committed: float = 0.0
    spent: float = 0.0

    def commit(self, price: float) -> None:
        """Commit ``price`` to a submission, or raise if that would pass the limit."""
        if self.limit is not None and self.committed + price > self.limit + 1e-9:
            raise _OverBudget(f"not submitted: the spend would pass --max-cost ${self.limit:.2f}")
        self.committed += price

    def refund(self, price: float) -> None:
        """The submission never reached the service (or a local render failed): nothing billed."""
        self.committed -= price


@dataclass
class _Attempt:
    """What is known about the job in flight, for the failure handlers."""

    remote_id: str | None
    phase: str = "planned"
    started: str = ""
    t0: float = 0.0


@dataclass
class JobLifecycle:
    """Everything one take needs from the run; :meth:`make` drives a single take."""

    backends: Mapping[str, Backend]
    cache: Cache
    journal: Journal
    workdir: Path
    slots: Mapping[str, asyncio.Semaphore]
    rates: Mapping[str, RequestRate]
    budget: Budget
    progress: RunProgress
    clock: Clock
    sleep: Sleep
    retry: RetryPolicy
    poll_interval: float
    job_timeout: float | None
    resubmits: int
    team: Team = None  # type: ignore[assignment]  # made from the cache when None
    made_elsewhere: set[str] = field(default_factory=set)
    """Keys another machine generated while this run waited on its lease."""

    def __post_init__(self) -> None:
        if self.team is None:
            self.team = Team(self.cache)

    async def make(self, job: Job, key: str) -> tuple[CachedClip, float]:
        """Generate ``job`` into the cache under ``key``; return the entry and what it cost."""
        backend = self.backends[job.backend]
        record = self.journal.record(key)  # run_jobs planned every job it knew the key of
        if record is None or record.state not in (JobStatus.PLANNED, JobStatus.SUBMITTED):
            record = self.journal.plan(key, job)
        resumed = record.remote_id if record.state is JobStatus.SUBMITTED else None
        attempt = _Attempt(remote_id=resumed, started=self.journal.stamp(), t0=self.clock())
        price = job_price(job, backend)
        scratch = self.workdir / key
        try:
            # The slot, and for a paid take the team lease (previz.generate.lease): another
            # machine generating this take means waiting for its clip instead of paying again.
            async with self.team.turn(
                job, key, self.slots[job.backend], paid=isinstance(backend, RemoteBackend),
                resumed=resumed, on_wait=lambda text: self.progress.status(job, text),
            ) as turn:  # fmt: skip
                if turn.clip is not None:
                    self.made_elsewhere.add(key)
                    self.journal.downloaded(key)
                    return turn.clip, 0.0
                if attempt.remote_id is None and turn.remote_id is not None:
                    attempt.remote_id = turn.remote_id  # a crashed machine's job: poll it
                    self.journal.submitted(key, turn.remote_id)
                attempt.started, attempt.t0 = self.journal.stamp(), self.clock()
                media = await self._generate(job, key, backend, attempt, scratch, price)
                # The service's slot is free once the clip is here; storing it must not hold it.
                turn.release_slot()
                entry = await self._store(job, key, backend, media, attempt, price)
        except BaseException as error:
            if attempt.phase == "planned" and isinstance(error, asyncio.CancelledError):
                raise  # still queued for a slot: nothing happened worth a journal or log entry
            failure = self._fail(job, key, attempt, error)
            self._log(job, key, attempt, attempt.started, attempt.t0, 0.0, *failure)
            if isinstance(error, asyncio.CancelledError):
                raise
            raise TakeFailed(failure[1] or "failed", retryable=failure[2]) from error
        self.budget.spent += price
        self._log(job, key, attempt, attempt.started, attempt.t0, price, "generated", None, False)
        return entry, price

    async def _generate(
        self, job: Job, key: str, backend: Backend, attempt: _Attempt, scratch: Path, price: float
    ) -> RenderedMedia:
        deadline = attempt.t0 + self.job_timeout if self.job_timeout is not None else math.inf
        _empty_folder(scratch)
        if isinstance(backend, LocalBackend):
            attempt.phase = "rendering"
            self.progress.status(job, "rendering")
            self.budget.commit(price)
            try:
                return await self._call(job, lambda: backend.render(job, scratch), deadline)
            except BaseException:
                self.budget.refund(price)
                raise
        if isinstance(backend, RemoteBackend):
            return await self._remote(job, key, backend, attempt, scratch, deadline, price)
        raise TypeError(f"backend '{job.backend}' is neither a LocalBackend nor a RemoteBackend")

    async def _remote(
        self,
        job: Job,
        key: str,
        backend: RemoteBackend,
        attempt: _Attempt,
        scratch: Path,
        deadline: float,
        price: float,
    ) -> RenderedMedia:
        for resubmission in range(self.resubmits + 1):
            remote_id = attempt.remote_id
            if remote_id is None:
                attempt.phase = "submitting"
                self.progress.status(job, "submitting")
                remote_id = await self._submit(job, key, backend, attempt, deadline, price)
            attempt.phase = "polling"
            update = await self._poll(job, backend, remote_id, deadline)
            if update.status in _DONE:
                attempt.phase = "downloading"
                self.progress.status(job, "downloading", 1.0)
                fetch = functools.partial(backend.download, remote_id, job, scratch / "clip.mp4")
                return await self._call(job, fetch, deadline)
            reason = update.error or "the service reports the job failed"
            if not update.retryable or resubmission == self.resubmits:
                raise JobFailedError(reason, retryable=update.retryable, shot_id=job.shot_id)
            # The service lost this one (not our inputs): it is dead, so submitting again is no
            # duplicate. The failed attempt stays in the log.
            self.journal.failed(key, reason)
            self._log(
                job, key, attempt, self.journal.stamp(), self.clock(), 0.0, "failed", reason, True
            )
            self.journal.plan(key, job)
            attempt.remote_id = None
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def _submit(
        self, job: Job, key: str, backend: RemoteBackend, attempt: _Attempt, deadline: float,
        price: float,
    ) -> str:  # fmt: skip
        """Submit and journal the remote id; a Ctrl-C mid-request waits briefly for the reply."""
        self.budget.commit(price)
        request = asyncio.ensure_future(self._call(job, lambda: backend.submit(job), deadline))
        try:
            remote_id = await asyncio.shield(request)
        except asyncio.CancelledError:
            # The service may have accepted the job already: let the reply land so its id is
            # journalled and the next run polls it, instead of losing it and paying twice.
            attempt.remote_id = await _reply_within(request, SUBMIT_GRACE)
            if attempt.remote_id is None:
                self.budget.refund(price)
            else:
                self.journal.submitted(key, attempt.remote_id)
                self.team.remember(key, attempt.remote_id)
            raise
        except BaseException:
            self.budget.refund(price)
            raise
        attempt.remote_id = remote_id
        self.journal.submitted(key, remote_id)
        await self.team.submitted(key, remote_id)  # the team lease carries the job's id
        return remote_id

    async def _poll(
        self, job: Job, backend: RemoteBackend, remote_id: str, deadline: float
    ) -> JobUpdate:
        while True:
            update = await self._call(job, lambda: backend.poll(remote_id, job), deadline)
            if update.status in _DONE or update.status is JobStatus.FAILED:
                return update
            self.progress.status(job, update.status.value, update.progress)
            wait = update.poll_after if update.poll_after is not None else self.poll_interval
            await self.sleep(max(0.0, min(wait, deadline - self.clock())))

    async def _call(self, job: Job, call: Callable[[], Awaitable[T]], deadline: float) -> T:
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise _Timeout
        rate = self.rates.get(job.backend)

        async def once() -> T:
            if rate is not None:
                await rate.acquire()
            try:
                return await call()
            # A call's own timeout is transient, not our deadline (on 3.10 the two are distinct).
            except (TimeoutError, asyncio.TimeoutError) as error:
                raise RetryableServiceError(f"the request timed out ({error})") from error

        def on_retry(error: BaseException, wait: float, attempt_number: int) -> None:
            self.progress.status(job, f"retrying in {wait:.0f}s: {error}")

        retried = call_with_retries(once, sleep=self.sleep, policy=self.retry, on_retry=on_retry)
        try:
            return await asyncio.wait_for(retried, None if math.isinf(remaining) else remaining)
        except asyncio.TimeoutError:  # wait_for's (the builtin one only from 3.11 on)
            raise _Timeout from None

    async def _store(
        self, job: Job, key: str, backend: Backend, media: RenderedMedia, attempt: _Attempt,
        price: float,
    ) -> CachedClip:  # fmt: skip
        attempt.phase = "storing"
        provenance = Provenance(
            prompt=job.prompt,
            backend=job.backend,
            backend_version=type(backend).version,
            model=job.model,
            template_hash=job.template_hash,
            seconds=job.seconds,
            take=job.take,
            shot_id=job.shot_id,
            remote_id=attempt.remote_id,
            cost=price,
            created=self.journal.stamp(),
        )
        # Probing and moving files block; in a thread the other jobs keep polling meanwhile.
        entry = await asyncio.to_thread(self._put, key, media, provenance)
        self.journal.downloaded(key)
        return entry

    def _put(self, key: str, media: RenderedMedia, provenance: Provenance) -> CachedClip:
        entry = self.cache.put(key, media, provenance)
        shutil.rmtree(self.workdir / key, ignore_errors=True)
        return entry

    def _fail(
        self, job: Job, key: str, attempt: _Attempt, error: BaseException
    ) -> tuple[str, str | None, bool]:
        """Journal the failure; return (outcome, reason, retryable)."""
        interrupted = isinstance(error, (asyncio.CancelledError, _Timeout)) or is_transient(error)
        outcome, reason, retryable = _classify(error, attempt, self.job_timeout)
        if attempt.remote_id is not None and interrupted:
            # The remote job may still finish: the next run polls it rather than paying again.
            self.journal.note(key, f"{reason}; the next run resumes polling")
        else:
            self.journal.failed(key, reason)
        return outcome, reason, retryable

    def _log(
        self, job: Job, key: str, attempt: _Attempt, started: str, t0: float, cost: float,
        outcome: str, reason: str | None, retryable: bool,
    ) -> None:  # fmt: skip
        self.journal.log(
            Generation(
                key=key, scene_id=job.scene_id, shot_id=job.shot_id, take=job.take,
                backend=job.backend, model=job.model, prompt=job.prompt,
                remote_id=attempt.remote_id, cost=cost, latency=max(0.0, self.clock() - t0),
                outcome=outcome, reason=reason, started=started, finished=self.journal.stamp(),
            )
        )  # fmt: skip


async def _reply_within(request: asyncio.Future[str], grace: float) -> str | None:
    """The request's result if it arrives within ``grace`` seconds; otherwise cancel it."""
    done, _ = await asyncio.wait({request}, timeout=grace)
    if request in done and not request.cancelled() and request.exception() is None:
        return request.result()
    request.cancel()
    return None


def _empty_folder(folder: Path) -> None:
    """A fresh scratch folder: one mkdir, unless a killed run left a partial download there."""
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)


def _classify(
    error: BaseException, attempt: _Attempt, job_timeout: float | None
) -> tuple[str, str, bool]:
    if isinstance(error, asyncio.CancelledError):
        return "cancelled", f"cancelled while {attempt.phase}", True
    if isinstance(error, _OverBudget):
        return "not submitted", str(error), False
    if isinstance(error, _Timeout):
        return "timed out", f"timed out after {job_timeout:g}s while {attempt.phase}", True
    if isinstance(error, JobFailedError):
        return "failed", error.message, error.retryable
    if is_transient(error):
        return "failed", f"service still failing after retries: {error}", True
    if isinstance(error, MediaError):
        return "failed", f"the clip is broken: {error.message}", True
    if isinstance(error, PrevizError):
        return "failed", error.message, False
    return "failed", f"{type(error).__name__}: {error}", False
