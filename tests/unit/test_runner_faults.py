"""Cloud faults never pay twice nor keep a broken clip; held takes wait for the user's word.

Each test counts submissions in the fake service's own ledger.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import pytest

from previz.backends.base import JobStatus
from previz.backends.http import probe_clip
from previz.generate import RetryPolicy, lifecycle, submission
from tests.fakes.backend import FakeRemoteBackend, Fault, Faults, Project, jobs_for


def service(clip: Path, project: Project, **options: object) -> FakeRemoteBackend:
    settings: dict[str, object] = {"latency": 2.0, **options}
    return FakeRemoteBackend(clip, clock=project.clock, **settings)  # type: ignore[arg-type]


def submitted(remote: FakeRemoteBackend) -> list[str]:
    return [shot for shot, _, _ in remote.ledger.submissions()]


def state(project: Project, shot: str) -> JobStatus:
    [record] = [r for r in project.journal.records() if r.shot_id == shot]
    return record.state


async def test_a_reply_lost_after_the_job_was_created_is_reconciled_not_resent(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(queued={"submit": [Fault.REPLY_LOST]}))
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert report.ok and report.generated == 1
    assert submitted(remote) == ["1A"] and remote.reconciles == 1
    assert report.clips[("1A", 1)].remote_id == remote.ledger.submissions()[0][2]


async def test_a_lost_reply_the_service_cannot_account_for_is_held_unknown_and_counted(
    project: Project, clip: Path
) -> None:
    remote = service(
        clip,
        project,
        can_reconcile=False,
        max_concurrency=1,  # 1A is the first to be sent, so the lost reply is its own
        faults=Faults(queued={"submit": [Fault.REPLY_LOST]}),
    )
    jobs = jobs_for(["1A", "1B"], backend=remote.name)
    report = await project.run(jobs, remote)
    [failure] = report.failures
    assert (failure.shot_id, failure.state, failure.cost) == ("1A", "unknown", pytest.approx(0.1))
    assert "--resubmit-unknown" in failure.reason and "dropped" in failure.reason
    assert report.spent == pytest.approx(0.2)  # 1B's clip and 1A's possible bill
    assert project.journal.spent() == pytest.approx(0.2)
    assert state(project, "1A") is JobStatus.UNKNOWN
    assert sorted(submitted(remote)) == ["1A", "1B"]


async def test_an_unknown_take_is_not_resubmitted_until_the_user_says_so(
    project: Project, clip: Path
) -> None:
    remote = service(
        clip, project, can_reconcile=False, faults=Faults(queued={"submit": [Fault.REPLY_LOST]})
    )
    jobs = jobs_for(["1A"], backend=remote.name)
    await project.run(jobs, remote)
    again = await project.run(jobs, remote)
    assert again.failures[0].state == "unknown" and again.estimated_cost == 0.0
    assert submitted(remote) == ["1A"]
    resubmitted = await project.run(jobs, remote, resubmit_unknown=True)
    assert resubmitted.ok
    assert submitted(remote) == ["1A", "1A"]  # asked for, and the first may be billed too
    assert project.journal.spent() == pytest.approx(0.2)


async def test_resubmitting_unknown_first_asks_the_service_again(
    project: Project, clip: Path
) -> None:
    remote = service(
        clip, project, can_reconcile=False, faults=Faults(queued={"submit": [Fault.REPLY_LOST]})
    )
    jobs = jobs_for(["1A"], backend=remote.name)
    await project.run(jobs, remote)
    remote.can_reconcile = True  # the service's job list has caught up
    report = await project.run(jobs, remote, resubmit_unknown=True)
    assert report.ok and submitted(remote) == ["1A"]
    assert project.journal.spent() == pytest.approx(0.1)  # its price, counted once


async def test_an_unknown_submission_counts_against_max_cost(project: Project, clip: Path) -> None:
    remote = service(
        clip,
        project,
        can_reconcile=False,
        max_concurrency=1,
        faults=Faults(queued={"submit": [Fault.REPLY_LOST]}, lost_shots={"1B": 1}),
    )
    report = await project.run(jobs_for(["1A", "1B"], backend=remote.name), remote, max_cost=0.2)
    states = {f.shot_id: f.state for f in report.failures}
    assert states == {"1A": "unknown", "1B": "not submitted"}
    assert submitted(remote) == ["1A", "1B"]  # 1B's resubmission would pass $0.20


async def test_a_refused_connection_is_sent_again_because_nothing_left(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(queued={"submit": [Fault.REFUSED] * 2}))
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert report.ok and submitted(remote) == ["1A"] and remote.calls["submit"] == 3


async def test_a_read_timeout_on_submit_is_reconciled_not_resent(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(queued={"submit": [Fault.TIMEOUT]}))
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert remote.calls["submit"] == 1 and remote.reconciles == 1
    assert report.failures[0].state == "unknown"  # the fake times out before creating


async def test_six_429s_while_polling_do_not_fail_a_finished_job(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(queued={"poll": [Fault.RATE_LIMIT] * 6}))
    remote.faults.retry_after = 7.0
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert report.ok and submitted(remote) == ["1A"]
    assert project.clock.sleeps.count(7.0) == 6


async def test_polls_never_come_faster_than_the_backends_poll_interval(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, poll_interval=5.0, latency=12.0)
    remote.faults.queued["poll"] = [Fault.SERVER_ERROR] * 2
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote, retry=RetryPolicy())
    assert report.ok
    assert project.clock.sleeps and min(project.clock.sleeps) >= 5.0


async def test_a_refused_key_stops_every_other_submission_to_that_backend(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(queued={"submit": [Fault.AUTH]}))
    report = await project.run(jobs_for(["1A", "1B", "1C"], backend=remote.name), remote)
    assert remote.calls["submit"] == 1 and submitted(remote) == []
    states = sorted(f.state for f in report.failures)
    assert states == ["failed", "not submitted", "not submitted"]
    assert all("API key" in f.reason for f in report.failures)
    assert {r.state for r in project.journal.records()} <= {JobStatus.PLANNED, JobStatus.FAILED}


async def test_a_moderation_block_is_remembered_and_skipped_next_run(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(moderated_shots={"1A"}))
    jobs = jobs_for(["1A"], backend=remote.name)
    first = await project.run(jobs, remote)
    assert first.failures[0].state == "blocked" and "--retry-blocked" in first.failures[0].reason
    assert state(project, "1A") is JobStatus.BLOCKED
    second = await project.run(jobs, remote)
    assert second.failures[0].state == "blocked" and submitted(remote) == ["1A"]
    await project.run(jobs, remote, retry_blocked=True)
    assert submitted(remote) == ["1A", "1A"]


async def test_a_blocked_prompt_changed_is_a_new_take(project: Project, clip: Path) -> None:
    remote = service(clip, project, faults=Faults(queued={"submit": [Fault.MODERATED]}))
    [job] = jobs_for(["1A"], backend=remote.name)
    await project.run([job], remote)
    assert remote.calls["submit"] == 1 and state(project, "1A") is JobStatus.BLOCKED
    report = await project.run([dataclasses.replace(job, prompt="1A: a calmer take")], remote)
    assert report.ok and remote.calls["submit"] == 2


async def test_an_expired_output_is_reported_with_when_and_not_regenerated_unasked(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(expires_at=time.time() - 3600))
    jobs = jobs_for(["1A"], backend=remote.name)
    first = await project.run(jobs, remote)
    [failure] = first.failures
    assert failure.state == "expired" and " UTC " in failure.reason
    assert "--regenerate-expired" in failure.reason and remote.calls["download"] == 0
    second = await project.run(jobs, remote)
    assert second.failures[0].state == "expired" and submitted(remote) == ["1A"]
    remote.faults.expires_at = None
    third = await project.run(jobs, remote, regenerate_expired=True)
    assert third.ok and submitted(remote) == ["1A", "1A"]


async def test_content_gone_at_download_is_expired_not_retried(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(queued={"download": [Fault.EXPIRED]}))
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert report.failures[0].state == "expired" and remote.calls["download"] == 1
    assert "2023-11-14 22:13 UTC" in report.failures[0].reason


async def test_a_short_download_is_fetched_again_and_never_cached(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(queued={"download": [Fault.SHORT]}))
    report = await project.run(jobs_for(["1A"], backend=remote.name), remote)
    assert report.ok and remote.calls["download"] == 2 and submitted(remote) == ["1A"]
    cached = report.clips[("1A", 1)].path
    assert probe_clip(cached).frames == probe_clip(clip).frames


async def test_a_download_that_stays_short_keeps_the_job_for_the_next_run(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, faults=Faults(queued={"download": [Fault.SHORT] * 3}))
    jobs = jobs_for(["1A"], backend=remote.name)
    first = await project.run(jobs, remote, retry=RetryPolicy(attempts=3))
    assert first.failures[0].retryable and list(project.cache.keys()) == []
    assert state(project, "1A") is JobStatus.SUBMITTED
    assert (await project.run(jobs, remote)).ok and submitted(remote) == ["1A"]


async def test_a_ctrl_c_while_waiting_to_resend_leaves_nothing_to_reconcile(
    project: Project, clip: Path
) -> None:
    remote = FakeRemoteBackend(clip, faults=Faults(queued={"submit": [Fault.RATE_LIMIT]}))
    remote.faults.retry_after = 30.0
    jobs = jobs_for(["1A"], backend=remote.name)
    run = asyncio.ensure_future(
        project.run(jobs, remote, clock=time.monotonic, sleep=asyncio.sleep)
    )
    while remote.calls["submit"] < 1:
        await asyncio.sleep(0.001)
    run.cancel()  # during the 30 s the service asked for: nothing is on the wire
    with pytest.raises(asyncio.CancelledError):
        await run
    assert project.journal.records()[0].sent_at is None
    assert (await project.run(jobs, remote)).ok and submitted(remote) == ["1A"]
    assert remote.reconciles == 0


async def test_a_ctrl_c_with_the_submission_on_the_wire_asks_the_service_next_run(
    project: Project, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lifecycle, "SUBMIT_GRACE", 0.05)  # how long a Ctrl-C waits for a reply
    slow = FakeRemoteBackend(clip, clock=project.clock, reply_delay=30.0)
    jobs = jobs_for(["1A"], backend=slow.name)
    run = asyncio.ensure_future(project.run(jobs, slow))
    while not slow.ledger.submissions():
        await asyncio.sleep(0.001)
    run.cancel()  # the service has the job; its reply would take 30 s, past the grace period
    with pytest.raises(asyncio.CancelledError):
        await run
    record = project.journal.records()[0]
    assert record.reply_lost and record.remote_id is None
    fresh = FakeRemoteBackend(clip, clock=project.clock, ledger=slow.ledger)
    assert (await project.run(jobs, fresh)).ok
    assert fresh.reconciles == 1 and submitted(fresh) == ["1A"]


async def test_a_key_refused_while_polling_keeps_the_job_and_stops_new_submissions(
    project: Project, clip: Path
) -> None:
    remote = service(clip, project, max_concurrency=1, faults=Faults(queued={"poll": [Fault.AUTH]}))
    jobs = jobs_for(["1A", "1B"], backend=remote.name)
    report = await project.run(jobs, remote)
    assert {f.shot_id: f.state for f in report.failures} == {"1A": "failed", "1B": "not submitted"}
    assert state(project, "1A") is JobStatus.SUBMITTED  # paid for: the next run polls it
    assert (await project.run(jobs, remote)).ok and submitted(remote) == ["1A", "1B"]


async def test_a_take_timing_out_mid_submission_is_held_unknown_not_resent(
    project: Project, clip: Path
) -> None:
    slow = service(clip, project, can_reconcile=False, reply_delay=5.0)
    jobs = jobs_for(["1A"], backend=slow.name)
    report = await project.run(
        jobs, slow, clock=time.monotonic, sleep=asyncio.sleep, job_timeout=0.1
    )
    [failure] = report.failures
    assert failure.state == "unknown" and "0.1s timeout passed" in failure.reason
    assert submitted(slow) == ["1A"]


async def test_a_hung_first_submission_does_not_hold_back_the_other_shots(
    project: Project, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submission, "PROOF_WAIT", 0.2)
    remote = service(clip, project, latency=0.0, poll_interval=0.01, hang=("submit", "1A", None))
    jobs = jobs_for(["1A", "1B"], backend=remote.name)
    real_time = {"clock": time.monotonic, "sleep": asyncio.sleep}
    report = await project.run(jobs, remote, job_timeout=3.0, **real_time)
    assert ("1B", 1) in report.clips
    assert [f.shot_id for f in report.failures] == ["1A"]  # its own timeout, not 1B's
