"""The Veo fake, driven by google-genai itself.

Vertex AI: ``generate_videos`` and ``operations.get`` run end to end through the SDK.
Gemini API: google-genai 3.4 refuses ``generate_videos`` there ("only supported in Gemini
Enterprise Agent Platform mode"), so the request body is the one the SDK's own converter builds
(its Vertex converter; for the fields the Gemini API takes, google-genai 2.19's Gemini converter
wrote the same names) and is sent through the SDK's Gemini client; polling
(``operations.get``) and download (``files.download``) are the SDK's own Gemini paths.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Iterator
from typing import Any

import av
import httpx
import pytest
from google import genai
from google.genai import errors, types
from google.genai.models import _GenerateVideosParameters_to_vertex
from google.oauth2.credentials import Credentials
from PIL import Image

from tests.fakes.serve import serving
from tests.fakes.veo import DEFAULT_KEY, DEFAULT_PROJECT, DEFAULT_TOKEN, VeoFake, create_app

warnings.filterwarnings("ignore", category=DeprecationWarning, module="google")
APP = create_app()
VERTEX_CONVERTER = genai.Client(
    vertexai=True, project="p", location="us-central1", credentials=Credentials(token="t")
)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(APP) as url:
        yield url


@pytest.fixture(scope="module")
def vertex(base_url: str) -> genai.Client:
    return vertex_client(base_url)


@pytest.fixture(scope="module")
def gemini(base_url: str) -> genai.Client:
    return gemini_client(base_url)


@pytest.fixture
def fake() -> VeoFake:
    APP.state.fake = VeoFake(polls_to_finish=1)
    return APP.state.fake


def vertex_client(base_url: str, token: str = DEFAULT_TOKEN) -> genai.Client:
    return genai.Client(
        vertexai=True,
        project=DEFAULT_PROJECT,
        location="us-central1",
        credentials=Credentials(token=token),
        http_options=types.HttpOptions(base_url=base_url),
    )


def gemini_client(base_url: str, key: str = DEFAULT_KEY) -> genai.Client:
    return genai.Client(
        api_key=key, http_options=types.HttpOptions(base_url=base_url, api_version="v1beta")
    )


def image(width: int = 96, height: int = 96) -> types.Image:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(buffer, format="PNG")
    return types.Image(image_bytes=buffer.getvalue(), mime_type="image/png")


def asset() -> types.VideoGenerationReferenceImage:
    return types.VideoGenerationReferenceImage(image=image(), reference_type="asset")


def vertex_generate(client: genai.Client, **config: Any) -> types.GenerateVideosOperation:
    return client.models.generate_videos(
        model="veo-3.1-generate-001",
        source=types.GenerateVideosSource(prompt="a courier at night"),
        config=types.GenerateVideosConfig(**config),
    )


def gemini_predict(client: genai.Client, **config: Any) -> str:
    """POST the SDK-built body through the SDK's Gemini client; return the operation name."""
    source = types.GenerateVideosSource(
        prompt="a courier at night", image=config.pop("image", None)
    )
    parameters = types._GenerateVideosParameters(
        model="veo-3.1-generate-preview", source=source, config=types.GenerateVideosConfig(**config)
    )
    body = _GenerateVideosParameters_to_vertex(VERTEX_CONVERTER._api_client, parameters)
    body.pop("_url")
    response = client._api_client.request(
        "post", "models/veo-3.1-generate-preview:predictLongRunning", body
    )
    return str(json.loads(response.body)["name"])


def finished(client: genai.Client, name: str) -> types.GenerateVideosOperation:
    operation = types.GenerateVideosOperation(name=name)
    while not operation.done:
        operation = client.operations.get(operation)
    return operation


def test_vertex_generate_and_poll_returns_inline_video_bytes(vertex, fake):
    client = vertex
    operation = vertex_generate(client, duration_seconds=4, aspect_ratio="9:16", seed=5)
    assert operation.name.startswith(f"projects/{DEFAULT_PROJECT}/locations/us-central1/")
    done = finished(client, operation.name)
    assert done.response is not None and done.response.generated_videos
    video = done.response.generated_videos[0].video
    assert video is not None and video.video_bytes is not None
    with av.open(io.BytesIO(video.video_bytes)) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (720, 1280)
        assert container.duration / av.time_base == pytest.approx(4.0, abs=0.1)


def test_vertex_takes_three_asset_references_at_eight_seconds(vertex, fake):
    vertex_generate(vertex, duration_seconds=8, reference_images=[asset(), asset(), asset()])
    assert len(fake.received[0].references) == 3


def test_vertex_refuses_references_at_four_seconds(vertex, fake):
    with pytest.raises(errors.ClientError, match="durationSeconds must be 8"):
        vertex_generate(vertex, duration_seconds=4, reference_images=[asset()])


def test_vertex_refuses_a_fourth_reference(vertex, fake):
    with pytest.raises(errors.ClientError, match="At most 3"):
        vertex_generate(vertex, reference_images=[asset()] * 4)


def test_vertex_refuses_last_frame_without_first_frame(vertex, fake):
    with pytest.raises(errors.ClientError, match="lastFrame"):
        vertex_generate(vertex, last_frame=image())


def test_vertex_refuses_references_with_a_first_frame(vertex, fake):
    client = vertex
    with pytest.raises(errors.ClientError, match="cannot be combined"):
        client.models.generate_videos(
            model="veo-3.1-generate-001",
            source=types.GenerateVideosSource(prompt="x", image=image()),
            config=types.GenerateVideosConfig(reference_images=[asset()]),
        )


def test_vertex_refuses_1080p_below_eight_seconds(vertex, fake):
    with pytest.raises(errors.ClientError, match="1080p"):
        vertex_generate(vertex, duration_seconds=6, resolution="1080p")


def test_vertex_refuses_a_disallowed_duration(vertex, fake):
    with pytest.raises(errors.ClientError, match="durationSeconds"):
        vertex_generate(vertex, duration_seconds=5)


def test_vertex_refuses_an_unknown_parameter(vertex, fake):
    config = types.GenerateVideosConfig(
        http_options=types.HttpOptions(extra_body={"parameters": {"durationSecs": 8}})
    )
    client = vertex
    with pytest.raises(errors.ClientError, match='Unknown name "durationSecs"'):
        client.models.generate_videos(
            model="veo-3.1-generate-001",
            source=types.GenerateVideosSource(prompt="x"),
            config=config,
        )


def test_vertex_without_a_valid_token_is_401(base_url, fake):
    with pytest.raises(errors.ClientError) as caught:
        vertex_generate(vertex_client(base_url, token="ya29.stale"))
    assert (caught.value.code, caught.value.status) == (401, "UNAUTHENTICATED")


def test_vertex_safety_block_is_a_done_operation_with_rai_reasons(vertex, fake):
    fake.faults.inject("predict", "safety")
    client = vertex
    done = finished(client, vertex_generate(client).name)
    assert done.response is not None
    assert done.response.rai_media_filtered_count == 1
    assert done.response.rai_media_filtered_reasons and not done.response.generated_videos


def test_vertex_internal_failure_is_a_done_operation_with_an_error(vertex, fake):
    fake.faults.inject("predict", "failed")
    client = vertex
    done = finished(client, vertex_generate(client).name)
    assert done.error is not None and done.error["code"] == 13


def test_sdk_refuses_generate_videos_in_gemini_mode(gemini, fake):
    with pytest.raises(ValueError, match="only supported in Gemini Enterprise"):
        gemini.models.generate_videos(
            model="veo-3.1-generate-preview", source=types.GenerateVideosSource(prompt="x")
        )


def test_gemini_predict_poll_and_download_through_the_sdk(gemini, fake):
    client = gemini
    name = gemini_predict(client, duration_seconds=6, aspect_ratio="16:9", image=image())
    done = finished(client, name)
    assert done.response is not None and done.response.generated_videos
    video = done.response.generated_videos[0].video
    assert video is not None and video.uri is not None and "files/" in video.uri
    # The SDK parses a file name only out of https:// URIs; the fake serves plain http.
    file_name = "files/" + video.uri.split("files/")[1].split(":")[0]
    data = client.files.download(file=file_name)
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.video[0].width == 1280
        assert container.duration / av.time_base == pytest.approx(6.0, abs=0.1)


def test_gemini_refuses_vertex_only_seed(gemini, fake):
    client = gemini
    with pytest.raises(errors.ClientError, match="seed"):
        gemini_predict(client, seed=3)


def test_gemini_missing_key_is_403(gemini, fake):
    client = gemini
    with pytest.raises(errors.ClientError) as caught:
        client.operations.get(
            types.GenerateVideosOperation(name="models/veo-3.1-generate-preview/operations/x"),
            config={"http_options": {"headers": {"x-goog-api-key": ""}}},
        )
    assert (caught.value.code, caught.value.status) == (403, "PERMISSION_DENIED")


def test_gemini_bad_key_is_400_api_key_invalid(base_url, fake):
    client = gemini_client(base_url, key="AIza-not-a-key")
    with pytest.raises(errors.ClientError) as caught:
        gemini_predict(client)
    assert caught.value.code == 400
    assert "API_KEY_INVALID" in str(caught.value.details)


def test_gemini_safety_block_has_reasons_and_no_samples(gemini, fake):
    fake.faults.inject("predict", "safety")
    client = gemini
    done = finished(client, gemini_predict(client))
    assert done.response is not None and done.response.rai_media_filtered_count == 1
    assert not done.response.generated_videos


def test_rate_limit_reaches_the_sdk_as_429_resource_exhausted(vertex, fake):
    fake.faults.inject("predict", "rate_limit", retry_after=3)
    with pytest.raises(errors.ClientError) as caught:
        vertex_generate(vertex)
    assert (caught.value.code, caught.value.status) == (429, "RESOURCE_EXHAUSTED")


def test_vertex_without_a_bearer_token_is_401(base_url, fake):
    url = (
        f"{base_url}/v1beta1/projects/{DEFAULT_PROJECT}/locations/us-central1/publishers/google/"
        "models/veo-3.1-generate-001:predictLongRunning"
    )
    answer = httpx.post(url, json={"instances": [{"prompt": "x"}]})
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"


def test_faults_can_be_queued_by_hand_over_http(base_url, vertex, fake):
    spec = {"route": "predict", "kind": "rate_limit", "retry_after": 2}
    assert httpx.post(f"{base_url}/__fake__/faults", json=spec).status_code == 200
    with pytest.raises(errors.ClientError) as caught:
        vertex_generate(vertex)
    assert caught.value.code == 429
