"""How a take that did not come out ends: what the journal records, what the report says.

:func:`settle` turns the error that stopped a take into its journal state and its report line.
A remote job that may still finish (a timeout, a Ctrl-C, trouble reaching the service, a
refused key, a clip that would not download whole) stays ``submitted``, so the next run polls
it instead of paying again; a job the service reports failed, or a request it refused, is
``failed`` and planned afresh next time. Three endings are held until the user asks:
``unknown`` (the submission's reply was lost and the service cannot account for it — its price
counts as spent), ``blocked`` (moderation refused the prompt) and ``expired`` (the output was
gone before it was fetched).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from previz.backends.base import JobStatus
from previz.errors import (
    AuthenticationError,
    ContentBlocked,
    JobFailedError,
    MediaError,
    OutputExpired,
    PrevizError,
)
from previz.generate.journal import JobRecord, Journal
from previz.generate.retry import is_transient


class TakeFailed(Exception):
    """A take did not come out: ``reason`` in the service's words; ``retryable``: rerun may help.

    ``state`` and ``cost`` are those of :class:`~previz.generate.report.JobFailure`.
    """

    def __init__(
        self, reason: str, *, retryable: bool, state: str = "failed", cost: float = 0.0
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.state = state
        self.cost = cost


class Timeout(Exception):
    """The job ran past its ``job_timeout``."""


class NotSubmitted(Exception):
    """The take was stopped before anything was sent (over budget, the key was refused)."""


class Unknown(Exception):
    """A submission left, its reply was lost, and the service cannot say what it made."""


class JobDead(JobFailedError):
    """The service reports the job failed: nothing is left to poll."""


@dataclass
class Budget:
    """The ``--max-cost`` guard.

    ``committed`` is the price of every submission this run made — money at risk, since a
    service may bill a generation it then loses — and is what the limit is checked against
    before each submission (a resubmission counts again; a submission of unknown outcome is
    never refunded). ``spent`` is the price of the clips that came out.
    """

    limit: float | None
    committed: float = 0.0
    spent: float = 0.0

    def commit(self, price: float) -> None:
        """Commit ``price`` to a submission, or raise if that would pass the limit."""
        if self.limit is not None and self.committed + price > self.limit + 1e-9:
            raise NotSubmitted(f"not submitted: the spend would pass --max-cost ${self.limit:.2f}")
        self.committed += price

    def refund(self, price: float) -> None:
        """The submission never reached the service (or a local render failed): nothing billed."""
        self.committed -= price


@dataclass(frozen=True)
class Ending:
    """How a take ended: log outcome, reason, retryable, report state, money at risk."""

    outcome: str
    reason: str
    retryable: bool
    state: str = "failed"
    cost: float = 0.0

    def failure(self) -> TakeFailed:
        return TakeFailed(self.reason, retryable=self.retryable, state=self.state, cost=self.cost)


def when(epoch: float | None) -> str:
    """An epoch time as readable UTC (``2026-11-30 10:41 UTC``), or "an unknown time"."""
    if epoch is None:
        return "an unknown time"
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def settle(
    journal: Journal,
    key: str,
    error: BaseException,
    *,
    remote_id: str | None,
    phase: str,
    price: float,
    job_timeout: float | None,
) -> Ending:
    """Journal how the take ended and say how to report it."""
    held = _held(journal, key, error, price)
    if held is not None:
        return held
    ending = _classify(error, phase, job_timeout)
    resumable = isinstance(error, (asyncio.CancelledError, Timeout, AuthenticationError))
    resumable = resumable or is_transient(error) or isinstance(error, MediaError)
    record = journal.record(key)
    if remote_id is not None and resumable and not isinstance(error, JobDead):
        # The remote job may still finish: the next run polls it rather than paying again.
        journal.note(key, f"{ending.reason}; the next run resumes polling")
    elif remote_id is None and record is not None and record.reply_lost:
        # Stopped with a submission on the wire: the next run asks the service what it made.
        journal.note(key, f"{ending.reason}; the next run asks the service about the submission")
    elif not isinstance(error, NotSubmitted):
        journal.failed(key, ending.reason)
    return ending


def _held(journal: Journal, key: str, error: BaseException, price: float) -> Ending | None:
    if isinstance(error, Unknown):
        journal.unknown(key, str(error), price)
        return Ending("unknown", str(error), False, "unknown", price)
    if isinstance(error, ContentBlocked):
        why = error.reason or error.message
        journal.blocked(key, why)
        reason = (
            f"blocked by moderation: {why}; skipped until the prompt changes (or --retry-blocked)"
        )
        return Ending("blocked", reason, False, "blocked")
    if isinstance(error, OutputExpired):
        journal.expired(key, error.message, error.expired_at)
        reason = (
            f"the finished clip expired at {when(error.expired_at)} before it was downloaded; "
            "--regenerate-expired generates it again (paid again)"
        )
        return Ending("expired", reason, False, "expired")
    return None


def _classify(error: BaseException, phase: str, job_timeout: float | None) -> Ending:
    if isinstance(error, asyncio.CancelledError):
        return Ending("cancelled", f"cancelled while {phase}", True)
    if isinstance(error, NotSubmitted):
        return Ending("not submitted", str(error), True, "not submitted")
    if isinstance(error, Timeout):
        return Ending("timed out", f"timed out after {job_timeout:g}s while {phase}", True)
    if isinstance(error, AuthenticationError):
        hint = "; fix the backend's API key and run again"
        return Ending("failed", f"the service refused the API key: {error.message}{hint}", True)
    if isinstance(error, JobFailedError):
        return Ending("failed", error.message, error.retryable)
    if is_transient(error):
        return Ending("failed", f"service still failing after retries: {error}", True)
    if isinstance(error, MediaError):
        return Ending("failed", f"the clip is broken: {error.message}", True)
    if isinstance(error, PrevizError):
        return Ending("failed", error.message, False)
    return Ending("failed", f"{type(error).__name__}: {error}", False)


def released_states(unknown: bool, blocked: bool, expired: bool) -> frozenset[JobStatus]:
    """The held journal states this run may generate again."""
    flags = {JobStatus.UNKNOWN: unknown, JobStatus.BLOCKED: blocked, JobStatus.EXPIRED: expired}
    return frozenset(state for state, on in flags.items() if on)


def held_reason(record: JobRecord) -> str:
    """Why a held take is not generated this run, and the flag that would let it through."""
    if record.state is JobStatus.BLOCKED:
        return (
            f"blocked by moderation ({record.updated[:16]}): {record.reason}; skipped until the "
            "prompt changes (or --retry-blocked)"
        )
    if record.state is JobStatus.EXPIRED:
        return (
            f"the finished clip expired at {when(record.expires_at)} before it was downloaded; "
            "--regenerate-expired generates it again (paid again)"
        )
    return f"outcome unknown: {record.reason}"
