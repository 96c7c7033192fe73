"""Reusing a cached take after an edit: a trimmed shot never pays for its clip again.

The generated length is part of a take's cache key, and it follows the shot: a paid service
generates at one of its allowed lengths (Veo 4, 6 or 8 s), the shortest that covers the shot
and its handles. When an editor trims a 6-second shot to 3.5 s, the planner asks for a 4-second
take — a new key, a new bill — although the 6-second take already in the cache holds every frame
the cut needs. So before anything runs, a job whose key misses is tried at the backend's other
allowed lengths: the first cached take that still covers the cut (``clip_in`` + the shot's
length) replaces it. Longer lengths are tried first from the planned one up; a shorter one is
accepted only when it still covers the cut without handles (a lengthened shot inside its take).
A backend that renders any length (the animatic, locally and for free) has no other lengths to
try: its clips re-render.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from previz.backends.base import Backend, Job
from previz.generate.cache import Cache
from previz.generate.keys import job_key
from previz.generate.pins import TakePins


def reuse_cached_takes(
    jobs: Sequence[Job], backends: Mapping[str, Backend], cache: Cache,
    pins: TakePins | None = None,
) -> list[Job]:  # fmt: skip
    """``jobs``, each uncached one replaced by the same take at a cached length that covers it,
    or by its pinned take (see :mod:`previz.generate.pins`).

    A job with nothing to be replaced by — its backend renders any length and it has no pin
    (the animatic's) — is left as it is without looking the cache up: cached or not, the run
    looks it up anyway."""
    lengths: dict[tuple[str, str | None], frozenset[float]] = {}
    return [_reusable(job, backends, cache, pins, lengths) for job in jobs]


def _reusable(
    job: Job, backends: Mapping[str, Backend], cache: Cache, pins: TakePins | None,
    lengths: dict[tuple[str, str | None], frozenset[float]],
) -> Job:  # fmt: skip
    if job.backend not in backends:
        return job
    allowed = lengths.get((job.backend, job.model))
    if allowed is None:
        caps = backends[job.backend].capabilities(job.model)
        allowed = frozenset(caps.durations or ()) | frozenset(caps.reference_durations or ())
        lengths[(job.backend, job.model)] = allowed
    if not allowed and (pins is None or not pins.holds(job)):
        return job
    if cache.peek(job_key(job, backends)) is not None:
        return job
    pinned = pins.pinned(job, backends, cache) if pins is not None else None
    if pinned is not None:
        return pinned
    cut = job.clip_in + job.shot_seconds
    longer = sorted(s for s in allowed if s > job.seconds)
    shorter = sorted((s for s in allowed if cut - 1e-9 <= s < job.seconds), reverse=True)
    for seconds in (*longer, *shorter):
        candidate = replace(job, seconds=seconds)
        if cache.peek(job_key(candidate, backends)) is not None:
            return candidate
    return job
