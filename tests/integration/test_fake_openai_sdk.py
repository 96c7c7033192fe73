"""The OpenAI Videos fake, driven by openai-python itself: what the SDK sends, the fake takes;
what the fake answers, the SDK parses; what the real service refuses, the fake refuses."""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Iterator

import av
import httpx
import openai
import pytest
from PIL import Image

from tests.fakes.openai_videos import DEFAULT_KEY, OpenAIVideosFake, create_app
from tests.fakes.serve import serving

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
warnings.filterwarnings("ignore", category=DeprecationWarning, module="openai")


APP = create_app()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(APP) as url:
        yield url + "/v1"


@pytest.fixture
def fake() -> OpenAIVideosFake:
    APP.state.fake = OpenAIVideosFake(poll_after_ms=5)
    return APP.state.fake


@pytest.fixture
def client(base_url: str, fake: OpenAIVideosFake) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=DEFAULT_KEY, max_retries=0)


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (180, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_sdk_create_with_file_reference_is_queued(client: openai.OpenAI, fake: OpenAIVideosFake):
    video = client.videos.create(
        prompt="a courier at night",
        model="sora-2",
        seconds="4",
        size="1280x720",
        input_reference=("frame.png", png(1280, 720), "image/png"),
    )
    assert (video.status, video.seconds, video.size, video.object) == (
        "queued",
        "4",
        "1280x720",
        "video",
    )
    assert fake.received[0]["input_reference"] == {
        "format": "png",
        "width": 1280,
        "height": 720,
        "bytes": len(png(1280, 720)),
    }


def test_sdk_create_and_poll_walks_to_completed(client: openai.OpenAI):
    video = client.videos.create_and_poll(prompt="rain on a window", seconds="4")
    assert (video.status, video.progress, video.size) == ("completed", 100, "720x1280")
    assert video.expires_at is not None and video.completed_at is not None


def test_sdk_retrieve_reports_progress_and_poll_hint(client: openai.OpenAI):
    video = client.videos.create(prompt="rain", seconds="4")
    raw = client.videos.with_raw_response.retrieve(video.id)
    assert raw.parse().status == "in_progress"
    assert raw.parse().progress == 50
    assert raw.headers["openai-poll-after-ms"] == "5"


def test_sdk_download_content_is_a_clip_of_the_ordered_size_and_length(client: openai.OpenAI):
    video = client.videos.create_and_poll(prompt="rain", seconds="4", size="720x1280")
    content = client.videos.download_content(video.id, variant="video")
    with av.open(io.BytesIO(content.content)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (720, 1280)
        assert container.duration / av.time_base == pytest.approx(4.0, abs=0.1)
        assert container.streams.audio


def test_sdk_thumbnail_variant_is_webp(client: openai.OpenAI):
    video = client.videos.create_and_poll(prompt="rain", seconds="4")
    thumbnail = client.videos.download_content(video.id, variant="thumbnail")
    assert Image.open(io.BytesIO(thumbnail.content)).format == "WEBP"


def test_disallowed_seconds_is_refused_as_invalid_value(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", seconds="5")  # type: ignore[arg-type]
    assert caught.value.code == "invalid_value"
    assert caught.value.param == "seconds"


def test_seconds_as_a_json_number_is_refused_as_invalid_type(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/videos", body={"prompt": "x", "seconds": 4}, cast_to=openai.types.Video)
    assert caught.value.code == "invalid_type"


def test_unknown_field_is_refused(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", extra_body={"characters": ["char_1"]})
    assert caught.value.code == "unknown_parameter"
    assert caught.value.param == "characters"


def test_reference_of_another_size_is_refused(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(
            prompt="x", size="1280x720", input_reference=("f.png", png(640, 360), "image/png")
        )
    assert "Inpaint image must match the requested width and height" in str(caught.value)


def test_reference_as_a_plain_string_field_is_refused(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post(
            "/videos",
            body=None,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            files=[("prompt", (None, b"x")), ("input_reference", (None, b"https://x/y.png"))],
            cast_to=openai.types.Video,
        )
    assert caught.value.code == "invalid_type"


def test_reference_as_data_url_object_is_accepted(client: openai.OpenAI, fake: OpenAIVideosFake):
    url = "data:image/png;base64," + base64.b64encode(png(720, 1280)).decode()
    client.post(
        "/videos",
        body={"prompt": "x", "input_reference": {"image_url": url}},
        cast_to=openai.types.Video,
    )
    assert fake.received[0]["input_reference"]["width"] == 720


def test_pro_size_on_sora_2_is_refused(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", model="sora-2", size="1792x1024")
    assert caught.value.param == "size"


def test_unknown_model_is_refused(client: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", model="sora-3")
    assert caught.value.param == "model"


def test_missing_key_is_401(base_url: str, fake: OpenAIVideosFake):
    bare = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        bare.videos.create(prompt="x", extra_headers={"Authorization": openai.omit})
    assert "didn't provide an API key" in str(caught.value)


def test_wrong_key_is_401_invalid_api_key(base_url: str, fake: OpenAIVideosFake):
    wrong = openai.OpenAI(base_url=base_url, api_key="sk-not-the-right-key-0000", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.videos.create(prompt="x")
    assert caught.value.code == "invalid_api_key"


def test_moderation_block_is_a_failed_video_with_its_code(
    client: openai.OpenAI, fake: OpenAIVideosFake
):
    fake.faults.inject("create", "safety")
    video = client.videos.create_and_poll(prompt="x", seconds="4")
    assert video.status == "failed"
    assert video.error is not None and video.error.code == "moderation_blocked"


def test_sdk_retries_a_429_honouring_retry_after(base_url: str, fake: OpenAIVideosFake):
    fake.faults.inject("create", "rate_limit", retry_after=0)
    patient = openai.OpenAI(base_url=base_url, api_key=DEFAULT_KEY, max_retries=1)
    assert patient.videos.create(prompt="x").status == "queued"
    assert [f.kind for f in fake.faults.taken] == ["rate_limit"]


def test_sdk_sees_a_500_as_internal_server_error(client: openai.OpenAI, fake: OpenAIVideosFake):
    fake.faults.inject("retrieve", "server_error")
    video = client.videos.create(prompt="x")
    with pytest.raises(openai.InternalServerError):
        client.videos.retrieve(video.id)


def test_unknown_video_is_404(client: openai.OpenAI):
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve("video_nope")


def test_sdk_delete_removes_the_video(client: openai.OpenAI):
    video = client.videos.create(prompt="x")
    assert client.videos.delete(video.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)


def test_faults_can_be_queued_by_hand_over_http(base_url: str, client: openai.OpenAI):
    root = base_url.removesuffix("/v1")
    queued = httpx.post(
        f"{root}/__fake__/faults", json={"route": "create", "kind": "server_error", "status": 503}
    )
    assert queued.json()["pending"][0]["kind"] == "server_error"
    with pytest.raises(openai.InternalServerError):
        client.videos.create(prompt="x")
