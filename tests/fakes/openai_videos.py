"""A strict local fake of the OpenAI Videos API (Sora 2), per openai-python's ``videos`` resource.

``POST /v1/videos`` takes multipart form data (or JSON) with ``prompt``, ``model``, ``seconds``
(a *string*: "4", "8", "12"), ``size`` and an optional ``input_reference`` image that must match
``size`` exactly; anything else is refused with OpenAI's ``{"error": {...}}`` body (the rules
live in :mod:`tests.fakes.openai_videos_rules`).
``GET /v1/videos/{id}`` walks a job queued → in_progress (with progress) → completed or failed,
with an ``openai-poll-after-ms`` header; ``GET /v1/videos/{id}/content`` serves a real MP4 of the
requested size and length. Faults (see :mod:`tests.fakes.generated_media`) are queued per route:
``create``, ``retrieve``, ``list``, ``content``, ``delete``. ``drop_reply`` on ``create`` makes the
video and drops the reply; ``expire_now`` on ``create`` makes a video that completes already
past its ``expires_at`` (its content answers 404 ``video_expired``) [unconfirmed: the status and
code OpenAI uses for expired content are not in the SDK]; ``cut`` on ``content`` sends a short
body with a matching ``Content-Length``.

Where the SDK is silent the fake follows secondary sources: a moderation block ends the job
``failed`` with ``error.code`` ``moderation_blocked``; a reference of the wrong size is refused
with "Inpaint image must match the requested width and height"; 1024x1792 and 1792x1024 are
``sora-2-pro`` only.

By hand: ``python -m tests.fakes.openai_videos --port 8002``, key ``sk-fake-previz``.
"""

from __future__ import annotations

import io
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.generated_media import (
    CLIPS,
    BrokenBody,
    FaultPlan,
    cut_clip,
    dropped_reply,
    faults_routes,
    transport_fault,
)
from tests.fakes.openai_videos_rules import (
    Refusal,
    check_choice,
    create_fields,
    error_body,
    validate_create,
)
from tests.fakes.serve import main_for

DEFAULT_KEY = "sk-fake-previz"
EXPIRES_AFTER = 3600  # seconds a finished video's content stays downloadable


@dataclass
class VideoJob:
    id: str
    model: str
    prompt: str
    seconds: str
    size: str
    created_at: int
    polls: int = 0
    blocked: bool = False
    broken: bool = False
    link_expired: bool = False
    completed_at: int | None = None
    finished_long_ago: bool = False  # completed hours ago: past its expires_at

    @property
    def expires_at(self) -> int | None:
        return None if self.completed_at is None else self.completed_at + EXPIRES_AFTER

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def status(self, polls_to_finish: int) -> tuple[str, int]:
        if self.polls >= polls_to_finish:
            return ("failed", 0) if self.blocked or self.broken else ("completed", 100)
        if self.polls == 0:
            return "queued", 0
        return "in_progress", int(100 * self.polls / polls_to_finish)


@dataclass
class OpenAIVideosFake:
    """The fake's state: keys, jobs, what it received, and the faults to inject."""

    api_keys: set[str] = field(default_factory=lambda: {DEFAULT_KEY})
    polls_to_finish: int = 2
    poll_after_ms: int = 1000
    jobs: dict[str, VideoJob] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    create_requests: int = 0  # every POST /videos, refused or not
    faults: FaultPlan = field(default_factory=FaultPlan)

    def video(self, job: VideoJob) -> dict[str, Any]:
        status, progress = job.status(self.polls_to_finish)
        if status in ("completed", "failed") and job.completed_at is None:
            job.completed_at = int(time.time()) - (
                2 * EXPIRES_AFTER if job.finished_long_ago else 0
            )
        error = None
        if status == "failed" and job.broken:
            error = {"code": "internal_error", "message": "Video generation failed unexpectedly."}
        elif status == "failed":
            error = {
                "code": "moderation_blocked",
                "message": "Your request was blocked by our moderation system.",
            }
        return {
            "id": job.id,
            "object": "video",
            "model": job.model,
            "status": status,
            "progress": progress,
            "created_at": job.created_at,
            "completed_at": job.completed_at,
            "expires_at": job.expires_at if status == "completed" else None,
            "prompt": job.prompt,
            "size": job.size,
            "seconds": job.seconds,
            "remixed_from_video_id": None,
            "error": error,
        }


def _authorize(fake: OpenAIVideosFake, request: Request) -> None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise Refusal(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization "
            "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
            "field (with blank username) if you're accessing the API from your browser and are "
            "prompted for a username and password. You can obtain an API key from "
            "https://platform.openai.com/account/api-keys.",
        )
    key = header[7:].strip()
    if key not in fake.api_keys:
        masked = f"{key[:3]}{'*' * max(0, len(key) - 7)}{key[-4:]}" if len(key) > 8 else "***"
        raise Refusal(
            401,
            f"Incorrect API key provided: {masked}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )


def _state(request: Request) -> OpenAIVideosFake:
    fake: OpenAIVideosFake = request.app.state.fake
    return fake


async def _guarded(request: Request, route: str) -> Response | None:
    state = _state(request)
    _authorize(state, request)
    return await transport_fault(
        state.faults.take(route, ("rate_limit", "server_error", "slow", "drop")),
        lambda status, message: error_body(status, message),
    )


def _job_of(request: Request) -> VideoJob:
    jobs, video_id = _state(request).jobs, request.path_params["video_id"]
    if video_id not in jobs:
        raise Refusal(
            404, f"Video with id '{video_id}' not found.", param="video_id", code="video_not_found"
        )
    return jobs[video_id]


async def create(request: Request) -> Response:
    _state(request).create_requests += 1
    if (early := await _guarded(request, "create")) is not None:
        return early
    state = _state(request)
    accepted = validate_create(await create_fields(request))
    state.received.append(accepted)
    job = VideoJob(
        id=f"video_{secrets.token_hex(12)}",
        created_at=int(time.time()),
        model=accepted["model"],
        prompt=accepted["prompt"],
        seconds=accepted["seconds"],
        size=accepted["size"],
    )
    job.blocked = state.faults.take("create", ("safety",)) is not None
    job.broken = state.faults.take("create", ("failed",)) is not None
    job.finished_long_ago = state.faults.take("create", ("expire_now",)) is not None
    state.jobs[job.id] = job
    if state.faults.take("create", ("drop_reply",)) is not None:
        return dropped_reply(state.video(job))
    return JSONResponse(state.video(job))


async def retrieve(request: Request) -> Response:
    if (early := await _guarded(request, "retrieve")) is not None:
        return early
    job = _job_of(request)
    job.polls += 1
    job.link_expired = False
    headers = {"openai-poll-after-ms": str(_state(request).poll_after_ms)}
    return JSONResponse(_state(request).video(job), headers=headers)


async def list_videos(request: Request) -> Response:
    """``GET /videos``: the newest first with ``order=desc`` (openai-python ``videos.list``)."""
    if (early := await _guarded(request, "list")) is not None:
        return early
    state = _state(request)
    limit = int(request.query_params.get("limit", 20))
    newest_first = request.query_params.get("order", "desc") == "desc"
    jobs = sorted(state.jobs.values(), key=lambda j: j.created_at, reverse=newest_first)
    page = [state.video(job) for job in jobs[:limit]]
    return JSONResponse(
        {"object": "list", "data": page, "has_more": len(jobs) > limit,
         "first_id": page[0]["id"] if page else None, "last_id": page[-1]["id"] if page else None}
    )  # fmt: skip


async def content(request: Request) -> Response:
    if (early := await _guarded(request, "content")) is not None:
        return early
    state, job = _state(request), _job_of(request)
    for name in request.query_params:
        if name != "variant":
            raise Refusal(
                400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
            )
    variant = check_choice(
        "variant",
        request.query_params.get("variant", "video"),
        ("video", "thumbnail", "spritesheet"),
    )
    if job.status(state.polls_to_finish)[0] != "completed":
        raise Refusal(
            404, f"Video '{job.id}' is not ready; it has not completed.", code="video_not_ready"
        )
    if state.faults.take("content", ("expire",)) is not None:
        job.link_expired = True
    if job.link_expired:
        raise Refusal(
            404, "The video's content has expired; retrieve the video again.", code="video_expired"
        )
    if job.expired(time.time()):
        raise Refusal(404, f"The content of video '{job.id}' has expired.", code="video_expired")
    width, height = (int(n) for n in job.size.split("x"))
    if variant != "video":
        image = io.BytesIO()
        kind = "webp" if variant == "thumbnail" else "jpeg"
        Image.new("RGB", (width, height), (40, 40, 40)).save(image, format=kind)
        return Response(image.getvalue(), media_type=f"image/{kind}")
    clip = CLIPS.clip(width, height, int(job.seconds))
    if state.faults.take("content", ("truncate",)) is not None:
        return BrokenBody(clip[: len(clip) // 2], announced=len(clip), media_type="video/mp4")
    if state.faults.take("content", ("cut",)) is not None:
        return cut_clip(clip)
    return Response(clip, media_type="video/mp4")


async def delete(request: Request) -> Response:
    if (early := await _guarded(request, "delete")) is not None:
        return early
    job = _job_of(request)
    del _state(request).jobs[job.id]
    return JSONResponse({"id": job.id, "object": "video.deleted", "deleted": True})


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    return JSONResponse(exc.body, status_code=exc.status)


def create_app(fake: OpenAIVideosFake | None = None) -> Starlette:
    """The fake service as an ASGI app; its state is ``app.state.fake`` (tests may replace it)."""
    app = Starlette(
        routes=[
            Route("/v1/videos", create, methods=["POST"]),
            Route("/v1/videos", list_videos, methods=["GET"]),
            Route("/v1/videos/{video_id}", retrieve, methods=["GET"]),
            Route("/v1/videos/{video_id}", delete, methods=["DELETE"]),
            Route("/v1/videos/{video_id}/content", content, methods=["GET"]),
        ],
        exception_handlers={Refusal: _refused},
    )
    app.state.fake = fake or OpenAIVideosFake()
    app.router.routes.extend(faults_routes(lambda: app.state.fake.faults))
    return app


app = create_app()

if __name__ == "__main__":
    main_for(app, "OpenAI Videos", 8002)
