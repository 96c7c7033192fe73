"""Issue 10's faults, end to end: the real backends through the runner, against the strict
fakes over real HTTP on 127.0.0.1. Every test counts what the fake service itself created —
its own ledger — and finds no duplicate."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette

from previz.backends.base import Job, JobStatus, RemoteBackend
from previz.backends.http import probe_clip
from previz.backends.luma import LumaBackend
from previz.backends.openai import OpenAIVideosBackend
from previz.backends.runway import RunwayBackend
from previz.backends.veo import VeoBackend
from previz.cli import cli
from previz.generate import Cache, Journal, RunReport, run_jobs
from tests.fakes import luma, openai_videos, runway, veo
from tests.fakes.backend import FakeClock
from tests.fakes.fakekit import Faults
from tests.fakes.serve import serving
from tests.scene_text import MINIMAL

SHOTS = ("sh010", "sh020")


@dataclass
class Service:
    """One fake service and how to drive it: its backend, its ledger, its fault switches."""

    name: str
    app: Starlette
    url: str
    backend: Callable[[httpx.AsyncClient, str], RemoteBackend]
    job: dict[str, Any]
    reset: Callable[[Starlette], None]
    created: Callable[[Starlette], int]  # the fake's own count of jobs it made
    drop_reply: Callable[[Starlette], None]
    cut_download: Callable[[Starlette], None]
    poll_burst: Callable[[Starlette, int], None]
    unspent: Callable[[Starlette], int]  # injected faults the service has not yet played

    def jobs(self, *shots: str) -> list[Job]:
        return [
            Job(shot_id=shot, take=1, backend=self.name, template_hash="t", shot_seconds=1.0,
                fps=24.0, prompt=f"{shot}: the courier looks back at the depot.", **self.job)
            for shot in shots
        ]  # fmt: skip


def _kit_reset(app: Starlette) -> None:
    app.state.faults = Faults(polls_to_finish=1)
    for name in ("generations", "tasks"):
        getattr(app.state, name, {}).clear()


def _kit_set(**values: int) -> Callable[[Starlette], None]:
    def switch(app: Starlette) -> None:
        app.state.faults.update(values)

    return switch


def _kit_unspent(app: Starlette) -> int:
    faults = app.state.faults
    return int(faults.dropped_replies + faults.cut_downloads + faults.poll_rate_limits)


def _kit_burst(app: Starlette, times: int) -> None:
    app.state.faults.update({"poll_rate_limits": times, "retry_after": 12.0})


def _openai() -> Service:
    app = openai_videos.create_app()
    return Service(
        "openai", app, "",
        lambda c, u: OpenAIVideosBackend(client=c, base_url=u, api_key=openai_videos.DEFAULT_KEY,
                                         env={}),
        dict(model="sora-2", seconds=4.0, width=1280, height=720),
        lambda a: setattr(a.state, "fake", openai_videos.OpenAIVideosFake(polls_to_finish=1)),
        lambda a: len(a.state.fake.jobs),
        lambda a: a.state.fake.faults.inject("create", "drop_reply"),
        lambda a: a.state.fake.faults.inject("content", "cut"),
        lambda a, n: a.state.fake.faults.inject("retrieve", "rate_limit", times=n, retry_after=12),
        lambda a: len(a.state.fake.faults.pending),
    )  # fmt: skip


def _veo() -> Service:
    app = veo.create_app()
    return Service(
        "veo", app, "",
        lambda c, u: VeoBackend(client=c, base_url=u, api_key=veo.DEFAULT_KEY, env={}),
        dict(model="veo-3.1-generate-preview", seconds=4.0, width=1280, height=720),
        lambda a: setattr(a.state, "fake", veo.VeoFake(polls_to_finish=1)),
        lambda a: len(a.state.fake.operations),
        lambda a: a.state.fake.faults.inject("predict", "drop_reply"),
        lambda a: a.state.fake.faults.inject("download", "cut"),
        lambda a, n: a.state.fake.faults.inject("poll", "rate_limit", times=n, retry_after=12),
        lambda a: len(a.state.fake.faults.pending),
    )  # fmt: skip


def _luma() -> Service:
    app = luma.create_app()
    return Service(
        "luma", app, "",
        lambda c, u: LumaBackend(client=c, base_url=u, api_key=luma.DEFAULT_KEY, env={},
                                 resolution="540p"),
        dict(model="ray-flash-2", seconds=5.0, width=960, height=540),
        _kit_reset,
        lambda a: len(a.state.generations),
        _kit_set(dropped_replies=1),
        _kit_set(cut_downloads=1),
        _kit_burst,
        _kit_unspent,
    )  # fmt: skip


def _runway() -> Service:
    app = runway.create_app()
    return Service(
        "runway", app, "",
        lambda c, u: RunwayBackend(client=c, base_url=u, api_key=runway.DEFAULT_KEY, env={}),
        dict(model="gen4.5", seconds=2.0, width=1280, height=720),
        _kit_reset,
        lambda a: len(a.state.tasks),
        _kit_set(dropped_replies=1),
        _kit_set(cut_downloads=1),
        _kit_burst,
        _kit_unspent,
    )  # fmt: skip


MAKERS = {"openai": _openai, "veo": _veo, "luma": _luma, "runway": _runway}
CAN_LIST = ("openai", "luma")  # services whose API lists recent jobs, so a lost reply is found


@pytest.fixture(scope="module", params=sorted(MAKERS))
def service(request: pytest.FixtureRequest) -> Iterator[Service]:
    made = MAKERS[request.param]()
    with serving(made.app) as url:
        made.url = url + ("/v1" if made.name == "openai" else "")
        yield made


@pytest.fixture
def fresh(service: Service) -> Service:
    service.reset(service.app)
    return service


class Project:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.clock = FakeClock()
        self.journal = Journal(folder / "journal.sqlite")

    async def run(self, service: Service, jobs: list[Job], **options: Any) -> RunReport:
        async with self.backend(service) as backend:
            return await run_jobs(
                jobs, {service.name: backend}, cache=Cache(self.folder / "cache"),
                journal=self.journal, workdir=self.folder / "work", clock=self.clock,
                sleep=self.clock.sleep, **options,
            )  # fmt: skip

    @asynccontextmanager
    async def backend(self, service: Service) -> AsyncIterator[RemoteBackend]:
        async with httpx.AsyncClient(timeout=5.0) as client:
            yield service.backend(client, service.url)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    made = Project(tmp_path)
    yield made
    made.journal.close()


async def test_a_reply_dropped_after_the_job_was_created_is_never_paid_twice(
    fresh: Service, project: Project
) -> None:
    fresh.drop_reply(fresh.app)
    jobs = fresh.jobs(*SHOTS)
    report = await project.run(fresh, jobs)
    assert fresh.unspent(fresh.app) == 0
    assert fresh.created(fresh.app) == len(SHOTS)  # 0 duplicates in the service's own ledger
    if fresh.name in CAN_LIST:
        assert report.ok and report.generated == len(SHOTS)
        return
    [unknown] = report.failures
    assert (
        unknown.state == "unknown" and unknown.cost > 0 and "--resubmit-unknown" in unknown.reason
    )
    assert report.spent == pytest.approx(sum(job.seconds for job in jobs) * _rate(report, jobs))
    again = await project.run(fresh, jobs)
    assert [f.state for f in again.failures] == ["unknown"]
    assert fresh.created(fresh.app) == len(SHOTS)


def _rate(report: RunReport, jobs: list[Job]) -> float:
    """$/s of the service, from what the clips that came out cost."""
    clip = next(iter(report.clips.values()))
    return clip.cost / next(j.seconds for j in jobs if j.shot_id == clip.shot_id)


async def test_a_body_cut_short_with_a_matching_length_is_fetched_again_never_cached(
    fresh: Service, project: Project
) -> None:
    fresh.cut_download(fresh.app)
    [job] = fresh.jobs("sh010")
    report = await project.run(fresh, [job])
    assert fresh.unspent(fresh.app) == 0
    assert report.ok and fresh.created(fresh.app) == 1
    clip = report.clips[("sh010", 1)]
    assert probe_clip(clip.path).frames == pytest.approx(job.seconds * 24, abs=1)


async def test_six_429s_in_a_row_while_polling_do_not_fail_the_shot(
    fresh: Service, project: Project
) -> None:
    fresh.poll_burst(fresh.app, 6)
    report = await project.run(fresh, fresh.jobs("sh010"))
    assert fresh.unspent(fresh.app) == 0
    assert report.ok and fresh.created(fresh.app) == 1
    assert project.clock.sleeps.count(12.0) >= 6  # Retry-After (above every floor) honoured


async def test_polls_keep_the_services_documented_interval(
    fresh: Service, project: Project
) -> None:
    report = await project.run(fresh, fresh.jobs("sh010"))
    async with project.backend(fresh) as backend:
        floor = backend.capabilities(report.clips[("sh010", 1)].model).poll_interval
    assert report.ok and project.clock.sleeps
    assert min(project.clock.sleeps) >= floor


@pytest.fixture(scope="module")
def openai() -> Iterator[Service]:
    made = _openai()
    with serving(made.app) as url:
        made.url = url + "/v1"
        yield made


@pytest.fixture
def sora(openai: Service) -> Service:
    openai.reset(openai.app)
    return openai


async def test_an_expired_output_is_reported_with_when_and_regenerated_only_when_asked(
    sora: Service, project: Project
) -> None:
    sora.app.state.fake.faults.inject("create", "expire_now")
    jobs = sora.jobs("sh010")
    first = await project.run(sora, jobs)
    [expired] = first.failures
    assert expired.state == "expired" and " UTC " in expired.reason
    assert "--regenerate-expired" in expired.reason
    assert project.journal.records()[0].state is JobStatus.EXPIRED
    second = await project.run(sora, jobs)
    assert [f.state for f in second.failures] == ["expired"] and sora.created(sora.app) == 1
    third = await project.run(sora, jobs, regenerate_expired=True)
    assert third.ok and sora.created(sora.app) == 2


async def test_a_wrong_key_stops_at_the_first_refusal(sora: Service, project: Project) -> None:
    async with httpx.AsyncClient(timeout=5.0) as client:
        wrong = OpenAIVideosBackend(client=client, base_url=sora.url, api_key="sk-wrong", env={})
        report = await run_jobs(
            sora.jobs("sh010", "sh020", "sh030"), {"openai": wrong},
            cache=Cache(project.folder / "cache"),
            journal=project.journal, workdir=project.folder / "work", clock=project.clock,
            sleep=project.clock.sleep,
        )  # fmt: skip
    assert sora.app.state.fake.create_requests == 1
    assert sorted(f.state for f in report.failures) == ["failed", "not submitted", "not submitted"]
    assert "sk-wrong" not in " ".join(f.reason for f in report.failures)


async def test_a_moderation_block_is_remembered_until_retry_blocked(
    sora: Service, project: Project
) -> None:
    sora.app.state.fake.faults.inject("create", "safety")
    jobs = sora.jobs("sh010")
    first = await project.run(sora, jobs)
    assert [f.state for f in first.failures] == ["blocked"]
    second = await project.run(sora, jobs)
    assert [f.state for f in second.failures] == ["blocked"] and sora.created(sora.app) == 1
    assert (await project.run(sora, jobs, retry_blocked=True)).ok and sora.created(sora.app) == 2


def test_the_build_command_reports_a_blocked_shot_and_retries_it_only_when_asked(
    sora: Service, write_scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = write_scene(MINIMAL)
    monkeypatch.setenv("OPENAI_API_KEY", openai_videos.DEFAULT_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", sora.url)
    sora.app.state.fake.faults.inject("create", "safety")
    build = ["build", str(scene), "-b", "openai", "-f", "otio"]
    runner = CliRunner(env={"COLUMNS": "300"})
    first = runner.invoke(cli, build)
    assert first.exit_code == 1
    assert "blocked: s1 take 1 on openai" in first.output or "blocked: s2 take 1" in first.output
    priced = runner.invoke(cli, ["cost", str(scene), "-b", "openai"]).output
    assert "held: blocked" in priced and "total: $0.00" in priced  # a build would skip it
    assert "held: blocked" in runner.invoke(cli, [*build, "--dry-run"]).output
    again = runner.invoke(cli, build)
    assert again.exit_code == 1 and "--retry-blocked" in again.output
    assert sora.created(sora.app) == 2  # one blocked, the other made once (cached since)
    retried = runner.invoke(cli, [*build, "--retry-blocked"])
    assert retried.exit_code == 0, retried.output
    assert sora.created(sora.app) == 3
