"""A trimmed shot reuses its cached take at another allowed length instead of paying again."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from previz.backends.base import Backend, Capabilities, Job
from previz.generate import estimate_cost
from previz.generate.cache import Cache, CachedClip
from previz.generate.pins import TakePins
from previz.generate.plan import plan_jobs
from previz.generate.reuse import reuse_cached_takes
from previz.shotlist.loader import load
from tests.fakes.backend import FakeLocalBackend, FakeRemoteBackend, Project, jobs_for
from tests.scene_text import MINIMAL


class FixedLengths(FakeRemoteBackend):
    """A service that generates 4, 6 or 8 seconds only (as Veo does)."""

    def capabilities(self, model: str | None = None) -> Capabilities:
        return replace(super().capabilities(model), durations=(4.0, 6.0, 8.0))


@pytest.fixture
def service(clip: Path, project: Project) -> FixedLengths:
    return FixedLengths(clip, latency=1.0, cost_per_second=0.5, clock=project.clock)


def shot(seconds: float, generated: float, clip_in: float = 0.0) -> Job:
    job = jobs_for(["1A"], backend="fake-remote")[0]
    return replace(job, seconds=generated, shot_seconds=seconds, clip_in=clip_in)


async def test_a_tail_trim_reuses_the_longer_cached_take(
    service: FixedLengths, project: Project
) -> None:
    await project.run([shot(5.5, 6.0)], service)
    trimmed = shot(3.5, 4.0)
    [job] = reuse_cached_takes([trimmed], {service.name: service}, project.cache)
    assert job.seconds == 6.0 and job.shot_seconds == 3.5
    assert estimate_cost([job], {service.name: service}, project.cache).total == 0.0


async def test_a_rebuild_after_a_trim_submits_nothing(
    service: FixedLengths, project: Project
) -> None:
    await project.run([shot(5.5, 6.0)], service)
    jobs = reuse_cached_takes([shot(3.0, 4.0, clip_in=1.0)], {service.name: service}, project.cache)
    report = await project.run(jobs, service)
    assert service.calls["submit"] == 1 and report.cached == 1


async def test_a_shot_lengthened_inside_its_take_reuses_the_shorter_take(
    service: FixedLengths, project: Project
) -> None:
    await project.run([shot(3.0, 4.0)], service)
    [job] = reuse_cached_takes([shot(3.8, 6.0)], {service.name: service}, project.cache)
    assert job.seconds == 4.0


async def test_a_take_that_no_longer_covers_the_cut_is_generated_again(
    service: FixedLengths, project: Project
) -> None:
    await project.run([shot(3.0, 4.0)], service)
    [job] = reuse_cached_takes(
        [shot(3.5, 6.0, clip_in=1.0)], {service.name: service}, project.cache
    )
    assert job.seconds == 6.0
    assert estimate_cost([job], {service.name: service}, project.cache).total == 3.0


async def test_a_pinned_take_is_kept_when_only_the_context_of_its_prompt_changed(
    service: FixedLengths, project: Project
) -> None:
    paid = replace(shot(4.0, 4.0), definition="the shot as written")
    report = await project.run([paid], service)
    pins = TakePins(project.folder / "takes.json")
    pins.record([paid], report.clips, {service.name: service})
    moved = replace(paid, prompt=paid.prompt + "\n- at 0s (continuing): Music: a cello")
    [job] = reuse_cached_takes([moved], {service.name: service}, project.cache,
                               TakePins(project.folder / "takes.json"))  # fmt: skip
    assert job.prompt == paid.prompt
    assert estimate_cost([job], {service.name: service}, project.cache).total == 0.0


async def test_a_changed_shot_is_not_held_to_its_pinned_take(
    service: FixedLengths, project: Project
) -> None:
    paid = replace(shot(4.0, 4.0), definition="the shot as written")
    report = await project.run([paid], service)
    TakePins(project.folder / "takes.json").record([paid], report.clips, {service.name: service})
    rewritten = replace(paid, prompt="a new action", definition="the shot rewritten")
    [job] = reuse_cached_takes([rewritten], {service.name: service}, project.cache,
                               TakePins(project.folder / "takes.json"))  # fmt: skip
    assert job == rewritten


def test_a_damaged_pin_file_is_ignored(
    tmp_path: Path, service: FixedLengths, project: Project
) -> None:
    (tmp_path / "takes.json").write_text("{not json")
    job = replace(shot(4.0, 4.0), definition="d")
    assert (
        TakePins(tmp_path / "takes.json").pinned(job, {service.name: service}, project.cache)
        is None
    )


class RecordingCache(Cache):
    """The project's cache, noting each key looked up before the run."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.peeked: list[str] = []

    def peek(self, key: str) -> CachedClip | None:
        self.peeked.append(key)
        return super().peek(key)


async def test_a_job_with_nothing_to_be_replaced_by_is_not_looked_up(
    clip: Path, project: Project
) -> None:
    local = FakeLocalBackend(clip)  # renders any length, costs nothing: never pinned
    [job] = jobs_for(["1A"], backend=local.name)
    await project.run([job], local)
    cache = RecordingCache(project.cache.root)
    pins = TakePins(project.folder / "takes.json")
    assert reuse_cached_takes([job], {local.name: local}, cache, pins) == [job]
    assert cache.peeked == []


async def test_a_pinned_take_of_any_length_is_still_looked_up(clip: Path, project: Project) -> None:
    service = FakeRemoteBackend(clip, latency=1.0, cost_per_second=0.5, clock=project.clock)
    paid = replace(jobs_for(["1A"], backend=service.name)[0], definition="the shot as written")
    report = await project.run([paid], service)
    TakePins(project.folder / "takes.json").record([paid], report.clips, {service.name: service})
    moved = replace(paid, prompt=paid.prompt + " (a cello runs on)")
    cache = RecordingCache(project.cache.root)
    [job] = reuse_cached_takes([moved], {service.name: service}, cache,
                               TakePins(project.folder / "takes.json"))  # fmt: skip
    assert job.prompt == paid.prompt and cache.peeked


@pytest.mark.parametrize("paid", [False, True])
def test_planned_jobs_carry_their_definition_wherever_a_pin_can_use_it(
    write_scene: Callable[[str], Path], tmp_path: Path, clip: Path, paid: bool
) -> None:
    shotlist = load(write_scene(MINIMAL))
    backend = FakeRemoteBackend(clip, cost_per_second=0.5) if paid else FakeLocalBackend(clip)
    backends: dict[str, Backend] = {backend.name: backend}
    whole = plan_jobs(shotlist, backends, backend=backend.name)  # without pins: every job's
    (tmp_path / "takes.json").write_text(json.dumps({"s2/1": {"definition": "?"}}))
    planned = plan_jobs(
        shotlist, backends, backend=backend.name, pins=TakePins(tmp_path / "takes.json")
    )
    assert all(job.definition for job in whole)
    # a free backend's take is pinned never, and held to a pin only where the file has one
    expected = [j if paid or j.shot_id == "s2" else replace(j, definition="") for j in whole]
    assert planned == expected
