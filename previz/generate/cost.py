"""What a run will cost before anything runs: seconds × the backend's price, cached takes free.

The price is the ``cost_per_second`` a backend declares for the job's model; a take already in
the cache costs nothing. ``previz cost`` prints this; ``--max-cost`` refuses a run whose
estimate is over the limit (see :func:`previz.generate.runner.run_jobs`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from previz.backends.base import Backend, Job
from previz.errors import UnknownBackendError
from previz.generate.cache import Cache
from previz.generate.keys import job_key


@dataclass(frozen=True)
class JobCost:
    """The estimate for one job: its key, whether it is cached, and what generating it costs."""

    job: Job
    key: str
    cached: bool
    price: float  # what generating it would cost, cached or not
    held: str | None = None  # a journal state a build leaves alone: unknown, blocked, expired

    @property
    def cost(self) -> float:
        """What this run will spend on it: nothing when cached or held."""
        return 0.0 if self.cached or self.held else self.price


@dataclass(frozen=True)
class CostEstimate:
    """Per-job estimates and their totals."""

    jobs: tuple[JobCost, ...]
    reused: tuple[JobCost, ...] = ()  # cached takes found at another length (after a trim)

    @property
    def total(self) -> float:
        return sum(j.cost for j in self.jobs)

    @property
    def cached(self) -> int:
        return sum(1 for j in self.jobs if j.cached)

    @property
    def uncached(self) -> int:
        return len(self.jobs) - self.cached

    def by_backend(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for j in self.jobs:
            totals[j.job.backend] = totals.get(j.job.backend, 0.0) + j.cost
        return totals


def backend_for(job: Job, backends: Mapping[str, Backend]) -> Backend:
    """The backend ``job`` names, or an error listing the ones there are."""
    try:
        return backends[job.backend]
    except KeyError:
        available = ", ".join(sorted(backends)) or "none"
        raise UnknownBackendError(
            f"unknown backend '{job.backend}'; available: {available}",
            shot_id=job.shot_id,
            backend=job.backend,
            hint="pick one of the available backends (`previz backends` lists them)",
        ) from None


def job_price(job: Job, backend: Backend) -> float:
    """``seconds × cost_per_second`` of the backend's capabilities for the job's model."""
    return job.seconds * backend.capabilities(job.model).cost_per_second


def estimate_cost(
    jobs: Sequence[Job], backends: Mapping[str, Backend], cache: Cache | None
) -> CostEstimate:
    """Estimate every job; with a cache, cached takes are free."""
    rows = []
    for job in jobs:
        backend = backend_for(job, backends)
        key = job_key(job, backends)
        cached = cache is not None and cache.get(key) is not None
        rows.append(JobCost(job, key, cached, job_price(job, backend)))
    return CostEstimate(tuple(rows))
