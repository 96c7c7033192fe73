"""The OpenAI Videos backend against the strict fake over real HTTP: what it sends, how it walks
a job, how it downloads, and how every injected fault reaches the runner."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from previz.backends.base import Job, JobStatus, Reference
from previz.backends.http import probe_clip
from previz.backends.openai import OpenAIVideosBackend
from previz.errors import (
    JobFailedError,
    OutputExpired,
    SubmissionUnknown,
)
from previz.generate.cache import Cache
from previz.generate.journal import Journal
from previz.generate.plan import plan_jobs
from previz.generate.runner import run_jobs
from previz.shotlist.loader import load
from previz.testing import RemoteBackendContract, RemoteSetup
from tests.fakes.backend import FakeClock
from tests.fakes.contract_faults import routed
from tests.fakes.demo import demo_scene_with_reference
from tests.fakes.openai_videos import DEFAULT_KEY, OpenAIVideosFake, create_app
from tests.fakes.serve import serving

APP = create_app()
OPENAI_ROUTES = {"submit": "create", "poll": "retrieve", "download": "content"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(APP) as url:
        yield url + "/v1"


@pytest.fixture
def fake() -> OpenAIVideosFake:
    APP.state.fake = OpenAIVideosFake(poll_after_ms=250)
    return APP.state.fake


@pytest.fixture
async def backend(base_url: str, fake: OpenAIVideosFake) -> AsyncIterator[OpenAIVideosBackend]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield OpenAIVideosBackend(client=client, base_url=base_url, api_key=DEFAULT_KEY, env={})


def picture(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


def job(*references: Reference, seconds: float = 4.0, size: tuple[int, int] = (1280, 720)) -> Job:
    return Job(
        shot_id="sh010",
        take=1,
        backend="openai",
        model="sora-2",
        prompt="Night. A courier crosses a wet street.",
        template_hash="t",
        seconds=seconds,
        shot_seconds=3.0,
        width=size[0],
        height=size[1],
        fps=24.0,
        references=references,
        payload={"negative_prompt": "blur", "seed": 7},
    )


async def finished(backend: OpenAIVideosBackend, the_job: Job) -> str:
    remote_id = await backend.submit(the_job)
    while (await backend.poll(remote_id, the_job)).status is not JobStatus.SUCCEEDED:
        pass
    return remote_id


async def test_submit_sends_seconds_as_a_string_and_size_as_wxh(backend, fake):
    await backend.submit(job(seconds=8.0))
    sent = fake.received[0]
    assert (sent["seconds"], sent["size"], sent["model"]) == ("8", "1280x720", "sora-2")


async def test_poll_walks_queued_running_succeeded_with_progress_and_hint(backend, fake):
    the_job = job()
    remote_id = await backend.submit(the_job)
    running = await backend.poll(remote_id, the_job)
    done = await backend.poll(remote_id, the_job)
    assert (running.status, running.progress, running.poll_after) == (JobStatus.RUNNING, 0.5, 0.25)
    assert (done.status, done.progress) == (JobStatus.SUCCEEDED, 1.0)


async def test_download_stores_a_checked_clip_and_leaves_no_temp_file(backend, tmp_path):
    the_job = job()
    remote_id = await finished(backend, the_job)
    media = await backend.download(remote_id, the_job, tmp_path / "clip.mp4")
    probe = probe_clip(media.video)
    assert (probe.width, probe.height, probe.has_audio) == (1280, 720, True)
    assert probe.duration == pytest.approx(4.0, abs=0.1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


async def test_first_frame_is_sent_resized_to_the_exact_output_size(backend, fake, tmp_path):
    frame = picture(tmp_path / "frame.png", (640, 480), (10, 200, 10))
    hero = picture(tmp_path / "hero.png", (512, 512), (200, 10, 10))
    await backend.submit(
        job(
            Reference(hero, "h1", "character", "mara"),
            Reference(frame, "h2", "first_frame", "sh005"),
        )
    )
    sent = fake.received[0]["input_reference"]
    assert (sent["width"], sent["height"]) == (1280, 720)


async def test_character_reference_is_used_when_there_is_no_first_frame(backend, fake, tmp_path):
    hero = picture(tmp_path / "hero.png", (512, 512), (200, 10, 10))
    await backend.submit(job(Reference(hero, "h1", "character", "mara"), size=(720, 1280)))
    assert fake.received[0]["input_reference"]["height"] == 1280


async def test_references_beyond_one_are_dropped_and_logged(backend, tmp_path, caplog):
    hero = picture(tmp_path / "hero.png", (512, 512), (200, 10, 10))
    place = picture(tmp_path / "yard.png", (512, 512), (10, 10, 200))
    caplog.set_level(logging.WARNING, logger="previz.backends.openai")
    await backend.submit(
        job(Reference(hero, "h1", "character", "mara"), Reference(place, "h2", "location", "yard"))
    )
    assert "location 'yard'" in caplog.text and "mara" not in caplog.text


async def test_disallowed_length_is_refused_before_anything_is_sent(backend, fake):
    with pytest.raises(JobFailedError, match="not 5"):
        await backend.submit(job(seconds=5.0))
    assert fake.received == []


async def test_size_the_model_cannot_make_is_refused(backend):
    with pytest.raises(JobFailedError, match="1792x1024"):
        await backend.submit(job(size=(1792, 1024)))


async def test_submission_answered_past_the_client_timeout_is_unknown(base_url, fake):
    fake.faults.inject("create", "slow", seconds=0.6)
    async with httpx.AsyncClient(timeout=0.2) as client:
        impatient = OpenAIVideosBackend(client=client, base_url=base_url, api_key=DEFAULT_KEY)
        with pytest.raises(SubmissionUnknown, match="ReadTimeout"):
            await impatient.submit(job())


async def test_key_and_base_url_come_from_the_environment_like_the_sdk(base_url, fake):
    env = {"OPENAI_API_KEY": DEFAULT_KEY, "OPENAI_BASE_URL": base_url}
    async with httpx.AsyncClient() as client:
        from_env = OpenAIVideosBackend(client=client, env=env)
        assert from_env.is_configured()
        assert await from_env.submit(job())


def test_capabilities_follow_the_model():
    backend = OpenAIVideosBackend(env={})
    sora, pro = backend.capabilities("sora-2"), backend.capabilities("sora-2-pro")
    assert sora.durations == (4.0, 8.0, 12.0)
    assert sora.sizes == ((720, 1280), (1280, 720))
    assert pro.sizes is not None and (1792, 1024) in pro.sizes
    assert (sora.max_references, sora.audio, sora.prompt_limit) == (1, True, 32_000)
    assert pro.cost_per_second > sora.cost_per_second


async def test_demo_scene_builds_through_the_runner_into_the_cache(base_url, fake, tmp_path):
    secret = "sk-previz-demo-key-5566778899"
    fake.api_keys.add(secret)
    async with httpx.AsyncClient(timeout=10.0) as client:
        backends = {"openai": OpenAIVideosBackend(client=client, base_url=base_url, api_key=secret)}
        jobs = plan_jobs(load(demo_scene_with_reference(tmp_path)), backends, backend="openai")
        time = FakeClock()
        report = await run_jobs(
            jobs, backends, cache=Cache(tmp_path / "cache"), journal=Journal(tmp_path / "j.sqlite"),
            workdir=tmp_path / "work", clock=time, sleep=time.sleep,
        )  # fmt: skip
    assert report.ok and report.generated == len(jobs) == len(fake.received)
    referenced = [sent for sent in fake.received if sent["input_reference"]]
    assert len(referenced) == len([job for job in jobs if job.references]) > 0
    assert all((r["input_reference"]["width"], r["input_reference"]["height"]) == (1280, 720)
               for r in referenced)  # fmt: skip
    assert all((tmp_path / "cache") in clip.path.parents for clip in report.clips.values())
    written = [path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()]
    assert not any(secret.encode() in data for data in written)  # cache records, journal, clips


async def test_success_reports_when_the_output_expires(backend, fake):
    the_job = job()
    remote_id = await backend.submit(the_job)
    update = await backend.poll(remote_id, the_job)
    while update.status is not JobStatus.SUCCEEDED:
        update = await backend.poll(remote_id, the_job)
    assert update.expires_at == fake.jobs[remote_id].completed_at + 3600


async def test_output_past_its_expiry_is_reported_expired_without_asking_for_content(
    base_url, fake, tmp_path
):
    the_job = job()
    async with httpx.AsyncClient(timeout=5.0) as client:
        later = OpenAIVideosBackend(
            client=client, base_url=base_url, api_key=DEFAULT_KEY, env={},
            clock=lambda: time.time() + 2 * 3600,
        )  # fmt: skip
        remote_id = await finished(later, the_job)
        with pytest.raises(OutputExpired) as caught:
            await later.download(remote_id, the_job, tmp_path / "take.mp4")
    assert caught.value.expired_at == fake.jobs[remote_id].completed_at + 3600
    assert "expired on OpenAI at" in str(caught.value) and not (tmp_path / "take.mp4").exists()


async def test_reconcile_finds_the_video_a_lost_reply_created(backend, fake):
    the_job = job()
    before = time.time()
    remote_id = await backend.submit(the_job)
    assert await backend.reconcile(the_job, submitted_after=before) == remote_id


async def test_reconcile_ignores_other_prompts_and_older_videos(backend, fake):
    the_job = job()
    await backend.submit(the_job)
    other = dataclasses.replace(the_job, prompt="Day. A courier waits.")
    assert await backend.reconcile(other, submitted_after=time.time() - 60) is None
    assert await backend.reconcile(the_job, submitted_after=time.time() + 60) is None


class TestOpenAIContract(RemoteBackendContract):
    """The OpenAI Videos backend passes the contract suite against its strict fake."""

    @pytest.fixture
    def contract(self, backend, base_url, fake) -> RemoteSetup:
        def with_key(key: str | None) -> OpenAIVideosBackend:
            return OpenAIVideosBackend(
                client=backend.client, base_url=base_url, api_key=key, env={}
            )

        return RemoteSetup(
            backend=backend, job=job(), inject=routed(lambda: fake.faults, OPENAI_ROUTES),
            with_key=with_key, reconciles=True, secret=DEFAULT_KEY,
        )  # fmt: skip
