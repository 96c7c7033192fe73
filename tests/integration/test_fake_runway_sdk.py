"""The fake Runway API, driven by Runway's own SDK (``runwayml``), so it cannot drift from it.

Whatever the SDK sends must be accepted and whatever the fake answers must parse into the SDK's
types; whatever the real service refuses, the fake refuses with Runway's validator shape.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
import runwayml
import runwayml.lib.polling
from PIL import Image
from starlette.applications import Starlette

from tests.fakes.fakekit import Faults
from tests.fakes.runway import DEFAULT_KEY, create_app
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
def client(fake: tuple[Starlette, str], app: Starlette) -> runwayml.RunwayML:
    return runwayml.RunwayML(api_key=DEFAULT_KEY, base_url=fake[1], max_retries=0)


def png_uri(width: int = 64, height: int = 36) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "steelblue").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def issues_of(error: runwayml.BadRequestError) -> list[dict[str, Any]]:
    body = error.body
    assert isinstance(body, dict) and body["error"] == "Validation of body failed"
    return list(body["issues"])


def finish(client: runwayml.RunwayML, task_id: str) -> Any:
    task = client.tasks.retrieve(task_id)
    while task.status not in ("SUCCEEDED", "FAILED", "CANCELLED"):
        task = client.tasks.retrieve(task_id)
    return task


def test_image_to_video_task_walks_pending_running_succeeded(client: runwayml.RunwayML) -> None:
    created = client.image_to_video.create(
        model="gen4.5", prompt_image=png_uri(), prompt_text="a lighthouse at dusk",
        ratio="1280:720", duration=2, seed=7,
    )  # fmt: skip
    assert created.estimated_cost.credits == 24
    statuses = [client.tasks.retrieve(created.id) for _ in range(3)]
    assert [t.status for t in statuses] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert 0.0 < statuses[1].progress < 1.0  # type: ignore[union-attr]
    assert statuses[2].output[0].startswith("http")  # type: ignore[union-attr]


def test_output_url_serves_an_mp4_of_the_ordered_size_and_length(
    client: runwayml.RunwayML, tmp_path: Path
) -> None:
    created = client.image_to_video.create(
        model="gen4.5", prompt_image=png_uri(), prompt_text="x", ratio="720:1280", duration=2
    )
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(httpx.get(finish(client, created.id).output[0]).content)
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (720, 1280)
        assert container.duration / av.time_base == pytest.approx(2.0, abs=0.1)


def test_veo_text_to_video_takes_audio_negative_prompt_and_seed(
    client: runwayml.RunwayML,
) -> None:
    created = client.text_to_video.create(
        model="veo3.1_fast", prompt_text="rain on a window", ratio="1920:1080", duration=4,
        audio=True, negative_prompt="people", seed=42,
    )  # fmt: skip
    assert created.estimated_cost.credits == 60


def test_veo_accepts_a_first_and_a_last_frame(client: runwayml.RunwayML) -> None:
    frames: Any = [{"uri": png_uri(), "position": "first"}, {"uri": png_uri(), "position": "last"}]
    created = client.image_to_video.create(
        model="veo3.1", prompt_image=frames, ratio="1280:720", duration=8
    )
    assert created.id


def test_wait_for_task_output_returns_the_succeeded_task(
    client: runwayml.RunwayML, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK sleeps ~6 s between reads; the fake needs no such patience.
    monkeypatch.setattr(runwayml.lib.polling, "POLL_TIME", 0.01)
    monkeypatch.setattr(runwayml.lib.polling, "POLL_JITTER", 0.0)
    created = client.image_to_video.create(
        model="gen4_turbo", prompt_image=png_uri(), ratio="960:960", duration=2
    )
    assert created.wait_for_task_output(timeout=10).status == "SUCCEEDED"


def test_snake_case_field_is_an_unrecognized_key(client: runwayml.RunwayML) -> None:
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.text_to_video.create(
            model="gen4.5", prompt_text="x", ratio="1280:720", duration=5,
            extra_body={"prompt_text": "x"},
        )  # fmt: skip
    assert issues_of(caught.value)[0]["code"] == "unrecognized_keys"
    assert issues_of(caught.value)[0]["keys"] == ["prompt_text"]


def test_gen4_turbo_is_not_a_text_to_video_model(client: runwayml.RunwayML) -> None:
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.post(
            "/v1/text_to_video",
            body={"model": "gen4_turbo", "promptText": "x", "ratio": "1280:720"},
            cast_to=object,
        )
    assert issues_of(caught.value)[-1]["note"] == "No matching discriminator"


def test_gen4_turbo_without_prompt_image_is_refused(client: runwayml.RunwayML) -> None:
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.post(
            "/v1/image_to_video",
            body={"model": "gen4_turbo", "promptText": "x", "ratio": "1280:720", "duration": 5},
            cast_to=object,
        )
    assert issues_of(caught.value)[0]["path"] == ["promptImage"]


def test_last_frame_is_refused_on_gen4_5(client: runwayml.RunwayML) -> None:
    frames: Any = [{"uri": png_uri(), "position": "first"}, {"uri": png_uri(), "position": "last"}]
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.image_to_video.create(
            model="gen4.5", prompt_image=frames, prompt_text="x", ratio="1280:720", duration=5
        )
    assert {tuple(i["path"]) for i in issues_of(caught.value)} == {("promptImage",)}


def test_prompt_text_is_measured_in_utf16_units(client: runwayml.RunwayML) -> None:
    clapper = "🎬"  # one code point, two UTF-16 units
    client.text_to_video.create(
        model="gen4.5", prompt_text=clapper * 500, ratio="1280:720", duration=2
    )
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.text_to_video.create(
            model="gen4.5", prompt_text=clapper * 501, ratio="1280:720", duration=2
        )
    issue = issues_of(caught.value)[0]
    assert (issue["code"], issue["path"]) == ("too_big", ["promptText"])


def test_data_uri_over_5_mb_is_refused(client: runwayml.RunwayML) -> None:
    huge = "data:image/png;base64," + "A" * (5 * 1024 * 1024)
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.image_to_video.create(
            model="gen4_turbo", prompt_image=huge, ratio="1280:720", duration=5
        )
    assert "5MB" in issues_of(caught.value)[0]["message"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("ratio", "960:960", "invalid_value"), ("duration", 5, "invalid_value"),
     ("duration", "4", "invalid_value"), ("seed", -1, "too_small")],
)  # fmt: skip
def test_veo_refuses_ratios_durations_and_seeds_it_does_not_make(
    client: runwayml.RunwayML, field: str, value: object, code: str
) -> None:
    body = {"model": "veo3.1", "promptText": "x", "ratio": "1280:720", "duration": 4}
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.post("/v1/text_to_video", body={**body, field: value}, cast_to=object)
    assert [(i["path"], i["code"]) for i in issues_of(caught.value)] == [([field], code)]


def test_duration_of_the_wrong_type_is_invalid_type(client: runwayml.RunwayML) -> None:
    body = {"model": "gen4.5", "promptText": "x", "ratio": "1280:720", "duration": "5"}
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.post("/v1/text_to_video", body=body, cast_to=object)
    assert issues_of(caught.value)[0]["code"] == "invalid_type"


def test_wrong_api_version_is_a_400(client: runwayml.RunwayML) -> None:
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.tasks.retrieve("x", extra_headers={"X-Runway-Version": "2023-09-06"})
    assert "X-Runway-Version" in str(caught.value.body)


def test_bad_key_is_a_401(fake: tuple[Starlette, str]) -> None:
    client = runwayml.RunwayML(api_key="key_wrong", base_url=fake[1], max_retries=0)
    with pytest.raises(runwayml.AuthenticationError):
        client.tasks.retrieve("x")


def test_unknown_and_deleted_tasks_are_404(client: runwayml.RunwayML) -> None:
    created = client.text_to_video.create(
        model="gen4.5", prompt_text="x", ratio="1280:720", duration=2
    )
    client.tasks.delete(created.id)
    with pytest.raises(runwayml.NotFoundError) as caught:
        client.tasks.retrieve(created.id)
    assert caught.value.body == {"error": "Could not find Task"}


def test_injected_429_carries_retry_after(client: runwayml.RunwayML, app: Starlette) -> None:
    app.state.faults.rate_limits = 1
    with pytest.raises(runwayml.RateLimitError) as caught:
        client.tasks.retrieve("x")
    assert caught.value.response.headers["retry-after"] == "2"


def test_injected_500_is_an_internal_server_error(
    client: runwayml.RunwayML, app: Starlette
) -> None:
    app.state.faults.server_errors = 1
    with pytest.raises(runwayml.InternalServerError):
        client.tasks.retrieve("x")


def test_injected_drop_is_a_connection_error(client: runwayml.RunwayML, app: Starlette) -> None:
    app.state.faults.dropped = 1
    with pytest.raises(runwayml.APIConnectionError):
        client.tasks.retrieve("x")


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [("safety_blocks", "FAILED", "SAFETY.INPUT.TEXT"),
     ("bad_outputs", "FAILED", "INTERNAL.BAD_OUTPUT.CODE01"),
     ("cancellations", "CANCELLED", None)],
)  # fmt: skip
def test_injected_task_failures_parse_as_the_sdk_types(
    client: runwayml.RunwayML, app: Starlette, fault: str, status: str, code: str | None
) -> None:
    setattr(app.state.faults, fault, 1)
    created = client.text_to_video.create(
        model="gen4.5", prompt_text="x", ratio="1280:720", duration=2
    )
    task = finish(client, created.id)
    assert task.status == status
    assert getattr(task, "failure_code", None) == code


def test_injected_throttle_shows_throttled_first(client: runwayml.RunwayML, app: Starlette) -> None:
    app.state.faults.throttled = 1
    created = client.text_to_video.create(
        model="gen4.5", prompt_text="x", ratio="1280:720", duration=2
    )
    assert client.tasks.retrieve(created.id).status == "THROTTLED"


def test_faults_can_be_set_by_hand_over_http(fake: tuple[Starlette, str], app: Starlette) -> None:
    answer = httpx.post(f"{fake[1]}/__fake__/faults", json={"server_errors": 2, "delay": 0})
    assert answer.json()["server_errors"] == 2
    assert app.state.faults.server_errors == 2
    assert httpx.post(f"{fake[1]}/__fake__/faults", json={"nonsense": 1}).status_code == 400
