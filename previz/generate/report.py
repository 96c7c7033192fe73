"""What a run produced: the clips, the failures with their reasons, what it spent, and the plan.

One shot failing does not stop a run; its :class:`JobFailure` says why, in the service's words,
and whether running again can help (``retryable``). Its ``state`` tells the kinds apart:
``failed``; ``not submitted`` (stopped before it was sent: the key was refused, the budget
ran out); ``unknown`` (sent, reply lost, the service cannot account for it: its ``cost`` may
have been billed); ``blocked`` (moderation refused the prompt); ``expired`` (made, but gone
before it was fetched). A dry run fills only ``plan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from previz.backends.base import Clip, Job, JobStatus


@dataclass(frozen=True)
class JobFailure:
    """A take that did not come out, and why."""

    shot_id: str
    take: int
    backend: str
    reason: str
    retryable: bool
    key: str = ""
    state: str = "failed"  # "failed" | "not submitted" | "unknown" | "blocked" | "expired"
    cost: float = 0.0  # what the service may have billed for it (an ``unknown`` submission)


@dataclass(frozen=True)
class PlanRow:
    """One job as planned: its cache key (None until a continuity frame exists), whether it is
    cached, its estimated cost for this run, and the journal state it resumes from."""

    job: Job
    key: str | None
    cached: bool
    cost: float
    journal_state: JobStatus | None = None


@dataclass
class RunReport:
    """The outcome of :func:`previz.generate.run_jobs`."""

    clips: dict[tuple[str, int], Clip] = field(default_factory=dict)
    failures: list[JobFailure] = field(default_factory=list)
    spent: float = 0.0  # clips that came out, plus submissions of unknown outcome
    cached: int = 0
    generated: int = 0
    plan: list[PlanRow] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when every job produced a clip (a dry run is ok when it planned)."""
        return not self.failures

    @property
    def at_risk(self) -> float:
        """What submissions of unknown outcome may have been billed (included in ``spent``)."""
        return sum(f.cost for f in self.failures)

    @property
    def estimated_cost(self) -> float:
        return sum(row.cost for row in self.plan)
