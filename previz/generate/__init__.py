"""Generation: every planned take through the cache, the journal and its backend.

``run_jobs`` runs a list of :class:`~previz.backends.base.Job` and returns a :class:`RunReport`
of clips and failures; ``estimate_cost`` prices a run before it starts; ``cache_key`` is the
content address of a take; :class:`Cache` and :class:`Journal` are the stores under the
project's ``.previz/``.
"""

from previz.generate.cache import Cache, CachedClip, CacheRecord, Provenance, cache_root
from previz.generate.cost import CostEstimate, JobCost, estimate_cost
from previz.generate.journal import Generation, JobRecord, Journal
from previz.generate.keys import cache_key, job_key
from previz.generate.probing import MediaFacts
from previz.generate.progress import RichProgress, RunProgress, SilentProgress
from previz.generate.report import JobFailure, PlanRow, RunReport
from previz.generate.retry import RetryPolicy
from previz.generate.runner import plan_run, run_jobs, to_clip
from previz.generate.shared import SharedCache, open_cache

__all__ = [
    "Cache",
    "CacheRecord",
    "CachedClip",
    "CostEstimate",
    "Generation",
    "JobCost",
    "JobFailure",
    "JobRecord",
    "Journal",
    "MediaFacts",
    "PlanRow",
    "Provenance",
    "RetryPolicy",
    "RichProgress",
    "RunProgress",
    "RunReport",
    "SharedCache",
    "SilentProgress",
    "cache_key",
    "cache_root",
    "estimate_cost",
    "job_key",
    "open_cache",
    "plan_run",
    "run_jobs",
    "to_clip",
]
