"""The Veo backend against the strict fake over real HTTP, on both roads (Vertex AI and the
Gemini API): what it sends, how it walks an operation, how the clip arrives, and how every
injected fault reaches the runner."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import google.auth.credentials
import httpx
import pytest
from google.oauth2.credentials import Credentials
from PIL import Image

from previz.backends.base import Job, JobStatus, Reference
from previz.backends.http import probe_clip
from previz.backends.veo import VeoBackend
from previz.errors import (
    BackendUnavailableError,
    JobFailedError,
)
from previz.generate.cache import Cache
from previz.generate.journal import Journal
from previz.generate.plan import plan_jobs
from previz.generate.runner import run_jobs
from previz.shotlist.loader import load
from previz.testing import FAULTS, RemoteBackendContract, RemoteSetup
from tests.fakes.backend import FakeClock
from tests.fakes.contract_faults import routed
from tests.fakes.demo import DEMO_SCENE, demo_scene_with_reference
from tests.fakes.serve import serving
from tests.fakes.veo import DEFAULT_KEY, DEFAULT_PROJECT, DEFAULT_TOKEN, VeoFake, create_app

APP = create_app()
VEO_ROUTES = {"submit": "predict", "poll": "poll", "download": "download"}
INLINE_FAULTS = FAULTS - {"truncated_download", "cut_download", "expired_link"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(APP) as url:
        yield url


@pytest.fixture
def fake() -> VeoFake:
    APP.state.fake = VeoFake(polls_to_finish=1)
    return APP.state.fake


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@pytest.fixture
def gemini(client: httpx.AsyncClient, base_url: str, fake: VeoFake) -> VeoBackend:
    return VeoBackend(client=client, base_url=base_url, api_key=DEFAULT_KEY, env={})


@pytest.fixture
def vertex(client: httpx.AsyncClient, base_url: str, fake: VeoFake) -> VeoBackend:
    return VeoBackend(
        client=client,
        base_url=base_url,
        env={},
        vertexai=True,
        project=DEFAULT_PROJECT,
        location="us-central1",
        credentials=Credentials(token=DEFAULT_TOKEN),
    )


def picture(path: Path, size: tuple[int, int] = (300, 400)) -> Path:
    Image.new("RGB", size, (120, 60, 30)).save(path)
    return path


def job(
    *references: Reference,
    seconds: float = 6.0,
    size: tuple[int, int] = (1280, 720),
    model: str = "veo-3.1-generate-preview",
) -> Job:
    return Job(
        shot_id="sh020",
        take=1,
        backend="veo",
        model=model,
        prompt="Dawn. The courier looks back at the depot.",
        template_hash="t",
        seconds=seconds,
        shot_seconds=4.0,
        width=size[0],
        height=size[1],
        fps=24.0,
        references=references,
        payload={"negative_prompt": "text overlays", "seed": 42},
    )


def cast(tmp_path: Path, *names: str) -> list[Reference]:
    return [Reference(picture(tmp_path / f"{n}.png"), n, "character", n) for n in names]


async def finished(backend: VeoBackend, the_job: Job) -> str:
    name = await backend.submit(the_job)
    while (await backend.poll(name, the_job)).status is not JobStatus.SUCCEEDED:
        pass
    return name


async def test_gemini_request_has_the_shape_and_no_vertex_only_fields(gemini, fake):
    await gemini.submit(job())
    sent = fake.received[0].parameters
    assert sent == {
        "sampleCount": 1,
        "durationSeconds": 6,
        "aspectRatio": "16:9",
        "resolution": "720p",
        "negativePrompt": "text overlays",
    }


async def test_vertex_request_carries_seed_and_audio(vertex, fake):
    await vertex.submit(job(size=(720, 1280)))
    sent = fake.received[0].parameters
    assert (sent["seed"], sent["generateAudio"], sent["aspectRatio"]) == (42, True, "9:16")


async def test_gemini_operation_runs_then_succeeds(gemini):
    the_job = job()
    name = await gemini.submit(the_job)
    assert (await gemini.poll(name, the_job)).status is JobStatus.RUNNING
    assert (await gemini.poll(name, the_job)).status is JobStatus.SUCCEEDED


async def test_gemini_download_follows_the_link_without_the_key(gemini, fake, tmp_path):
    the_job = job()
    media = await gemini.download(await finished(gemini, the_job), the_job, tmp_path / "c.mp4")
    probe = probe_clip(media.video)
    assert (probe.width, probe.height, probe.has_audio) == (1280, 720, True)
    assert probe.duration == pytest.approx(6.0, abs=0.1)
    assert fake.media_headers and all("x-goog-api-key" not in h for h in fake.media_headers)


async def test_vertex_download_stores_the_inline_clip(vertex, tmp_path):
    the_job = job(seconds=4.0, size=(720, 1280), model="veo-3.1-fast-generate-001")
    media = await vertex.download(await finished(vertex, the_job), the_job, tmp_path / "c.mp4")
    probe = probe_clip(media.video)
    assert (probe.width, probe.height) == (720, 1280)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.mp4"]


async def test_three_characters_go_as_asset_references_and_the_fourth_is_dropped(
    vertex, fake, tmp_path, caplog
):
    caplog.set_level(logging.WARNING, logger="previz.backends.veo")
    await vertex.submit(job(*cast(tmp_path, "mara", "jun", "ode", "kit"), seconds=8.0))
    assert len(fake.received[0].references) == 3
    assert "character 'kit'" in caplog.text


async def test_references_on_a_short_clip_are_refused_before_sending(gemini, fake, tmp_path):
    with pytest.raises(JobFailedError, match="only for 8-second clips"):
        await gemini.submit(job(*cast(tmp_path, "mara"), seconds=4.0))
    assert fake.received == []


async def test_first_and_last_frame_win_over_asset_references(gemini, fake, tmp_path, caplog):
    first = Reference(picture(tmp_path / "a.png", (640, 480)), "a", "first_frame", "sh010")
    last = Reference(picture(tmp_path / "b.png", (640, 480)), "b", "last_frame", "sh030")
    caplog.set_level(logging.WARNING, logger="previz.backends.veo")
    await gemini.submit(job(first, last, *cast(tmp_path, "mara"), seconds=4.0))
    order = fake.received[0]
    assert (order.image["width"], order.image["height"]) == (1280, 720)
    assert order.last_frame is not None and order.references == ()
    assert "character 'mara'" in caplog.text


async def test_last_frame_without_first_frame_is_dropped(gemini, fake, tmp_path):
    last = Reference(picture(tmp_path / "b.png"), "b", "last_frame", "sh030")
    await gemini.submit(job(last))
    assert (fake.received[0].image, fake.received[0].last_frame) == (None, None)


async def test_vertex_only_model_is_refused_on_the_gemini_road(gemini, fake):
    with pytest.raises(JobFailedError, match="not served on the gemini route"):
        await gemini.submit(job(model="veo-3.1-generate-001"))


async def test_stale_vertex_token_is_final_401(client, base_url, fake):
    stale = VeoBackend(
        client=client,
        base_url=base_url,
        env={},
        vertexai=True,
        project=DEFAULT_PROJECT,
        credentials=Credentials(token="ya29.stale"),
    )
    with pytest.raises(JobFailedError, match="401"):
        await stale.submit(job())


class RefreshingCredentials(google.auth.credentials.Credentials):
    """Credentials that get their token on refresh, as ADC does."""

    def refresh(self, request: object) -> None:
        self.token = DEFAULT_TOKEN


async def test_vertex_refreshes_credentials_that_have_no_token(client, base_url, fake):
    backend = VeoBackend(
        client=client,
        base_url=base_url,
        env={},
        vertexai=True,
        project=DEFAULT_PROJECT,
        credentials=RefreshingCredentials(),
    )
    assert await backend.submit(job())


async def test_missing_credentials_are_reported_before_any_request(client, base_url, fake):
    keyless = VeoBackend(client=client, base_url=base_url, env={})
    projectless = VeoBackend(client=client, base_url=base_url, env={}, vertexai=True)
    assert not keyless.is_configured() and not projectless.is_configured()
    with pytest.raises(BackendUnavailableError, match="GEMINI_API_KEY"):
        await keyless.submit(job())
    with pytest.raises(BackendUnavailableError, match="GOOGLE_CLOUD_PROJECT"):
        await projectless.submit(job())
    assert fake.received == []


def test_environment_selects_vertex_like_google_genai():
    env = {
        "GOOGLE_GENAI_USE_VERTEXAI": "true",
        "GOOGLE_CLOUD_PROJECT": "p1",
        "GOOGLE_CLOUD_LOCATION": "europe-west4",
        "GOOGLE_API_KEY": "unused",
    }
    backend = VeoBackend(env=env, credentials=Credentials(token="t"))
    assert backend.mode == "vertex" and backend.is_configured()
    url = backend.route.predict_url("veo-3.1-generate-001")
    assert url == (
        "https://europe-west4-aiplatform.googleapis.com/v1beta1/projects/p1/locations/"
        "europe-west4/publishers/google/models/veo-3.1-generate-001:predictLongRunning"
    )


def test_google_api_key_is_preferred_over_gemini_api_key():
    backend = VeoBackend(env={"GOOGLE_API_KEY": "g-key", "GEMINI_API_KEY": "m-key"})
    assert backend.mode == "gemini" and backend.route.secrets() == ("g-key",)


def test_capabilities_state_the_reference_rule_and_resolution():
    hd = VeoBackend(env={}).capabilities()
    full_hd = VeoBackend(env={}, resolution="1080p").capabilities()
    assert (hd.durations, hd.reference_durations) == ((4.0, 6.0, 8.0), (8.0,))
    assert hd.generation_seconds(3.0, with_references=True) == 8.0
    assert hd.generation_seconds(3.0) == 4.0
    assert full_hd.sizes == ((1920, 1080), (1080, 1920)) and full_hd.durations == (8.0,)
    assert (hd.max_references, hd.audio, hd.frame_rates) == (3, True, (24.0,))


async def test_demo_scene_builds_on_vertex_through_the_runner_into_the_cache(
    client, base_url, fake, tmp_path
):
    token = "ya29.previz-demo-token-24680"
    fake.tokens.add(token)
    backend = VeoBackend(
        client=client, base_url=base_url, env={}, vertexai=True, project=DEFAULT_PROJECT,
        location="us-central1", credentials=Credentials(token=token),
    )  # fmt: skip
    backends = {"veo": backend}
    jobs = plan_jobs(load(demo_scene_with_reference(tmp_path)), backends, backend="veo")
    time = FakeClock()
    report = await run_jobs(
        jobs, backends, cache=Cache(tmp_path / "cache"), journal=Journal(tmp_path / "j.sqlite"),
        workdir=tmp_path / "work", clock=time, sleep=time.sleep,
    )  # fmt: skip
    assert report.ok and report.generated == len(jobs) == len(fake.received)
    referenced = [order for order in fake.received if order.references]
    assert len(referenced) == len([job for job in jobs if job.references]) > 0
    assert all(order.seconds == 8 for order in referenced)
    assert all((tmp_path / "cache") in clip.path.parents for clip in report.clips.values())
    written = [path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()]
    assert not any(token.encode() in data for data in written)  # cache records, journal, clips


async def test_continuity_build_opens_each_shot_with_the_last_frame_as_image(
    gemini, fake, tmp_path
):
    demo = DEMO_SCENE
    backends = {"veo": gemini}
    jobs = [j for j in plan_jobs(load(demo), backends, backend="veo") if j.take == 1]
    time = FakeClock()
    report = await run_jobs(
        jobs, backends, cache=Cache(tmp_path / "cache"), journal=Journal(tmp_path / "j.sqlite"),
        workdir=tmp_path / "work", clock=time, sleep=time.sleep, continuity=True,
    )  # fmt: skip
    assert report.ok
    scenes = {job.scene_id for job in jobs}
    opened = [order for order in fake.received if order.image is not None]
    assert len(opened) == len(jobs) - len(scenes) > 0
    assert all((order.image["width"], order.image["height"]) == (1280, 720) for order in opened)


@pytest.fixture(params=["gemini", "vertex"])
def road(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestVeoContract(RemoteBackendContract):
    """Veo passes the backend contract suite on both roads against its strict fake."""

    @pytest.fixture
    def contract(
        self, road: str, gemini: VeoBackend, vertex: VeoBackend, client, base_url, fake
    ) -> RemoteSetup:
        def with_key(key: str | None) -> VeoBackend:
            return VeoBackend(client=client, base_url=base_url, api_key=key, env={})

        return RemoteSetup(
            backend=gemini if road == "gemini" else vertex, job=job(),
            inject=routed(lambda: fake.faults, VEO_ROUTES),
            # Vertex AI answers with the clip inline: there is no download to cut or expire.
            faults=FAULTS if road == "gemini" else INLINE_FAULTS,
            with_key=with_key if road == "gemini" else None,
            secret=DEFAULT_KEY if road == "gemini" else DEFAULT_TOKEN,
        )  # fmt: skip
