"""How hard the runner may push a service: in-flight jobs per backend and requests per second.

A backend's concurrency limit (its declared ``max_concurrency`` unless overridden) bounds the
jobs it has in flight, from submission until the clip is downloaded (or, for a local renderer,
while it renders). The request rate spaces out every call to a remote service — submit, poll
and download alike — so polling many jobs cannot trip a service's requests-per-minute limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from previz.backends.base import Backend
from previz.errors import BackendError, PrevizError

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RequestRate:
    """At most ``per_second`` calls per second: each call reserves the next free instant."""

    def __init__(self, per_second: float, *, clock: Clock, sleep: Sleep) -> None:
        if per_second <= 0:
            raise PrevizError(
                f"the request rate must be positive, not {per_second:g}",
                hint="give --request-rate in requests per second, e.g. 0.5",
            )
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next_free = float("-inf")

    async def acquire(self) -> None:
        """Wait until this call's reserved instant (no wait when the rate is not reached)."""
        now = self._clock()
        start = max(now, self._next_free)
        self._next_free = start + self.interval
        if start > now:
            await self._sleep(start - now)


def concurrency_limits(
    backends: Mapping[str, Backend], overrides: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Per backend: the override if given, else the backend's declared ``max_concurrency``."""
    limits = {name: max(1, b.capabilities().max_concurrency) for name, b in backends.items()}
    for name, limit in (overrides or {}).items():
        if limit < 1:
            raise BackendError(
                f"concurrency must be at least 1, not {limit}",
                backend=name,
                hint="give --concurrency a positive number of jobs in flight",
            )
        limits[name] = limit
    return limits


def slots(limits: Mapping[str, int]) -> dict[str, asyncio.Semaphore]:
    """One semaphore per backend, sized by ``limits``."""
    return {name: asyncio.Semaphore(limit) for name, limit in limits.items()}
