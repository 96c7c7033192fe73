"""The runner: cache hits skip the backend, takes stay apart, limits hold, failures stay local."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from previz.backends.base import Clip, Job, JobStatus, RenderedMedia
from previz.errors import BackendError, SceneError
from previz.generate import job_key
from previz.generate.cache import Cache, CachedClip
from previz.generate.progress import SilentProgress
from tests.fakes.backend import (
    FakeLocalBackend,
    FakeRemoteBackend,
    Faults,
    Project,
    jobs_for,
)


@pytest.fixture
def remote(clip: Path, project: Project) -> FakeRemoteBackend:
    return FakeRemoteBackend(clip, latency=3.0, clock=project.clock)


async def test_a_fresh_run_generates_every_job_into_clips(
    project: Project, remote: FakeRemoteBackend
) -> None:
    report = await project.run(jobs_for(["1A", "1B"], backend=remote.name), remote)
    assert sorted(report.clips) == [("1A", 1), ("1B", 1)]
    clip = report.clips[("1A", 1)]
    assert clip.path.exists() and clip.path.is_relative_to(project.cache.root)
    assert (clip.width, clip.height, clip.fps, clip.has_audio) == (64, 36, 24.0, False)
    assert clip.remote_id is not None and clip.backend == remote.name
    assert (report.generated, report.cached, report.failures) == (2, 0, [])


async def test_a_cache_hit_never_calls_the_backend(
    project: Project, remote: FakeRemoteBackend, clip: Path
) -> None:
    jobs = jobs_for(["1A", "1B"], backend=remote.name)
    first = await project.run(jobs, remote)
    untouched = FakeRemoteBackend(clip, clock=project.clock)
    second = await project.run(jobs, untouched)
    assert untouched.calls == {"submit": 0, "poll": 0, "download": 0}
    assert (second.cached, second.generated, second.spent) == (2, 0, 0.0)
    assert second.clips[("1A", 1)].path == first.clips[("1A", 1)].path


async def test_changing_one_shot_regenerates_only_that_shot(
    project: Project, remote: FakeRemoteBackend
) -> None:
    jobs = jobs_for(["1A", "1B", "1C"], backend=remote.name)
    await project.run(jobs, remote)
    jobs[1] = dataclasses.replace(jobs[1], prompt="1B: the keeper stops on the landing")
    report = await project.run(jobs, remote)
    assert [j.shot_id for j in remote.seen_jobs[3:]] == ["1B"]
    assert (report.cached, report.generated) == (2, 1)


async def test_takes_are_separate_jobs_and_all_are_kept(
    project: Project, remote: FakeRemoteBackend
) -> None:
    jobs = jobs_for(["1A"], backend=remote.name, takes=3)
    report = await project.run(jobs, remote)
    keys = {c.cache_key for c in report.clips.values()}
    assert sorted(report.clips) == [("1A", 1), ("1A", 2), ("1A", 3)]
    assert len(keys) == 3 and all(project.cache.get(k) is not None for k in keys)
    assert remote.calls["submit"] == 3


async def test_identical_jobs_are_generated_once(
    project: Project, remote: FakeRemoteBackend
) -> None:
    twin = dataclasses.replace(jobs_for(["1A"], backend=remote.name)[0], shot_id="9Z")
    report = await project.run([*jobs_for(["1A"], backend=remote.name), twin], remote)
    assert remote.calls["submit"] == 1
    assert report.clips[("1A", 1)].path == report.clips[("9Z", 1)].path
    assert (report.generated, report.cached, report.spent) == (1, 1, pytest.approx(0.10))


async def test_the_backend_concurrency_limit_holds(clip: Path, project: Project) -> None:
    local = FakeLocalBackend(clip, latency=0.02, max_concurrency=3)
    report = await project.run(
        jobs_for([f"s{i}" for i in range(9)], backend=local.name), local, sleep=asyncio.sleep
    )
    assert report.generated == 9
    assert local.meter.peak == 3


async def test_a_concurrency_override_beats_the_declared_limit(
    clip: Path, project: Project
) -> None:
    local = FakeLocalBackend(clip, latency=0.02, max_concurrency=3)
    jobs = jobs_for([f"s{i}" for i in range(6)], backend=local.name)
    await project.run(jobs, local, sleep=asyncio.sleep, concurrency={local.name: 1})
    assert local.meter.peak == 1


async def test_remote_jobs_poll_at_the_interval_the_service_asks(
    project: Project, remote: FakeRemoteBackend
) -> None:
    await project.run(jobs_for(["1A"], backend=remote.name), remote, poll_interval=99.0)
    assert project.clock.sleeps == [3.0]
    assert remote.calls["poll"] == 2


async def test_the_default_poll_interval_applies_when_the_service_names_none(
    project: Project, clip: Path
) -> None:
    class Quiet(FakeRemoteBackend):
        async def poll(self, remote_id, job):  # type: ignore[no-untyped-def]
            update = await super().poll(remote_id, job)
            return dataclasses.replace(update, poll_after=None)

    quiet = Quiet(clip, latency=3.0, clock=project.clock)
    await project.run(jobs_for(["1A"], backend=quiet.name), quiet, poll_interval=2.0)
    assert project.clock.sleeps == [2.0, 2.0]


async def test_the_request_rate_spaces_out_calls(
    project: Project, remote: FakeRemoteBackend
) -> None:
    remote.latency = 0.0
    jobs = jobs_for(["1A", "1B"], backend=remote.name)
    await project.run(jobs, remote, request_rate=2.0)
    # 2 jobs x (submit, poll, download) = 6 calls at 2/s: the last starts 2.5 s after the first.
    assert sum(project.clock.sleeps) == pytest.approx(2.5)


async def test_one_shot_failing_does_not_stop_the_others(project: Project, clip: Path) -> None:
    remote = FakeRemoteBackend(
        clip, latency=1.0, clock=project.clock, faults=Faults(blocked_shots={"1B"})
    )
    report = await project.run(jobs_for(["1A", "1B", "1C"], backend=remote.name), remote)
    assert sorted(report.clips) == [("1A", 1), ("1C", 1)]
    [failure] = report.failures
    assert (failure.shot_id, failure.retryable) == ("1B", False)
    assert "content policy" in failure.reason
    assert not report.ok


async def test_every_generation_is_logged(project: Project, clip: Path) -> None:
    remote = FakeRemoteBackend(
        clip, latency=1.0, clock=project.clock, faults=Faults(blocked_shots={"1B"})
    )
    await project.run(jobs_for(["1A", "1B"], backend=remote.name), remote)
    entries = {g.shot_id: g for g in project.journal.log_entries()}
    assert entries["1A"].outcome == "generated"
    assert entries["1A"].cost == pytest.approx(0.10)
    assert entries["1A"].latency == pytest.approx(1.0)
    assert entries["1A"].prompt.startswith("1A:")
    assert (entries["1B"].outcome, entries["1B"].cost) == ("failed", 0.0)
    assert "content policy" in (entries["1B"].reason or "")


async def test_the_journal_ends_downloaded_or_failed(project: Project, clip: Path) -> None:
    remote = FakeRemoteBackend(
        clip, latency=1.0, clock=project.clock, faults=Faults(blocked_shots={"1B"})
    )
    jobs = jobs_for(["1A", "1B"], backend=remote.name)
    await project.run(jobs, remote)
    states = {r.shot_id: r.state for r in project.journal.records()}
    assert states == {"1A": JobStatus.DOWNLOADED, "1B": JobStatus.FAILED}


async def test_a_dry_run_plans_without_calling_anything(
    project: Project, remote: FakeRemoteBackend
) -> None:
    jobs = jobs_for(["1A", "1B"], backend=remote.name)
    await project.run(jobs[:1], remote)
    calls = dict(remote.calls)
    report = await project.run(jobs, remote, dry_run=True)
    assert remote.calls == calls
    assert [(r.job.shot_id, r.cached, r.cost) for r in report.plan] == [
        ("1A", True, 0.0),
        ("1B", False, pytest.approx(0.10)),
    ]
    assert report.plan[1].key == job_key(jobs[1], {remote.name: remote})
    assert report.dry_run and report.clips == {}


async def test_a_local_backend_renders_without_polling(clip: Path, project: Project) -> None:
    local = FakeLocalBackend(clip, sleep=project.clock.sleep)
    report = await project.run(jobs_for(["1A"], backend=local.name), local)
    assert local.calls["render"] == 1
    assert report.clips[("1A", 1)].remote_id is None


async def test_a_take_planned_twice_is_refused(project: Project, remote: FakeRemoteBackend) -> None:
    jobs = jobs_for(["1A"], backend=remote.name)
    with pytest.raises(SceneError, match="take 1 is planned twice"):
        await project.run([*jobs, *jobs], remote)
    assert remote.calls["submit"] == 0


async def test_a_concurrency_below_one_is_refused(
    project: Project, remote: FakeRemoteBackend
) -> None:
    with pytest.raises(BackendError, match="at least 1, not 0"):
        await project.run(
            jobs_for(["1A"], backend=remote.name), remote, concurrency={remote.name: 0}
        )


async def test_the_request_rate_does_not_slow_a_local_renderer(
    clip: Path, project: Project
) -> None:
    local = FakeLocalBackend(clip, latency=0.0, sleep=project.clock.sleep, max_concurrency=4)
    await project.run(jobs_for(["1A", "1B", "1C"], backend=local.name), local, request_rate=1.0)
    assert project.clock.sleeps == [0.0, 0.0, 0.0]


class NotingProgress(SilentProgress):
    """Notes each take kept from the cache, in a list a backend notes its renders in too."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def job_done(self, job: Job, outcome: str, cost: float, reason: str | None = None) -> None:
        self.events.append(f"{outcome} {job.shot_id}")


class NotingLocal(FakeLocalBackend):
    def __init__(self, clip: Path, events: list[str]) -> None:
        super().__init__(clip)
        self.events = events

    async def render(self, job: Job, workdir: Path) -> RenderedMedia:
        self.events.append(f"render {job.shot_id}")
        return await super().render(job, workdir)


async def test_a_take_to_make_starts_before_the_cached_takes_are_kept(
    project: Project, clip: Path
) -> None:
    events: list[str] = []
    local = NotingLocal(clip, events)
    jobs = jobs_for(["1A", "1B", "1C"], backend=local.name)
    await project.run([jobs[0], jobs[2]], local)
    events.clear()
    report = await project.run(jobs, local, progress=NotingProgress(events))
    assert events[0] == "render 1B"  # its render is under way while the others are kept
    assert sorted(events[1:]) == ["cached 1A", "cached 1C", "generated 1B"]
    assert (report.cached, report.generated) == (2, 1)


async def test_the_kept_takes_are_handed_over_while_a_take_is_still_being_made(
    project: Project, clip: Path
) -> None:
    events: list[str] = []
    local = NotingLocal(clip, events)
    jobs = jobs_for(["1A", "1B", "1C"], backend=local.name)
    await project.run([jobs[0], jobs[2]], local)
    handed: list[tuple[dict[tuple[str, int], Clip], list[str]]] = []
    events.clear()
    report = await project.run(
        jobs, local, progress=NotingProgress(events),
        on_kept=lambda clips: handed.append((dict(clips), list(events))),
    )  # fmt: skip
    [(kept, seen)] = handed
    assert sorted(kept) == [("1A", 1), ("1C", 1)]
    assert all(kept[key] is report.clips[key] for key in kept)  # the very clips the run keeps
    assert "generated 1B" not in seen
    await project.run(jobs, local, on_kept=lambda clips: handed.append(({}, [])))
    assert len(handed) == 1  # nothing left to make: nothing handed over


class EvictingCache(Cache):
    """The project's cache, whose entry of ``key`` is evicted after its first lookup."""

    def __init__(self, root: Path, key: str) -> None:
        super().__init__(root)
        self.key, self.seen = key, 0

    def get(self, key: str) -> CachedClip | None:
        entry = super().get(key)
        if key == self.key:
            self.seen += 1
            if self.seen == 1:
                self.remove(key)  # gone between the plan and the run
        return entry


async def test_a_take_evicted_after_planning_is_made_again_not_failed(
    project: Project, clip: Path
) -> None:
    local = FakeLocalBackend(clip)
    jobs = jobs_for(["1A", "1B"], backend=local.name)
    await project.run(jobs, local)
    project.cache = EvictingCache(project.cache.root, job_key(jobs[1], {local.name: local}))
    report = await project.run(jobs, local)
    assert report.plan[1].cached  # the plan found it
    assert (report.cached, report.generated, report.failures) == (1, 1, [])
    assert report.clips[("1B", 1)].path.is_file()
