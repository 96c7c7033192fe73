"""Reading a project's books: what a build would cost, what past builds generated, and what
the cache holds."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from previz.backends.options import OptionValues
from previz.generate import CostEstimate, Generation, JobCost, Journal, estimate_cost
from previz.generate.lease import Lease, live_leases
from previz.generate.pins import TakePins
from previz.generate.plan import plan_jobs
from previz.generate.reuse import reuse_cached_takes
from previz.generate.shared import SharedCache, open_cache
from previz.pipeline import backends_for, project_dir
from previz.shotlist.loader import load
from previz.shotlist.resolve import ResolvedShotList


def estimate(
    scene: str | Path | ResolvedShotList,
    *,
    backend: str | None = None,
    model: str | None = None,
    cache_dir: str | Path | None = None,
    options: OptionValues | None = None,
) -> CostEstimate:
    """Price every take of a scene on its backends (or ``backend``); cached takes are free."""
    shotlist = scene if isinstance(scene, ResolvedShotList) else load(scene)
    backends = backends_for(shotlist, backend, options)
    cache = open_cache(project_dir(shotlist), cache_dir, setting=shotlist.project.cache)
    planned = plan_jobs(shotlist, backends, backend=backend, model=model)
    pins = TakePins(project_dir(shotlist) / ".previz" / "takes.json")
    result = estimate_cost(reuse_cached_takes(planned, backends, cache, pins), backends, cache)
    reused = tuple(row for row, job in zip(result.jobs, planned, strict=True)
                   if row.job != job)  # fmt: skip
    return dataclasses.replace(result, reused=reused, jobs=_held(result.jobs, shotlist))


def _held(rows: tuple[JobCost, ...], shotlist: ResolvedShotList) -> tuple[JobCost, ...]:
    """Rows the journal holds (unknown, blocked, expired) marked so: a build skips them."""
    path = project_dir(shotlist) / ".previz" / "journal.sqlite"
    if not path.exists():
        return rows
    with Journal(path) as journal:
        records = {row.key: journal.record(row.key) for row in rows if not row.cached}
    return tuple(
        dataclasses.replace(row, held=record.state.value)
        if (record := records.get(row.key)) is not None and record.held
        else row
        for row in rows
    )


def generation_log(
    scene: str | Path, *, shot_id: str | None = None, limit: int | None = None
) -> list[Generation]:
    """Every generation logged in the scene's project journal, newest first."""
    journal = project_dir(load(scene)) / ".previz" / "journal.sqlite"
    if not journal.exists():
        return []
    with Journal(journal) as book:
        return book.log_entries(shot_id=shot_id, limit=limit)


@dataclass(frozen=True)
class CacheSummary:
    """What a project's cache holds, and what a verify or clear did to it.

    ``location`` is the folder or store URL (never with credentials); for a shared store
    ``root`` is the local copy, with ``copy_bytes`` of ``copy_limit`` used. ``lookups`` counts
    how takes were found across runs: ``hit``/``miss``, or ``local``/``remote``/``miss``.
    """

    root: Path
    entries: int
    bytes: int
    removed: int = 0
    checked: int = 0  # takes decoded whole by ``verify``
    location: str = ""
    shared: bool = False
    copy_bytes: int = 0
    copy_limit: int = 0
    lookups: dict[str, int] = field(default_factory=dict)
    generating: tuple[Lease, ...] = ()  # live team leases: takes some machine is making now

    def hit_rate(self) -> float | None:
        """The share of lookups found in the cache (local copy or store), None before any."""
        total = sum(self.lookups.values())
        return None if total == 0 else 1 - self.lookups.get("miss", 0) / total


def cache_summary(
    scene: str | Path,
    *,
    cache_dir: str | Path | None = None,
    verify: bool = False,
    clear: bool = False,
) -> CacheSummary:
    """Count the cache's takes; ``verify`` decodes each and evicts broken ones; ``clear``
    removes every take (the journal keeps its log). A shared store is counted remotely."""
    shotlist = load(scene)
    cache = open_cache(project_dir(shotlist), cache_dir, setting=shotlist.project.cache)
    keys = list(cache.keys())
    if clear:
        removed = sum(cache.remove(key) for key in keys)
    elif verify:
        removed = sum(not cache.verify(key) for key in keys)
    else:
        removed = 0
    checked = len(keys) if verify and not clear else 0
    summary = CacheSummary(
        cache.root, len(keys) - removed, cache.size(), removed, checked, cache.location,
        lookups=cache.stats(), generating=tuple(live_leases(cache.lease_store())),
    )  # fmt: skip
    if isinstance(cache, SharedCache):
        return dataclasses.replace(summary, shared=True, copy_bytes=cache.copy_size(),
                                   copy_limit=cache.copy_bytes)  # fmt: skip
    return summary
