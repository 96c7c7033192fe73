"""One take from nothing to a cache entry: submit, journal, poll, download, store, log.

For a remote backend the job is journalled ``planned``; its send time is committed just before
the submission leaves, and the remote id the moment ``submit`` returns, before the first poll.
A submission is sent at most once (:mod:`previz.generate.submission`): a lost reply is
reconciled with the service, never sent again blindly. Polls come at the interval the service
asks for, never faster than the backend's ``poll_interval``, and trouble while polling waits
and asks again up to the job's deadline (:mod:`previz.generate.polling`). The finished clip is
downloaded at once (before its link expires) and decoded whole — a short or broken download is
fetched again, never cached — then moved into the cache; only then is the job ``downloaded``.
A job found ``submitted`` is polled again, never resubmitted. A local backend just renders.
Every call goes through the request-rate limit; the whole job is bounded by ``job_timeout``.
How a take that does not come out is journalled and reported: :mod:`previz.generate.outcomes`.
"""

from __future__ import annotations

import asyncio
import math
import time
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
from previz.errors import (
    AuthenticationError,
    ContentBlocked,
    MediaError,
    OutputExpired,
    RetryableServiceError,
)
from previz.generate.cache import Cache, CachedClip
from previz.generate.cost import job_price
from previz.generate.journal import Generation, Journal
from previz.generate.lease import Team
from previz.generate.limits import Clock, RequestRate, Sleep
from previz.generate.outcomes import (
    Budget,
    Ending,
    JobDead,
    NotSubmitted,
    TakeFailed,
    Timeout,
    Unknown,
    settle,
    when,
)
from previz.generate.polling import Poller
from previz.generate.probing import MediaFacts, probe_complete
from previz.generate.progress import RunProgress
from previz.generate.retry import RetryPolicy, call_with_retries
from previz.generate.storing import empty_folder, provenance_of, store_take
from previz.generate.submission import (
    Flight,
    SubmitGate,
    ambiguous,
    find_lost_job,
    reply_within,
    send_at_most_once,
)

__all__ = ["Budget", "JobLifecycle", "TakeFailed"]

T = TypeVar("T")

_DONE = (JobStatus.SUCCEEDED, JobStatus.DOWNLOADED)
SUBMIT_GRACE = 5.0
"""Seconds a cancelled run waits for a submission already on the wire to answer."""
RECONCILE_SLACK = 5.0
"""Seconds before the send time a reconciled job may carry (clock skew, whole-second stamps)."""


@dataclass
class _Attempt:
    """What is known about the job in flight, for the failure handlers."""

    remote_id: str | None
    phase: str = "planned"
    started: str = ""
    t0: float = 0.0
    lost_at: float | None = None  # a submission of an earlier run whose reply never came
    counted: bool = False  # an ``unknown`` take: an earlier run already counted its price
    expires_at: float | None = None


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
    resubmit_unknown: bool = False
    wall: Clock = time.time
    gates: dict[str, SubmitGate] = field(default_factory=dict)
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
        lost_at = None
        was_unknown = record is not None and record.state is JobStatus.UNKNOWN
        if record is not None and (record.reply_lost or record.state is JobStatus.UNKNOWN):
            lost_at = record.sent_at  # the runner lets an unknown one through only when asked
        if record is None or record.state not in (JobStatus.PLANNED, JobStatus.SUBMITTED):
            record = self.journal.release(key, job)
        resumed = record.remote_id if record.state is JobStatus.SUBMITTED else None
        attempt = _Attempt(remote_id=resumed, lost_at=lost_at, counted=was_unknown)
        attempt.started, attempt.t0 = self.journal.stamp(), self.clock()
        price = job_price(job, backend)
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
                media, facts = await self._generate(job, key, backend, attempt, price)
                # The service's slot is free once the clip is here; storing it must not hold it.
                turn.release_slot()
                attempt.phase = "storing"
                provenance = provenance_of(job, backend, attempt.remote_id, price, self.journal)
                # Probing and moving files block; in a thread other jobs keep polling meanwhile.
                entry = await asyncio.to_thread(
                    store_take, self.cache, key, media, provenance, facts, self.workdir / key
                )
                self.journal.downloaded(key)
        except BaseException as error:
            if attempt.phase == "planned" and isinstance(error, asyncio.CancelledError):
                raise  # still queued for a slot: nothing happened worth a journal or log entry
            ending = self._settle(job, key, attempt, error, price)
            self._log(
                job, key, attempt, ending.cost, ending.outcome, ending.reason, ending.retryable
            )
            if isinstance(error, asyncio.CancelledError):
                raise
            raise ending.failure() from error
        paid = 0.0 if attempt.counted else price  # an unknown found again was counted when lost
        self.budget.spent += paid
        self._log(job, key, attempt, paid, "generated", None, False)
        return entry, paid

    async def _generate(
        self, job: Job, key: str, backend: Backend, attempt: _Attempt, price: float
    ) -> tuple[RenderedMedia, MediaFacts | None]:
        deadline = attempt.t0 + self.job_timeout if self.job_timeout is not None else math.inf
        scratch = self.workdir / key
        empty_folder(scratch)
        if isinstance(backend, LocalBackend):
            attempt.phase = "rendering"
            self.progress.status(job, "rendering")
            self.budget.commit(price)
            try:
                media = await self._call(job, lambda: backend.render(job, scratch), deadline)
            except BaseException:
                self.budget.refund(price)
                raise
            return media, None  # rendered here: the cache's own probe is check enough
        if isinstance(backend, RemoteBackend):
            return await self._remote(job, key, backend, attempt, scratch, deadline, price)
        raise TypeError(f"backend '{job.backend}' is neither a LocalBackend nor a RemoteBackend")

    async def _remote(
        self, job: Job, key: str, backend: RemoteBackend, attempt: _Attempt, scratch: Path,
        deadline: float, price: float,
    ) -> tuple[RenderedMedia, MediaFacts]:  # fmt: skip
        for resubmission in range(self.resubmits + 1):
            fresh = False
            if attempt.remote_id is None and attempt.lost_at is not None:
                attempt.remote_id = await self._recover(job, key, backend, attempt.lost_at, price)
                attempt.lost_at = None
                attempt.counted = attempt.counted and attempt.remote_id is not None
            if attempt.remote_id is None:
                await self._submit(job, key, backend, attempt, deadline, price)
                fresh = True
            assert attempt.remote_id is not None
            attempt.phase = "polling"
            update = await self._poll(job, backend, attempt.remote_id, deadline, fresh)
            if update.status is JobStatus.BLOCKED:
                why = update.error or "the service's moderation refused the request"
                raise ContentBlocked(why, reason=why, shot_id=job.shot_id)
            if update.status in _DONE:
                return await self._fetch(job, key, backend, attempt, scratch, deadline, update)
            reason = update.error or "the service reports the job failed"
            if not update.retryable or resubmission == self.resubmits:
                raise JobDead(reason, retryable=update.retryable, shot_id=job.shot_id)
            # The service lost this one (not our inputs): it is dead, so submitting again is no
            # duplicate. The failed attempt stays in the log.
            self.journal.failed(key, reason)
            self._log(job, key, attempt, 0.0, "failed", reason, True)
            self.journal.plan(key, job)
            attempt.remote_id, attempt.counted = None, False  # a new submission, a new bill
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def _submit(
        self, job: Job, key: str, backend: RemoteBackend, attempt: _Attempt, deadline: float,
        price: float,
    ) -> None:  # fmt: skip
        """Send the job at most once and journal its remote id (see the module docstring)."""
        attempt.phase = "submitting"
        gate = self.gates.setdefault(job.backend, SubmitGate())
        async with gate.turn():
            self.progress.status(job, "submitting")
            if gate.refused is not None:
                raise NotSubmitted(
                    f"not submitted: {job.backend} refused the API key ({gate.refused})"
                )
            if deadline - self.clock() <= 0:
                raise Timeout
            self.budget.commit(price)
            sent_at = self.wall()
            self.journal.sending(key, sent_at)
            flight = Flight()
            request = asyncio.ensure_future(self._send(job, backend, deadline, flight))
            try:
                remote_id = await asyncio.shield(request)
            except asyncio.CancelledError:
                # The service may have accepted the job already: let the reply land so its id is
                # journalled; if it does not, the row keeps its send time and the next run
                # reconciles it instead of paying twice.
                if flight.in_air:
                    attempt.remote_id = await reply_within(request, SUBMIT_GRACE)
                else:  # waiting to resend after a never-sent failure: nothing to wait for
                    request.cancel()
                if attempt.remote_id is not None:
                    self.journal.submitted(key, attempt.remote_id)
                    self.team.remember(key, attempt.remote_id)
                elif not flight.in_air:
                    self.journal.not_sent(key)
                raise
            except BaseException as error:
                if isinstance(error, AuthenticationError):
                    gate.refuse(error.message)
                if not (ambiguous(error) or (isinstance(error, Timeout) and flight.in_air)):
                    self.journal.not_sent(key)
                    self.budget.refund(price)
                    raise
                found = await self._recover(job, key, backend, sent_at, price, lost=error)
                assert found is not None  # a lost reply of this run is never sent again
                remote_id = found
            gate.accepted()
        attempt.remote_id = remote_id
        self.journal.submitted(key, remote_id)
        await self.team.submitted(key, remote_id)  # the team lease carries the job's id

    async def _send(self, job: Job, backend: RemoteBackend, deadline: float, flight: Flight) -> str:
        remaining = deadline - self.clock()
        rate = self.rates.get(job.backend)

        async def once() -> str:
            if rate is not None:
                await rate.acquire()
            return await backend.submit(job)

        def on_retry(error: BaseException, wait: float) -> None:
            self.progress.status(job, f"not accepted, sending again in {wait:.0f}s: {error}")

        sending = send_at_most_once(
            once, policy=self.retry, sleep=self.sleep, on_retry=on_retry, flight=flight
        )
        try:
            return await asyncio.wait_for(sending, None if math.isinf(remaining) else remaining)
        except asyncio.TimeoutError:  # wait_for's (the builtin one only from 3.11 on)
            raise Timeout from None

    async def _recover(
        self, job: Job, key: str, backend: RemoteBackend, sent_at: float, price: float,
        lost: BaseException | None = None,
    ) -> str | None:  # fmt: skip
        """The job a lost reply made, if the service can find it; None to submit afresh (only
        for an earlier run's loss with ``--resubmit-unknown``); else :class:`Unknown`."""
        self.progress.status(job, "reply lost: asking the service what it made")
        found = await find_lost_job(backend, job, sent_at - RECONCILE_SLACK)
        if found is not None:
            self.journal.submitted(key, found)
            await self.team.submitted(key, found)
            return found
        if lost is None and self.resubmit_unknown:
            self.journal.note(key, "resubmitted (--resubmit-unknown)")
            return None
        if lost is None:
            what = "the run stopped first"
        elif isinstance(lost, Timeout):
            what = f"the take's {self.job_timeout:g}s timeout passed"
        else:
            what = str(lost.args[0]) if lost.args else type(lost).__name__
        raise Unknown(
            f"sent at {when(sent_at)} but no reply came ({what}) and {job.backend} cannot find "
            f"the job it may have made; it may be billed (${price:.2f}); not sent again — "
            "--resubmit-unknown submits it again"
        )

    async def _poll(
        self, job: Job, backend: RemoteBackend, remote_id: str, deadline: float, fresh: bool
    ) -> JobUpdate:
        floor = backend.capabilities(job.model).poll_interval

        def status(update: JobUpdate) -> None:
            self.progress.status(job, update.status.value, update.progress)

        def trouble(error: BaseException, wait: float) -> None:
            self.progress.status(job, f"polling again in {wait:.0f}s: {error}")

        poller = Poller(
            call=lambda: self._call(job, lambda: backend.poll(remote_id, job), deadline, False),
            floor=floor, interval=self.poll_interval, deadline=deadline, clock=self.clock,
            sleep=self.sleep, policy=self.retry, on_status=status, on_trouble=trouble,
        )  # fmt: skip
        return await poller.until_done(first_wait=floor if fresh else 0.0)

    async def _fetch(
        self, job: Job, key: str, backend: RemoteBackend, attempt: _Attempt, scratch: Path,
        deadline: float, update: JobUpdate,
    ) -> tuple[RenderedMedia, MediaFacts]:  # fmt: skip
        """Download at once; a clip that does not decode whole is fetched again, never kept."""
        attempt.phase = "downloading"
        remote_id = attempt.remote_id
        assert remote_id is not None
        if update.expires_at is not None:
            attempt.expires_at = update.expires_at
            self.journal.expires(key, update.expires_at)
            if update.expires_at <= self.wall():
                raise OutputExpired("the output expired", expired_at=update.expires_at)
        self.progress.status(job, "downloading", 1.0)

        async def whole() -> tuple[RenderedMedia, MediaFacts]:
            media = await backend.download(remote_id, job, scratch / "clip.mp4")
            try:
                return media, await asyncio.to_thread(probe_complete, media.video)
            except MediaError as error:
                raise RetryableServiceError(
                    f"the downloaded clip is incomplete: {error.message}", shot_id=job.shot_id
                ) from error

        try:
            return await self._call(job, whole, deadline)
        except OutputExpired as error:
            if error.expired_at is None and attempt.expires_at is not None:
                error.expired_at = attempt.expires_at
            raise

    async def _call(
        self, job: Job, call: Callable[[], Awaitable[T]], deadline: float, retries: bool = True
    ) -> T:
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise Timeout
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

        retried = (
            call_with_retries(once, sleep=self.sleep, policy=self.retry, on_retry=on_retry)
            if retries
            else once()
        )
        try:
            return await asyncio.wait_for(retried, None if math.isinf(remaining) else remaining)
        except asyncio.TimeoutError:  # wait_for's (the builtin one only from 3.11 on)
            raise Timeout from None

    def _settle(
        self, job: Job, key: str, attempt: _Attempt, error: BaseException, price: float
    ) -> Ending:
        if isinstance(error, AuthenticationError):  # a key revoked while polling, too
            self.gates.setdefault(job.backend, SubmitGate()).refuse(error.message)
        return settle(
            self.journal, key, error, remote_id=attempt.remote_id, phase=attempt.phase,
            price=price, job_timeout=self.job_timeout,
        )  # fmt: skip

    def _log(
        self, job: Job, key: str, attempt: _Attempt, cost: float, outcome: str,
        reason: str | None, retryable: bool,
    ) -> None:  # fmt: skip
        del retryable  # the log keeps what happened; the report says what to do about it
        self.journal.log(
            Generation(
                key=key, scene_id=job.scene_id, shot_id=job.shot_id,
                take=job.take, backend=job.backend, model=job.model, prompt=job.prompt,
                remote_id=attempt.remote_id, cost=cost,
                latency=max(0.0, self.clock() - attempt.t0), outcome=outcome, reason=reason,
                started=attempt.started, finished=self.journal.stamp(),
            )
        )  # fmt: skip
