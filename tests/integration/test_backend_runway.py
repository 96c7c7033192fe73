"""previz's Runway backend against the strict fake Runway API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette

from previz.backends import HttpBackend
from previz.backends.base import Job, JobStatus, JobUpdate, Reference
from previz.backends.luma import LumaBackend
from previz.backends.openai import OpenAIVideosBackend
from previz.backends.runway import RunwayBackend, data_uri
from previz.backends.veo import VeoBackend
from previz.errors import (
    JobFailedError,
    PromptTooLongError,
    SubmissionUnknown,
)
from previz.generate.cache import Cache
from previz.generate.journal import Journal
from previz.generate.plan import plan_jobs
from previz.generate.runner import run_jobs
from previz.shotlist.loader import load
from previz.testing import RemoteBackendContract, RemoteSetup
from tests.fakes.backend import FakeClock
from tests.fakes.contract_faults import counting
from tests.fakes.demo import demo_scene_with_reference
from tests.fakes.fakekit import Faults
from tests.fakes.runway import create_app
from tests.fakes.serve import serving

KEY = "key_" + "5eC12e7" * 18


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[Starlette, str]]:
    app = create_app(api_key=KEY)
    with serving(app) as base_url:
        yield app, base_url


@pytest.fixture
def app(fake: tuple[Starlette, str]) -> Starlette:
    fake[0].state.faults = Faults()
    fake[0].state.requests.clear()
    fake[0].state.media_requests.clear()
    return fake[0]


@pytest.fixture
async def backend(fake: tuple[Starlette, str], app: Starlette) -> AsyncIterator[RunwayBackend]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield RunwayBackend(client=client, base_url=fake[1], api_key=KEY, env={})


def picture(path: Path, colour: str = "tan", size: tuple[int, int] = (64, 36)) -> Reference:
    Image.new("RGB", size, colour).save(path)
    return Reference(path=path, sha256="0" * 64, role="character", owner=path.stem)


def job(**changes: Any) -> Job:
    fields: dict[str, Any] = dict(
        shot_id="sc1_sh010", take=1, backend="runway", model="gen4.5",
        prompt="Wide shot: MARA crosses the harbour at dawn.", template_hash="t",
        seconds=2.0, shot_seconds=1.5, width=1280, height=720, fps=24.0,
    )  # fmt: skip
    fields.update(changes)
    return Job(**fields)


async def until_done(backend: RunwayBackend, remote_id: str, shot: Job) -> list[JobUpdate]:
    updates = [await backend.poll(remote_id, shot)]
    while updates[-1].status not in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        updates.append(await backend.poll(remote_id, shot))
    return updates


async def test_text_only_shot_is_sent_to_text_to_video_in_camel_case(
    backend: RunwayBackend, app: Starlette
) -> None:
    await backend.submit(job(payload={"seed": 11, "negative_prompt": "text"}))
    assert app.state.requests == [
        ("text_to_video", {"model": "gen4.5", "promptText": job().prompt, "ratio": "1280:720",
                           "duration": 2, "seed": 11})
    ]  # fmt: skip


async def test_character_reference_becomes_the_first_frame(
    backend: RunwayBackend, app: Starlette, tmp_path: Path
) -> None:
    mara = picture(tmp_path / "mara.png")
    await backend.submit(job(references=(mara,)))
    endpoint, body = app.state.requests[0]
    assert endpoint == "image_to_video"
    assert body["promptImage"] == data_uri(mara.path)
    assert body["promptImage"].startswith("data:image/png;base64,")


async def test_veo_gets_first_and_last_frames_audio_and_negative_prompt(
    backend: RunwayBackend, app: Starlette, tmp_path: Path
) -> None:
    first = Reference(picture(tmp_path / "a.png").path, "1" * 64, "first_frame", "sc1_sh005")
    last = Reference(picture(tmp_path / "b.png", "navy").path, "2" * 64, "last_frame", "sc1_sh020")
    shot = job(model="veo3.1", seconds=4.0, references=(last, first),
               payload={"negative_prompt": "crowds"})  # fmt: skip
    await backend.submit(shot)
    body = app.state.requests[0][1]
    positions = [(item["position"], item["uri"]) for item in body["promptImage"]]
    assert positions == [("first", data_uri(first.path)), ("last", data_uri(last.path))]
    assert (body["audio"], body["negativePrompt"]) == (True, "crowds")


async def test_references_that_do_not_fit_are_dropped_and_named_in_the_log(
    backend: RunwayBackend, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mara = picture(tmp_path / "mara.png")
    harbour = Reference(picture(tmp_path / "h.png").path, "3" * 64, "location", "harbour")
    caplog.set_level(logging.WARNING, logger="previz.backends.runway")
    await backend.submit(job(references=(harbour, mara)))
    assert "location 'harbour'" in caplog.text
    assert "character 'mara'" not in caplog.text


async def test_gen4_turbo_without_an_image_fails_naming_the_shot(
    backend: RunwayBackend, app: Starlette
) -> None:
    with pytest.raises(JobFailedError) as caught:
        await backend.submit(job(model="gen4_turbo"))
    assert caught.value.shot_id == "sc1_sh010" and not caught.value.retryable
    assert app.state.requests == []


async def test_prompt_over_1000_utf16_units_is_refused_before_sending(
    backend: RunwayBackend, app: Starlette
) -> None:
    with pytest.raises(PromptTooLongError):
        await backend.submit(job(prompt="🎬" * 501))
    assert app.state.requests == []


async def test_prompt_of_exactly_1000_utf16_units_is_sent(backend: RunwayBackend) -> None:
    assert await backend.submit(job(prompt="🎬" * 500))


def test_reference_too_big_for_a_data_uri_is_reencoded_under_the_limit(tmp_path: Path) -> None:
    noisy = tmp_path / "noise.png"
    Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).save(noisy)
    uri = data_uri(noisy, limit=60_000)
    assert uri.startswith("data:image/jpeg;base64,") and len(uri) < 60_000


async def test_poll_walks_queued_running_succeeded_no_faster_than_5s(
    backend: RunwayBackend,
) -> None:
    shot = job()
    updates = await until_done(backend, await backend.submit(shot), shot)
    assert [u.status for u in updates] == [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED]
    assert updates[1].progress == 0.5
    assert [u.poll_after for u in updates[:2]] == [5.0, 5.0]


async def test_finished_take_is_downloaded_checked_and_renamed_into_place(
    backend: RunwayBackend, tmp_path: Path
) -> None:
    shot = job()
    remote_id = await backend.submit(shot)
    await until_done(backend, remote_id, shot)
    media = await backend.download(remote_id, shot, tmp_path / "take1.mp4")
    with av.open(str(media.video)) as container:
        assert container.duration / av.time_base == pytest.approx(2.0, abs=0.1)
    assert [p.name for p in tmp_path.iterdir()] == ["take1.mp4"]


async def test_download_never_sends_the_api_key_to_the_output_host(
    backend: RunwayBackend, app: Starlette, tmp_path: Path
) -> None:
    shot = job()
    remote_id = await backend.submit(shot)
    await until_done(backend, remote_id, shot)
    await backend.download(remote_id, shot, tmp_path / "take1.mp4")
    assert all("authorization" not in headers for headers in app.state.media_requests)


@pytest.mark.parametrize(
    ("model", "durations", "sizes", "references", "audio", "cost"),
    [("gen4.5", tuple(float(s) for s in range(2, 11)), ((1280, 720), (720, 1280)), 1, False,
      0.12),
     ("gen4_turbo", tuple(float(s) for s in range(2, 11)), ((1280, 720), (720, 1280),
      (1104, 832), (960, 960), (832, 1104), (1584, 672)), 1, False, 0.05),
     ("veo3.1", (4.0, 6.0, 8.0), ((1280, 720), (720, 1280), (1080, 1920), (1920, 1080)), 2,
      True, 0.40),
     ("veo3.1_fast", (4.0, 6.0, 8.0), ((1280, 720), (720, 1280), (1080, 1920), (1920, 1080)),
      2, True, 0.15)],
)  # fmt: skip
def test_capabilities_per_model(
    model: str, durations: tuple[float, ...], sizes: tuple[tuple[int, int], ...],
    references: int, audio: bool, cost: float,
) -> None:  # fmt: skip
    caps = RunwayBackend(env={}).capabilities(model)
    assert (caps.durations, caps.sizes, caps.max_references) == (durations, sizes, references)
    assert (caps.audio, caps.cost_per_second) == (audio, pytest.approx(cost))
    assert (caps.prompt_limit, caps.env_vars) == (1000, ("RUNWAYML_API_SECRET",))


def test_key_and_base_url_come_from_the_sdk_environment_variables() -> None:
    env = {"RUNWAYML_API_SECRET": KEY, "RUNWAYML_BASE_URL": "http://127.0.0.1:9"}
    assert RunwayBackend(env=env).is_configured()
    assert not RunwayBackend(env={}).is_configured()


async def test_submission_answered_past_the_clients_timeout_is_unknown(
    fake: tuple[Starlette, str], app: Starlette
) -> None:
    app.state.faults.delay = 1.0
    async with httpx.AsyncClient(timeout=0.2) as client:
        impatient = RunwayBackend(client=client, base_url=fake[1], api_key=KEY, env={})
        with pytest.raises(SubmissionUnknown):
            await impatient.submit(job())


@pytest.mark.parametrize(
    ("fault", "status", "retryable", "said"),
    [("bad_outputs", JobStatus.FAILED, True, "INTERNAL.BAD_OUTPUT"),
     ("cancellations", JobStatus.FAILED, False, "cancelled")],
)  # fmt: skip
async def test_task_failures_map_to_final_or_retryable(
    backend: RunwayBackend, app: Starlette, fault: str, status: JobStatus, retryable: bool,
    said: str,
) -> None:  # fmt: skip
    setattr(app.state.faults, fault, 1)
    shot = job()
    final = (await until_done(backend, await backend.submit(shot), shot))[-1]
    assert (final.status, final.retryable) == (status, retryable)
    assert final.error is not None and said in final.error


async def test_throttled_task_is_queued(backend: RunwayBackend, app: Starlette) -> None:
    app.state.faults.throttled = 1
    shot = job()
    assert (await backend.poll(await backend.submit(shot), shot)).status is JobStatus.QUEUED


async def test_refused_body_is_final_with_runways_message(backend: RunwayBackend) -> None:
    with pytest.raises(JobFailedError) as caught:
        await backend.submit(job(prompt="   "))  # gen4.5 text-to-video needs promptText
    assert not caught.value.retryable and "Validation of body failed" in str(caught.value)


async def test_unknown_task_is_final(backend: RunwayBackend) -> None:
    with pytest.raises(JobFailedError) as caught:
        await backend.poll("no-such-task", job())
    assert "Could not find Task" in str(caught.value)


async def test_demo_scene_builds_through_the_runner_into_the_cache(
    backend: RunwayBackend, app: Starlette, tmp_path: Path
) -> None:
    scene = demo_scene_with_reference(tmp_path)
    backends: dict[str, Any] = {"runway": backend}
    jobs = plan_jobs(load(scene), backends, backend="runway")
    time = FakeClock()
    report = await run_jobs(
        jobs, backends, cache=Cache(tmp_path / "cache"), journal=Journal(tmp_path / "j.sqlite"),
        workdir=tmp_path / "work", clock=time, sleep=time.sleep,
    )  # fmt: skip
    assert report.ok and report.generated == len(jobs) == len(app.state.requests)
    with_mara = [job for job in jobs if job.references]
    sent_images = [body for endpoint, body in app.state.requests if endpoint == "image_to_video"]
    assert len(sent_images) == len(with_mara) > 0
    assert all(body["promptImage"].startswith("data:image/png;base64,") for body in sent_images)
    assert all((tmp_path / "cache") in clip.path.parents for clip in report.clips.values())
    written = [path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()]
    assert not any(KEY.encode() in data for data in written)  # cache records, journal, clips


class TestRunwayContract(RemoteBackendContract):
    """Runway passes the backend contract suite against its strict fake."""

    @pytest.fixture
    def contract(
        self, fake: tuple[Starlette, str], app: Starlette, backend: RunwayBackend
    ) -> RemoteSetup:
        def with_key(key: str | None) -> RunwayBackend:
            return RunwayBackend(client=backend.client, base_url=fake[1], api_key=key, env={})

        return RemoteSetup(
            backend=backend, job=job(), inject=counting(lambda: app.state.faults),
            with_key=with_key, secret=KEY,
        )  # fmt: skip


async def test_the_download_after_success_does_not_read_the_task_again(
    backend: RunwayBackend, app: Starlette, tmp_path: Path
) -> None:
    shot = job()
    remote_id = await backend.submit(shot)
    await until_done(backend, remote_id, shot)
    reads = app.state.tasks[remote_id].reads
    await backend.download(remote_id, shot, tmp_path / "take.mp4")
    assert app.state.tasks[remote_id].reads == reads


@pytest.mark.parametrize(
    ("backend_class", "seconds"),
    [(RunwayBackend, 5.0), (LumaBackend, 5.0), (OpenAIVideosBackend, 1.0), (VeoBackend, 10.0)],
)
def test_each_service_declares_its_documented_poll_interval(
    backend_class: type[HttpBackend], seconds: float
) -> None:
    assert backend_class(env={}).capabilities().poll_interval == seconds
