"""Submitting a job at most once: what may be sent again, what must be reconciled instead.

A submission is the one call that costs money, so it sits outside the general retry loop.
Only two kinds of failure are sent again: those before the request left (a refused or timed-out
connection) and the answers a service documents as "nothing was created" (429, a 5xx with the
service's error body — a :class:`~previz.errors.RetryableServiceError` from a backend). A
request that left without a complete reply is *ambiguous* — the service may have made, and will
bill, the job — so it is never sent again blindly: the runner asks the backend to
:meth:`~previz.backends.base.RemoteBackend.reconcile` it, and a job nobody can account for is
held as ``unknown`` until the user says ``--resubmit-unknown``.

:class:`SubmitGate` keeps one backend's submissions honest about its key: until the service has
accepted one submission, they go one at a time, and once it refused the key (401/403) no other
submission to it leaves at all.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from previz.backends.base import Job, RemoteBackend
from previz.errors import RetryableServiceError, SubmissionUnknown
from previz.generate.retry import RetryPolicy, backoff, retry_after

log = logging.getLogger(__name__)

T = TypeVar("T")


@cache
def _not_sent() -> tuple[type[BaseException], ...]:
    """Transport failures that happen before a single byte of the request leaves.

    httpx is imported here, on the first failure, not when previz starts.
    """
    import httpx

    return (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, ConnectionRefusedError)


@cache
def _may_have_arrived() -> tuple[type[BaseException], ...]:
    """Failures after the request may have left: a read timeout, a reset, a dropped reply."""
    import httpx

    return (httpx.TransportError, TimeoutError, asyncio.TimeoutError, ConnectionError)


def never_sent(error: BaseException) -> bool:
    """True when ``error`` proves the service created nothing: safe to send again."""
    if isinstance(error, SubmissionUnknown):
        return False
    return isinstance(error, (RetryableServiceError, *_not_sent()))


def ambiguous(error: BaseException) -> bool:
    """True when the request may have reached the service, which may have made the job."""
    if isinstance(error, SubmissionUnknown):
        return True
    if isinstance(error, _not_sent()):
        return False
    return isinstance(error, _may_have_arrived())


@dataclass
class Flight:
    """Whether a submission's request may have left: False again after a never-sent failure,
    so a Ctrl-C or a deadline during the wait before the next try is known to have sent nothing."""

    in_air: bool = False


async def send_at_most_once(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]],
    on_retry: Callable[[BaseException, float], None] | None = None,
    rng: random.Random | None = None,
    flight: Flight | None = None,
) -> T:
    """Await ``call()``; send it again only after failures that prove nothing was created.

    Ambiguous failures and refusals propagate at once; the last never-sent failure propagates
    after ``policy.attempts`` tries.
    """
    flight = flight if flight is not None else Flight()
    for attempt in range(1, policy.attempts + 1):
        try:
            flight.in_air = True
            return await call()
        except Exception as error:
            if never_sent(error):
                flight.in_air = False
            if not never_sent(error) or attempt == policy.attempts:
                raise
            wait = backoff(policy, attempt, retry_after(error), rng)
            if on_retry is not None:
                on_retry(error, wait)
            await sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


async def find_lost_job(backend: RemoteBackend, job: Job, submitted_after: float) -> str | None:
    """The remote id of the job a lost reply created, if the service can say; else None."""
    try:
        return await backend.reconcile(job, submitted_after=submitted_after)
    except Exception as error:  # could not ask: as good as "cannot tell"
        log.warning("could not reconcile shot %s on %s: %s", job.shot_id, job.backend, error)
        return None


async def reply_within(request: asyncio.Future[str], grace: float) -> str | None:
    """The request's result if it arrives within ``grace`` seconds; otherwise cancel it."""
    done, _ = await asyncio.wait({request}, timeout=grace)
    if request in done and not request.cancelled() and request.exception() is None:
        return request.result()
    request.cancel()
    return None


PROOF_WAIT = 10.0
"""Seconds the other submissions wait behind an unanswered first one before going ahead.

A refused key is answered at once; a first submission still in the air after this long (a hung
connection, a slow gateway) must not hold back every other shot until it times out.
"""


class SubmitGate:
    """One backend's submissions: one at a time until the key is proven, none once refused."""

    def __init__(self) -> None:
        self.proven = False
        self.refused: str | None = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the backend's submission turn (free for all once a submission was accepted)."""
        held = False
        if not self.proven:
            try:
                await asyncio.wait_for(self._lock.acquire(), PROOF_WAIT)
            except asyncio.TimeoutError:
                pass  # the first submission hangs: go ahead rather than wait for its timeout
            else:
                held = not self.proven  # proven while we waited: no need to hold the others up
                if not held:
                    self._lock.release()
        try:
            yield
        finally:
            if held:
                self._lock.release()

    def accepted(self) -> None:
        """The service accepted a submission: the key works; submissions may overlap now."""
        self.proven = True

    def refuse(self, reason: str) -> None:
        """The service refused the key: nothing more is submitted to this backend this run."""
        self.refused = self.refused or reason
