"""Transient service trouble is retried with backoff; refusals are not; nothing is paid twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from previz.backends.base import JobStatus
from previz.generate import RetryPolicy
from tests.fakes.backend import (
    FakeRemoteBackend,
    Fault,
    Faults,
    Ledger,
    Project,
    jobs_for,
)


def faulty(clip: Path, project: Project, **queued: list[Fault]) -> FakeRemoteBackend:
    return FakeRemoteBackend(
        clip, latency=0.0, clock=project.clock, faults=Faults(queued=dict(queued))
    )


async def test_a_429_waits_as_long_as_retry_after_says(project: Project, clip: Path) -> None:
    remote = faulty(clip, project, submit=[Fault.RATE_LIMIT, Fault.RATE_LIMIT])
    remote.faults.retry_after = 30.0
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert project.clock.sleeps == [30.0, 30.0]
    assert remote.ledger.submissions()[0][0] == "1A" and len(remote.ledger.submissions()) == 1
    assert report.ok


async def test_a_500_backs_off_exponentially_with_jitter(project: Project, clip: Path) -> None:
    remote = faulty(clip, project, submit=[Fault.SERVER_ERROR] * 4)
    policy = RetryPolicy(attempts=6, base=1.0, cap=60.0)
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote, retry=policy)
    assert report.ok
    assert len(project.clock.sleeps) == 4
    for attempt, waited in enumerate(project.clock.sleeps):
        assert 0.0 <= waited <= 2.0**attempt


@pytest.mark.parametrize(
    ("call", "fault"),
    [("poll", Fault.TIMEOUT), ("download", Fault.CONNECTION_RESET), ("poll", Fault.SERVER_ERROR)],
)
async def test_transient_errors_while_polling_or_downloading_are_retried(
    project: Project, clip: Path, call: str, fault: Fault
) -> None:
    remote = faulty(clip, project, **{call: [fault, fault]})
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert report.ok
    assert remote.calls["submit"] == 1
    assert remote.calls[call] >= 3


async def test_a_safety_block_is_not_retried_and_keeps_the_reason(
    project: Project, clip: Path
) -> None:
    remote = faulty(clip, project, submit=[Fault.SAFETY_BLOCK])
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert remote.calls["submit"] == 1
    assert project.clock.sleeps == []
    [failure] = report.failures
    assert failure.reason == Fault.SAFETY_BLOCK.value
    assert failure.retryable is False


async def test_a_bad_request_is_not_retried(project: Project, clip: Path) -> None:
    remote = faulty(clip, project, submit=[Fault.BAD_REQUEST])
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert remote.calls["submit"] == 1
    assert report.failures[0].reason.startswith("400")


async def test_retries_give_up_after_the_policy_attempts(project: Project, clip: Path) -> None:
    remote = faulty(clip, project, submit=[Fault.SERVER_ERROR] * 5)
    report = await project.run(
        jobs_for(["1A"], backend=remote.name), remote, retry=RetryPolicy(attempts=3)
    )
    assert remote.calls["submit"] == 3
    [failure] = report.failures
    assert failure.retryable is True and "500" in failure.reason


async def test_polling_outlasts_more_trouble_than_the_retry_policy_allows(
    project: Project, clip: Path
) -> None:
    remote = faulty(clip, project, poll=[Fault.SERVER_ERROR] * 8)
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote, retry=RetryPolicy(3))
    assert report.ok
    assert remote.calls["submit"] == 1 and remote.calls["poll"] == 9


async def test_a_job_still_failing_to_poll_at_its_deadline_stays_submitted_for_the_next_run(
    project: Project, clip: Path
) -> None:
    remote = faulty(clip, project, poll=[Fault.SERVER_ERROR] * 50)
    jobs = jobs_for(["1A"], backend=remote.name)
    first = await project.run(jobs, remote, job_timeout=60.0)
    assert "timed out after 60s while polling" in first.failures[0].reason
    assert first.failures[0].retryable
    assert project.journal.records()[0].state is JobStatus.SUBMITTED
    remote.faults.queued.clear()
    second = await project.run(jobs, remote)
    assert second.ok
    assert remote.calls["submit"] == 1


async def test_a_job_the_service_lost_is_submitted_again(project: Project, clip: Path) -> None:
    remote = faulty(clip, project)
    remote.faults.lost_shots["1A"] = 1
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote, resubmits=1)
    assert report.ok
    assert remote.calls["submit"] == 2
    assert [g.outcome for g in project.journal.log_entries()] == ["generated", "failed"]


async def test_a_job_timeout_keeps_the_remote_job_for_the_next_run(
    project: Project, clip: Path
) -> None:
    remote = FakeRemoteBackend(clip, latency=100.0, clock=project.clock)
    jobs = jobs_for(["1A"], backend=remote.name)
    first = await project.run(jobs, remote, job_timeout=10.0)
    [failure] = first.failures
    assert "timed out after 10s" in failure.reason and failure.retryable
    record = project.journal.records()[0]
    assert record.state is JobStatus.SUBMITTED
    second = await project.run(jobs, remote, job_timeout=1000.0)
    assert second.ok
    assert remote.calls["submit"] == 1


async def test_cancelling_a_run_resumes_polling_next_time(project: Project, clip: Path) -> None:
    ledger = Ledger()
    hanging = FakeRemoteBackend(clip, clock=project.clock, ledger=ledger, hang=("poll", "1B", None))
    jobs = jobs_for(["1A", "1B"], backend=hanging.name)
    run = asyncio.ensure_future(project.run(jobs, hanging))
    while {r.state for r in project.journal.records()} != {
        JobStatus.DOWNLOADED,
        JobStatus.SUBMITTED,
    }:
        await asyncio.sleep(0.001)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    states = {r.shot_id: r.state for r in project.journal.records()}
    assert states == {"1A": JobStatus.DOWNLOADED, "1B": JobStatus.SUBMITTED}
    fresh = FakeRemoteBackend(clip, clock=project.clock, ledger=ledger)
    report = await project.run(jobs, fresh)
    assert report.ok and (report.cached, report.generated) == (1, 1)
    assert fresh.calls["submit"] == 0
    assert sorted(s for s, _, _ in ledger.submissions()) == ["1A", "1B"]


async def test_jobs_still_queued_when_cancelled_stay_planned_and_unlogged(
    project: Project, clip: Path
) -> None:
    hanging = FakeRemoteBackend(
        clip, clock=project.clock, max_concurrency=1, hang=("poll", "1A", None)
    )
    run = asyncio.ensure_future(project.run(jobs_for(["1A", "1B"], backend=hanging.name), hanging))
    while hanging.calls["poll"] < 1:
        await asyncio.sleep(0.001)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    states = {r.shot_id: r.state for r in project.journal.records()}
    assert states == {"1A": JobStatus.SUBMITTED, "1B": JobStatus.PLANNED}
    assert [(g.shot_id, g.outcome) for g in project.journal.log_entries()] == [("1A", "cancelled")]


async def test_a_call_that_never_answers_ends_at_the_job_timeout(
    project: Project, clip: Path
) -> None:
    silent = FakeRemoteBackend(clip, hang=("poll", "1A", None))
    report = await project.run(
        jobs_for(["1A"], backend=silent.name),
        silent,
        clock=time.monotonic,
        sleep=asyncio.sleep,
        job_timeout=0.05,
    )
    [failure] = report.failures
    assert "timed out after 0.05s while polling" in failure.reason
    assert project.journal.records()[0].state is JobStatus.SUBMITTED


async def test_cancelling_during_a_submission_journals_the_id_the_service_returns(
    project: Project, clip: Path
) -> None:
    ledger = Ledger()
    slow = FakeRemoteBackend(clip, clock=project.clock, ledger=ledger, reply_delay=0.05)
    jobs = jobs_for(["1A"], backend=slow.name)
    run = asyncio.ensure_future(project.run(jobs, slow))
    while not ledger.submissions():
        await asyncio.sleep(0.001)
    run.cancel()  # the service has accepted the job; its reply is still on the way
    with pytest.raises(asyncio.CancelledError):
        await run
    [(_, _, remote_id)] = ledger.submissions()
    record = project.journal.records()[0]
    assert (record.state, record.remote_id) == (JobStatus.SUBMITTED, remote_id)
    fresh = FakeRemoteBackend(clip, clock=project.clock, ledger=ledger)
    assert (await project.run(jobs, fresh)).ok
    assert fresh.calls["submit"] == 0
