"""Estimates price uncached takes only; --max-cost refuses, or stops, a run that would overspend."""

from __future__ import annotations

from pathlib import Path

import pytest

from previz.errors import BackendUnavailableError, BudgetError, UnknownBackendError
from previz.generate import estimate_cost
from previz.pipeline import require_credentials
from tests.fakes.backend import (
    FakeLocalBackend,
    FakeRemoteBackend,
    Project,
    jobs_for,
)


@pytest.fixture
def remote(clip: Path, project: Project) -> FakeRemoteBackend:
    return FakeRemoteBackend(clip, latency=1.0, cost_per_second=0.25, clock=project.clock)


def test_the_estimate_is_seconds_times_the_price_per_second(
    remote: FakeRemoteBackend, project: Project
) -> None:
    jobs = jobs_for(["1A", "1B"], backend=remote.name, seconds=8.0, takes=2)
    estimate = estimate_cost(jobs, {remote.name: remote}, project.cache)
    assert estimate.total == pytest.approx(4 * 8.0 * 0.25)
    assert estimate.uncached == 4
    assert estimate.by_backend() == {remote.name: pytest.approx(8.0)}


async def test_cached_takes_cost_nothing(remote: FakeRemoteBackend, project: Project) -> None:
    jobs = jobs_for(["1A", "1B"], backend=remote.name, seconds=4.0)
    await project.run(jobs[:1], remote)
    estimate = estimate_cost(jobs, {remote.name: remote}, project.cache)
    assert [(j.job.shot_id, j.cached, j.cost) for j in estimate.jobs] == [
        ("1A", True, 0.0),
        ("1B", False, pytest.approx(1.0)),
    ]
    assert estimate.total == pytest.approx(1.0)


def test_a_local_renderer_is_free(clip: Path, project: Project) -> None:
    local = FakeLocalBackend(clip)
    estimate = estimate_cost(jobs_for(["1A"], backend=local.name), {local.name: local}, None)
    assert estimate.total == 0.0


def test_an_unknown_backend_lists_the_known_ones(
    remote: FakeRemoteBackend, project: Project
) -> None:
    with pytest.raises(UnknownBackendError, match="available: fake-remote"):
        estimate_cost(jobs_for(["1A"], backend="sorra"), {remote.name: remote}, project.cache)


async def test_max_cost_refuses_a_run_over_budget_before_any_call(
    remote: FakeRemoteBackend, project: Project
) -> None:
    jobs = jobs_for(["1A", "1B"], backend=remote.name, seconds=4.0)
    with pytest.raises(BudgetError, match=r"about \$2.00, over --max-cost \$1.50"):
        await project.run(jobs, remote, max_cost=1.5)
    assert remote.calls == {"submit": 0, "poll": 0, "download": 0}


async def test_max_cost_counts_only_uncached_takes(
    remote: FakeRemoteBackend, project: Project
) -> None:
    jobs = jobs_for(["1A", "1B"], backend=remote.name, seconds=4.0)
    await project.run(jobs[:1], remote)
    report = await project.run(jobs, remote, max_cost=1.0)
    assert report.ok and report.spent == pytest.approx(1.0)


async def test_max_cost_stops_submitting_when_the_running_total_would_pass_it(
    remote: FakeRemoteBackend, project: Project
) -> None:
    # The estimate ($2) fits, but the service loses 1A once: submitting it again commits $2,
    # so 1B, next in line, would take the run to $3 and is not submitted.
    remote.faults.lost_shots["1A"] = 1
    jobs = jobs_for(["1A", "1B"], backend=remote.name, seconds=4.0)
    report = await project.run(jobs, remote, max_cost=2.0, concurrency={remote.name: 1})
    assert sorted(report.clips) == [("1A", 1)]
    [failure] = report.failures
    assert failure.shot_id == "1B" and "--max-cost $2.00" in failure.reason
    assert [s for s, _, _ in remote.ledger.submissions()] == ["1A", "1A"]
    assert report.spent == pytest.approx(1.0)


class _KeylessRemote(FakeRemoteBackend):
    """A remote backend whose key is not set."""

    def is_configured(self) -> bool:
        return False


async def test_a_keyless_backend_with_every_take_cached_may_start(
    clip: Path, project: Project
) -> None:
    keyless = _KeylessRemote(clip, latency=1.0, cost_per_second=0.25, clock=project.clock)
    jobs = jobs_for(["1A", "1B"], backend=keyless.name, seconds=4.0)
    await project.run(jobs, FakeRemoteBackend(clip, latency=1.0, cost_per_second=0.25,
                                              clock=project.clock))  # fmt: skip
    require_credentials(jobs, {keyless.name: keyless}, project.cache)


async def test_a_keyless_backend_with_a_take_to_generate_is_refused(
    clip: Path, project: Project
) -> None:
    keyless = _KeylessRemote(clip, latency=1.0, cost_per_second=0.25, clock=project.clock)
    jobs = jobs_for(["1A", "1B"], backend=keyless.name, seconds=4.0)
    await project.run(jobs[:1], FakeRemoteBackend(clip, latency=1.0, cost_per_second=0.25,
                                                  clock=project.clock))  # fmt: skip
    with pytest.raises(BackendUnavailableError, match="no API key"):
        require_credentials(jobs, {keyless.name: keyless}, project.cache)


def test_credentials_are_checked_for_an_unknown_backend_by_naming_the_known_ones(
    remote: FakeRemoteBackend, project: Project
) -> None:
    with pytest.raises(UnknownBackendError, match="available: fake-remote"):
        require_credentials(jobs_for(["1A"], backend="sorra"), {remote.name: remote},
                            project.cache)  # fmt: skip
