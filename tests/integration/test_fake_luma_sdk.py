"""The fake Luma API, driven by Luma's own SDK (``lumaai``), so it cannot drift from it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import lumaai
import pytest
from PIL import Image
from starlette.applications import Starlette

from tests.fakes.fakekit import Faults
from tests.fakes.luma import DEFAULT_KEY, create_app
from tests.fakes.serve import serving


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[Starlette, str]]:
    app = create_app()
    with serving(app) as base_url:
        yield app, base_url


@pytest.fixture
def app(fake: tuple[Starlette, str]) -> Starlette:
    fake[0].state.faults = Faults()
    return fake[0]


@pytest.fixture
def client(fake: tuple[Starlette, str], app: Starlette) -> lumaai.LumaAI:
    return lumaai.LumaAI(auth_token=DEFAULT_KEY, base_url=fake[1], max_retries=0)


def hosted_image(base_url: str, name: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), "olive").save(buffer, format="PNG")
    url = f"{base_url}/__fake__/cdn/{name}"
    httpx.put(url, content=buffer.getvalue(), headers={"content-type": "image/png"})
    return url


def finish(client: lumaai.LumaAI, generation_id: str) -> Any:
    generation = client.generations.get(generation_id)
    while generation.state not in ("completed", "failed"):
        generation = client.generations.get(generation_id)
    return generation


def small(**changes: Any) -> dict[str, Any]:
    return {"model": "ray-flash-2", "prompt": "a pier at night", "resolution": "540p", **changes}


def test_generation_walks_queued_dreaming_completed(client: lumaai.LumaAI) -> None:
    created = client.generations.create(**small(aspect_ratio="16:9", duration="5s"))
    assert created.state == "queued" and created.model == "ray-flash-2"
    states = [client.generations.get(created.id or "").state for _ in range(3)]
    assert states == ["queued", "dreaming", "completed"]


def test_completed_generation_links_an_mp4_of_the_ordered_shape(
    client: lumaai.LumaAI, tmp_path: Path
) -> None:
    created = client.generations.create(**small(aspect_ratio="9:16", duration="5s"))
    video = finish(client, created.id or "").assets.video
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(httpx.get(video).content)
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (540, 960)
        assert container.duration / av.time_base == pytest.approx(5.0, abs=0.1)


def test_image_keyframes_from_a_hosted_url_are_accepted(
    client: lumaai.LumaAI, fake: tuple[Starlette, str]
) -> None:
    frames: Any = {
        "frame0": {"type": "image", "url": hosted_image(fake[1], "start.png")},
        "frame1": {"type": "image", "url": hosted_image(fake[1], "end.png")},
    }
    created = client.generations.create(**small(keyframes=frames))
    assert finish(client, created.id or "").state == "completed"


def test_generation_keyframe_chains_from_a_completed_generation(client: lumaai.LumaAI) -> None:
    earlier = finish(client, client.generations.create(**small()).id or "")
    frames: Any = {"frame0": {"type": "generation", "id": earlier.id}}
    created = client.generations.create(**small(keyframes=frames))
    assert created.request.keyframes.frame0.id == earlier.id  # type: ignore[union-attr]


def test_generation_keyframe_must_be_completed(client: lumaai.LumaAI) -> None:
    pending = client.generations.create(**small())
    with pytest.raises(lumaai.BadRequestError) as caught:
        client.generations.create(
            **small(keyframes={"frame0": {"type": "generation", "id": pending.id or ""}})
        )
    assert "not a completed generation" in str(caught.value.body)


def test_data_uri_keyframe_is_refused(client: lumaai.LumaAI) -> None:
    frames: Any = {"frame0": {"type": "image", "url": "data:image/png;base64,iVBORw0KGgo="}}
    with pytest.raises(lumaai.BadRequestError) as caught:
        client.generations.create(**small(keyframes=frames))
    assert isinstance(caught.value.body, dict) and "detail" in caught.value.body


def test_unfetchable_keyframe_image_fails_the_generation(
    client: lumaai.LumaAI, fake: tuple[Starlette, str]
) -> None:
    frames: Any = {"frame0": {"type": "image", "url": f"{fake[1]}/__fake__/cdn/missing.png"}}
    generation = finish(client, client.generations.create(**small(keyframes=frames)).id or "")
    assert generation.state == "failed" and "frame0" in generation.failure_reason


def test_missing_model_is_refused(client: lumaai.LumaAI) -> None:
    with pytest.raises(lumaai.BadRequestError):
        client.post("/generations/video", body={"prompt": "x"}, cast_to=object)


@pytest.mark.parametrize(
    "extra",
    [{"negative_prompt": "x"}, {"aspectRatio": "16:9"}, {"duration": 5}, {"duration": "7s"},
     {"resolution": "8k"}, {"aspect_ratio": "2:1"}, {"loop": "yes"}, {"model": "ray-1-6"}],
)  # fmt: skip
def test_unknown_fields_wrong_types_and_undocumented_values_are_refused(
    client: lumaai.LumaAI, extra: dict[str, Any]
) -> None:
    with pytest.raises(lumaai.BadRequestError):
        client.post("/generations/video", body={**small(), **extra}, cast_to=object)


def test_old_create_path_is_not_a_create(client: lumaai.LumaAI) -> None:
    with pytest.raises(lumaai.APIStatusError) as caught:
        client.post("/generations", body=small(), cast_to=object)
    assert caught.value.status_code == 405


def test_bad_key_is_a_401(fake: tuple[Starlette, str]) -> None:
    client = lumaai.LumaAI(auth_token="luma-wrong", base_url=fake[1], max_retries=0)
    with pytest.raises(lumaai.AuthenticationError) as caught:
        client.generations.get("x")
    assert caught.value.body == {"detail": "Invalid API key is provided"}


def test_deleted_generation_is_not_found(client: lumaai.LumaAI) -> None:
    created = client.generations.create(**small())
    client.generations.delete(created.id or "")
    with pytest.raises(lumaai.NotFoundError):
        client.generations.get(created.id or "")


def test_list_pages_through_generations(client: lumaai.LumaAI) -> None:
    client.generations.create(**small())
    page = client.generations.list(limit=1, offset=0)
    assert page.count == 1 and len(page.generations) == 1


def test_injected_safety_block_fails_with_a_reason(client: lumaai.LumaAI, app: Starlette) -> None:
    app.state.faults.safety_blocks = 1
    generation = finish(client, client.generations.create(**small()).id or "")
    assert generation.state == "failed" and "moderation" in generation.failure_reason


def test_injected_429_carries_retry_after(client: lumaai.LumaAI, app: Starlette) -> None:
    app.state.faults.rate_limits = 1
    with pytest.raises(lumaai.RateLimitError) as caught:
        client.generations.get("x")
    assert caught.value.response.headers["retry-after"] == "2"
    assert "detail" in caught.value.body  # type: ignore[operator]


def test_injected_500_and_drop_reach_the_sdk_as_errors(
    client: lumaai.LumaAI, app: Starlette
) -> None:
    app.state.faults.server_errors, app.state.faults.dropped = 1, 1
    with pytest.raises(lumaai.InternalServerError):
        client.generations.get("x")
    with pytest.raises(lumaai.APIConnectionError):
        client.generations.get("x")
