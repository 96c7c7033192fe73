"""Continuity mode: each shot is opened by the last frame of the selected take before it."""

from __future__ import annotations

from pathlib import Path

import pytest

from previz.backends.base import Job
from previz.generate import estimate_cost
from previz.generate.keys import file_sha256
from tests.fakes.backend import FakeRemoteBackend, Faults, Project, jobs_for


@pytest.fixture
def remote(clip: Path, project: Project) -> FakeRemoteBackend:
    return FakeRemoteBackend(clip, latency=2.0, max_concurrency=8, clock=project.clock)


def submitted(remote: FakeRemoteBackend, shot: str) -> list[Job]:
    return [j for j in remote.seen_jobs if j.shot_id == shot]


async def test_the_next_shot_gets_the_last_frame_as_a_first_frame_reference(
    project: Project, remote: FakeRemoteBackend
) -> None:
    report = await project.run(jobs_for(["1A", "1B"], backend=remote.name), remote, continuity=True)
    [first], [second] = submitted(remote, "1A"), submitted(remote, "1B")
    assert first.references == ()
    [frame] = second.references
    assert (frame.role, frame.owner) == ("first_frame", "1A")
    assert frame.path.parent == report.clips[("1A", 1)].path.parent
    assert frame.sha256 == file_sha256(frame.path)


async def test_shots_of_a_scene_run_in_order(project: Project, remote: FakeRemoteBackend) -> None:
    jobs = jobs_for(["1A", "1B", "1C"], backend=remote.name, takes=2)
    await project.run(jobs, remote, continuity=True)
    order = [s for s, _, _ in remote.ledger.submissions()]
    assert order == ["1A", "1A", "1B", "1B", "1C", "1C"]


async def test_the_selected_take_is_the_one_that_continues(
    project: Project, remote: FakeRemoteBackend
) -> None:
    jobs = jobs_for(["1A", "1B"], backend=remote.name, takes=2)
    report = await project.run(jobs, remote, continuity=True, selected_takes={"1A": 2})
    frame = submitted(remote, "1B")[0].references[0]
    assert frame.path.parent.name == report.clips[("1A", 2)].cache_key


async def test_a_continuity_rebuild_is_fully_cached(
    project: Project, remote: FakeRemoteBackend, clip: Path
) -> None:
    jobs = jobs_for(["1A", "1B", "1C"], backend=remote.name)
    await project.run(jobs, remote, continuity=True)
    untouched = FakeRemoteBackend(clip, clock=project.clock)
    report = await project.run(jobs, untouched, continuity=True)
    assert untouched.calls["submit"] == 0 and report.cached == 3
    estimate = estimate_cost(jobs, {untouched.name: untouched}, project.cache)
    assert estimate.cached == 1  # without continuity frames only the first shot's key matches
    plan = (await project.run(jobs, untouched, continuity=True, dry_run=True)).plan
    assert [row.cached for row in plan] == [True, True, True]


async def test_a_failed_shot_holds_back_the_rest_of_its_scene_only(
    project: Project, clip: Path
) -> None:
    remote = FakeRemoteBackend(clip, clock=project.clock, faults=Faults(blocked_shots={"1B"}))
    jobs = [
        *jobs_for(["1A", "1B", "1C"], backend=remote.name, scene="sc1"),
        *jobs_for(["2A", "2B"], backend=remote.name, scene="sc2"),
    ]
    report = await project.run(jobs, remote, continuity=True)
    assert sorted(report.clips) == [("1A", 1), ("2A", 1), ("2B", 1)]
    reasons = {f.shot_id: f for f in report.failures}
    assert "content policy" in reasons["1B"].reason
    assert "shot '1B'" in reasons["1C"].reason and reasons["1C"].retryable
    assert not submitted(remote, "1C")


async def test_a_backend_without_reference_images_gets_no_frame(
    project: Project, clip: Path
) -> None:
    remote = FakeRemoteBackend(clip, clock=project.clock, reference_images=False)
    await project.run(jobs_for(["1A", "1B"], backend=remote.name), remote, continuity=True)
    assert submitted(remote, "1B")[0].references == ()
