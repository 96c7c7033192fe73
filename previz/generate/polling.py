"""Polling a remote job patiently: until it ends, or until its deadline.

A poll changes nothing on the service, so trouble while polling — a burst of 429s, a 5xx, a
dropped connection — never fails a job the service is still running or has already finished:
the runner waits (the service's ``Retry-After`` when it gives one, else a growing backoff) and
asks again, up to the job's deadline. Without a deadline it gives up only after
:data:`POLL_PATIENCE` seconds of unbroken trouble, and even then the job stays ``submitted`` in
the journal so the next run polls it again. Never does it poll one job faster than the
backend's documented :attr:`~previz.backends.base.Capabilities.poll_interval`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from previz.backends.base import JobStatus, JobUpdate
from previz.generate.limits import Clock, Sleep
from previz.generate.retry import RetryPolicy, backoff, is_transient, retry_after

POLL_PATIENCE = 3600.0
"""Seconds of unbroken transient trouble tolerated while polling a job that has no deadline."""

ENDED = (JobStatus.SUCCEEDED, JobStatus.DOWNLOADED, JobStatus.FAILED, JobStatus.BLOCKED)


@dataclass
class Poller:
    """How one job is polled: the call, the cadence, and the deadline (``clock`` seconds)."""

    call: Callable[[], Awaitable[JobUpdate]]
    floor: float  # the backend's documented minimum seconds between polls
    interval: float  # seconds between polls when the service gives no hint
    deadline: float
    clock: Clock
    sleep: Sleep
    policy: RetryPolicy
    on_status: Callable[[JobUpdate], None]
    on_trouble: Callable[[BaseException, float], None]
    rng: random.Random | None = None

    async def until_done(self, *, first_wait: float = 0.0) -> JobUpdate:
        """Poll until the job ends; transient failures wait and poll again (see module doc)."""
        await self._wait(first_wait)
        troubled_since: float | None = None
        tries = 0
        while True:
            try:
                update = await self.call()
            except Exception as error:
                if not is_transient(error):
                    raise
                now = self.clock()
                troubled_since = now if troubled_since is None else troubled_since
                tries += 1
                if math.isinf(self.deadline) and now - troubled_since >= POLL_PATIENCE:
                    raise
                wait = max(self.floor, backoff(self.policy, tries, retry_after(error), self.rng))
                self.on_trouble(error, wait)
                await self._wait(wait)
                continue
            troubled_since, tries = None, 0
            if update.status in ENDED:
                return update
            self.on_status(update)
            hinted = update.poll_after if update.poll_after is not None else self.interval
            await self._wait(max(self.floor, hinted))

    async def _wait(self, seconds: float) -> None:
        wait = min(seconds, self.deadline - self.clock())
        if wait > 0:
            await self.sleep(wait)
