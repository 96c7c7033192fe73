"""previz's Luma backend against the strict fake Luma API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette

from previz.backends.base import Job, JobStatus, JobUpdate, Reference
from previz.backends.luma import HostedReferences, LumaBackend
from previz.errors import (
    JobFailedError,
    RetryableServiceError,
)
from previz.generate.cache import Cache
from previz.generate.journal import Journal
from previz.generate.plan import plan_jobs
from previz.generate.runner import run_jobs
from previz.shotlist.loader import load
from previz.testing import RemoteBackendContract, RemoteSetup
from tests.fakes.backend import FakeClock
from tests.fakes.contract_faults import counting
from tests.fakes.demo import DEMO_SCENE, demo_scene_with_reference
from tests.fakes.fakekit import Faults
from tests.fakes.luma import create_app
from tests.fakes.serve import serving

KEY = "luma-" + "7e57c0de" * 8


class FakeCdn:
    """The team's image host, played by the fake's ``/__fake__/cdn``: uploads, then links."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.uploaded: list[str] = []

    async def url_for(self, reference: Reference) -> str:
        url = f"{self.base_url}/__fake__/cdn/{reference.sha256[:12]}{reference.path.suffix}"
        async with httpx.AsyncClient() as client:
            await client.put(url, content=reference.path.read_bytes())
        self.uploaded.append(reference.owner)
        return url


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
def cdn(fake: tuple[Starlette, str]) -> FakeCdn:
    return FakeCdn(fake[1])


@pytest.fixture
async def backend(
    fake: tuple[Starlette, str], app: Starlette, cdn: FakeCdn
) -> AsyncIterator[LumaBackend]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield LumaBackend(
            client=client, base_url=fake[1], api_key=KEY, env={}, resolution="540p",
            reference_host=cdn,
        )  # fmt: skip


def reference(folder: Path, owner: str, role: str = "character") -> Reference:
    path = folder / f"{owner}.png"
    Image.new("RGB", (64, 36), "teal").save(path)
    return Reference(path=path, sha256=f"{abs(hash(owner)):064d}"[:64], role=role, owner=owner)


def job(**changes: Any) -> Job:
    fields: dict[str, Any] = dict(
        shot_id="sc2_sh030", take=1, backend="luma", model="ray-flash-2",
        prompt="Close on MARA's hands coiling rope.", template_hash="t", seconds=5.0,
        shot_seconds=4.0, width=960, height=540, fps=24.0,
    )  # fmt: skip
    fields.update(changes)
    return Job(**fields)


async def until_done(backend: LumaBackend, remote_id: str, shot: Job) -> list[JobUpdate]:
    updates = [await backend.poll(remote_id, shot)]
    while updates[-1].status not in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        updates.append(await backend.poll(remote_id, shot))
    return updates


async def finished(backend: LumaBackend, shot: Job) -> str:
    remote_id = await backend.submit(shot)
    await until_done(backend, remote_id, shot)
    return remote_id


async def test_shot_is_sent_with_lumas_field_names_and_values(
    backend: LumaBackend, app: Starlette
) -> None:
    await backend.submit(job(payload={"seed": 3, "negative_prompt": "crowds"}))
    assert app.state.requests == [
        {"model": "ray-flash-2", "prompt": job().prompt, "aspect_ratio": "16:9",
         "resolution": "540p", "duration": "5s"}
    ]  # fmt: skip


async def test_character_and_last_frame_become_hosted_image_keyframes(
    backend: LumaBackend, app: Starlette, cdn: FakeCdn, tmp_path: Path
) -> None:
    mara = reference(tmp_path, "mara")
    end = reference(tmp_path, "sc2_sh040", role="last_frame")
    await backend.submit(job(references=(end, mara)))
    frames = app.state.requests[0]["keyframes"]
    assert (frames["frame0"]["type"], frames["frame1"]["type"]) == ("image", "image")
    assert cdn.uploaded == ["mara", "sc2_sh040"]


async def test_previous_generation_is_chained_as_frame0(
    backend: LumaBackend, app: Starlette
) -> None:
    earlier = await finished(backend, job())
    await backend.submit(job(payload={"previous_generation_id": earlier}))
    assert app.state.requests[-1]["keyframes"] == {"frame0": {"type": "generation", "id": earlier}}


async def test_without_a_reference_host_images_are_dropped_and_logged(
    fake: tuple[Starlette, str], app: Starlette, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="previz.backends.luma")
    async with httpx.AsyncClient() as client:
        hostless = LumaBackend(client=client, base_url=fake[1], api_key=KEY, env={},
                               resolution="540p")  # fmt: skip
        await hostless.submit(job(references=(reference(tmp_path, "mara"),)))
    assert "keyframes" not in app.state.requests[0]
    assert "character 'mara'" in caplog.text and "PREVIZ_LUMA_REFERENCE_URL" in caplog.text


async def test_extra_references_are_dropped_by_the_documented_order(
    backend: LumaBackend, app: Starlette, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="previz.backends.luma")
    refs = (reference(tmp_path, "quay", "location"), reference(tmp_path, "mara"))
    await backend.submit(job(references=refs))
    assert "location 'quay'" in caplog.text and "mara" not in caplog.text


def test_published_reference_folder_comes_from_the_environment(tmp_path: Path) -> None:
    backend = LumaBackend(env={"PREVIZ_LUMA_REFERENCE_URL": "https://cdn.example.com/refs/"})
    host = backend._host
    assert isinstance(host, HostedReferences)
    assert host.base_url == "https://cdn.example.com/refs"


async def test_poll_walks_queued_running_succeeded(backend: LumaBackend) -> None:
    shot = job()
    updates = await until_done(backend, await backend.submit(shot), shot)
    assert [u.status for u in updates] == [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED]


async def test_finished_generation_is_downloaded_and_checked(
    backend: LumaBackend, app: Starlette, tmp_path: Path
) -> None:
    shot = job()
    media = await backend.download(await finished(backend, shot), shot, tmp_path / "take1.mp4")
    with av.open(str(media.video)) as container:
        assert container.duration / av.time_base == pytest.approx(5.0, abs=0.1)
        assert container.streams.video[0].width == 960
    assert all("authorization" not in headers for headers in app.state.media_requests)


@pytest.mark.parametrize(
    ("resolution", "size", "cost"),
    [("540p", (960, 540), 0.0274), ("720p", (1280, 720), 0.0487), ("1080p", (1920, 1080), 0.1095)],
)
def test_capabilities_map_aspect_ratios_to_pixels_at_the_resolution(
    resolution: str, size: tuple[int, int], cost: float
) -> None:
    """Prices are Luma's per-pixel rate (ray-flash-2: $0.0022 per million pixels) at 24 fps."""
    caps = LumaBackend(env={}, resolution=resolution).capabilities("ray-flash-2")
    assert caps.durations == (5.0, 9.0) and caps.sizes is not None and caps.sizes[0] == size
    assert (caps.audio, caps.max_references, caps.env_vars) == (False, 2, ("LUMAAI_API_KEY",))
    assert caps.cost_per_second == pytest.approx(cost, abs=1e-3)


async def test_size_outside_lumas_ratios_is_refused_before_sending(
    backend: LumaBackend, app: Starlette
) -> None:
    with pytest.raises(JobFailedError) as caught:
        await backend.submit(job(width=1000, height=540))
    assert caught.value.shot_id == "sc2_sh030" and app.state.requests == []


def test_key_comes_from_lumaai_api_key() -> None:
    assert LumaBackend(env={"LUMAAI_API_KEY": KEY}).is_configured()
    assert not LumaBackend(env={}).is_configured()


async def test_slow_answer_past_the_clients_timeout_is_retryable(
    fake: tuple[Starlette, str], app: Starlette
) -> None:
    app.state.faults.delay = 1.0
    async with httpx.AsyncClient(timeout=0.2) as client:
        impatient = LumaBackend(client=client, base_url=fake[1], api_key=KEY, env={})
        with pytest.raises(RetryableServiceError):
            await impatient.poll("any", job())


async def test_refused_request_is_final_with_lumas_detail(
    backend: LumaBackend, app: Starlette
) -> None:
    with pytest.raises(JobFailedError) as caught:
        await backend.submit(job(payload={"previous_generation_id": "not-a-generation"}))
    assert not caught.value.retryable and "not a completed generation" in str(caught.value)


async def test_demo_scene_builds_through_the_runner_into_the_cache(
    backend: LumaBackend, app: Starlette, cdn: FakeCdn, tmp_path: Path
) -> None:
    scene = demo_scene_with_reference(tmp_path)
    backends: dict[str, Any] = {"luma": backend}
    jobs = plan_jobs(load(scene), backends, backend="luma")
    time = FakeClock()
    report = await run_jobs(
        jobs, backends, cache=Cache(tmp_path / "cache"), journal=Journal(tmp_path / "j.sqlite"),
        workdir=tmp_path / "work", clock=time, sleep=time.sleep,
    )  # fmt: skip
    assert report.ok and report.generated == len(jobs) == len(app.state.requests)
    with_mara = [job for job in jobs if job.references]
    keyframed = [body for body in app.state.requests if "keyframes" in body]
    assert len(keyframed) == len(with_mara) == len(cdn.uploaded) > 0
    assert all(body["keyframes"]["frame0"]["type"] == "image" for body in keyframed)
    assert all((tmp_path / "cache") in clip.path.parents for clip in report.clips.values())
    written = [path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()]
    assert not any(KEY.encode() in data for data in written)  # cache records, journal, clips


async def test_continuity_chains_each_shot_from_the_generation_before_with_no_host(
    fake: tuple[Starlette, str], app: Starlette, tmp_path: Path
) -> None:
    demo = DEMO_SCENE
    async with httpx.AsyncClient(timeout=10) as client:
        luma = LumaBackend(client=client, base_url=fake[1], api_key=KEY, env={},
                           resolution="540p")  # fmt: skip
        backends: dict[str, Any] = {"luma": luma}
        jobs = [j for j in plan_jobs(load(demo), backends, backend="luma") if j.take == 1]
        time = FakeClock()
        report, again = [await run_jobs(
            jobs, backends, cache=Cache(tmp_path / "cache"), journal=Journal(tmp_path / "j"),
            workdir=tmp_path / "work", clock=time, sleep=time.sleep, continuity=True,
        ) for _ in range(2)]  # fmt: skip
    assert report.ok and (again.cached, again.generated) == (len(jobs), 0)
    chained = [b["keyframes"]["frame0"] for b in app.state.requests if "keyframes" in b]
    first_shots = {job.scene_id for job in jobs}
    assert len(chained) == len(jobs) - len(first_shots) > 0
    remote_ids = {clip.remote_id for clip in report.clips.values()}
    assert all(f["type"] == "generation" and f["id"] in remote_ids for f in chained)


async def test_reconcile_finds_the_generation_a_lost_reply_created(backend: LumaBackend) -> None:
    shot = job()
    before = time.time()
    remote_id = await backend.submit(shot)
    assert await backend.reconcile(shot, submitted_after=before) == remote_id


async def test_reconcile_ignores_other_requests_and_older_generations(
    backend: LumaBackend,
) -> None:
    shot = job()
    await backend.submit(shot)
    assert await backend.reconcile(job(seconds=9.0), submitted_after=time.time() - 60) is None
    assert await backend.reconcile(shot, submitted_after=time.time() + 60) is None


class TestLumaContract(RemoteBackendContract):
    """Luma passes the backend contract suite against its strict fake."""

    @pytest.fixture
    def contract(
        self, fake: tuple[Starlette, str], app: Starlette, backend: LumaBackend
    ) -> RemoteSetup:
        def with_key(key: str | None) -> LumaBackend:
            return LumaBackend(client=backend.client, base_url=fake[1], api_key=key, env={},
                               resolution="540p")  # fmt: skip

        return RemoteSetup(
            backend=backend, job=job(), inject=counting(lambda: app.state.faults),
            with_key=with_key, reconciles=True, secret=KEY,
        )  # fmt: skip
