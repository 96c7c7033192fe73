"""A strict local fake of the OpenAI Videos API (Sora 2), per openai-python's ``videos`` resource.

``POST /v1/videos`` takes multipart form data (or JSON) with ``prompt``, ``model``, ``seconds``
(a *string*: "4", "8", "12"), ``size`` and an optional ``input_reference`` image that must match
``size`` exactly; anything else is refused with OpenAI's ``{"error": {...}}`` body.
``GET /v1/videos/{id}`` walks a job queued → in_progress (with progress) → completed or failed,
with an ``openai-poll-after-ms`` header; ``GET /v1/videos/{id}/content`` serves a real MP4 of the
requested size and length. Faults (see :mod:`tests.fakes.generated_media`) are queued per route:
``create``, ``retrieve``, ``content``, ``delete``.

Where the SDK is silent the fake follows secondary sources: a moderation block ends the job
``failed`` with ``error.code`` ``moderation_blocked``; a reference of the wrong size is refused
with "Inpaint image must match the requested width and height"; 1024x1792 and 1792x1024 are
``sora-2-pro`` only.

By hand: ``python -m tests.fakes.openai_videos --port 8002``, key ``sk-fake-previz``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.generated_media import CLIPS, BrokenBody, FaultPlan, faults_routes, transport_fault
from tests.fakes.serve import main_for

MODELS = ("sora-2", "sora-2-pro", "sora-2-2025-10-06", "sora-2-pro-2025-10-06", "sora-2-2025-12-08")
SECONDS = ("4", "8", "12")
SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
PRO_ONLY_SIZES = ("1024x1792", "1792x1024")
CREATE_FIELDS = ("prompt", "model", "seconds", "size", "input_reference")
REFERENCE_FIELDS = ("input_reference[image_url]", "input_reference[file_id]")
PROMPT_LIMIT = 32_000
DEFAULT_KEY = "sk-fake-previz"


class Refusal(Exception):
    """A request the real service refuses; carries OpenAI's error body."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.status = status
        self.body = error_body(status, message, param=param, code=code)


def error_body(
    status: int, message: str, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    if status == 429:
        kind, code = "requests", code or "rate_limit_exceeded"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


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
    faults: FaultPlan = field(default_factory=FaultPlan)

    def video(self, job: VideoJob) -> dict[str, Any]:
        status, progress = job.status(self.polls_to_finish)
        if status in ("completed", "failed") and job.completed_at is None:
            job.completed_at = int(time.time())
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
            "expires_at": job.completed_at + 3600
            if status == "completed" and job.completed_at
            else None,
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


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        kind = type(value).__name__.replace("int", "an integer").replace("float", "a decimal")
        raise Refusal(
            400,
            f"Invalid type for '{name}': expected one of {', '.join(map(repr, allowed))}, "
            f"but got {kind} instead.",
            param=name,
            code="invalid_type",
        )
    if value not in allowed:
        raise Refusal(
            400,
            f"Invalid value: '{value}'. Supported values are: {', '.join(map(repr, allowed))}.",
            param=name,
            code="invalid_value",
        )
    return value


def _reference_image(data: bytes, size: str) -> dict[str, Any]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            fmt, dims = (image.format or "").upper(), image.size
    except (OSError, UnidentifiedImageError):
        raise Refusal(
            400,
            "Invalid file format. Supported formats are: jpeg, png, webp.",
            param="input_reference",
            code="invalid_value",
        ) from None
    if fmt not in ("JPEG", "PNG", "WEBP"):
        raise Refusal(
            400,
            f"Unsupported image format {fmt.lower()}; use jpeg, png or webp.",
            param="input_reference",
            code="invalid_value",
        )
    width, height = (int(n) for n in size.split("x"))
    if dims != (width, height):
        raise Refusal(
            400,
            "Inpaint image must match the requested width and height",
            param="input_reference",
            code="invalid_value",
        )
    return {"format": fmt.lower(), "width": dims[0], "height": dims[1], "bytes": len(data)}


def _reference_object(value: object, size: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - {"image_url", "file_id"} or len(value) != 1:
        raise Refusal(
            400,
            "Invalid 'input_reference': expected an image file or exactly one of "
            "'image_url' or 'file_id'.",
            param="input_reference",
            code="invalid_type",
        )
    if "file_id" in value:
        raise Refusal(404, f"No such File object: {value['file_id']}", param="input_reference")
    url = value["image_url"]
    if not isinstance(url, str) or not url.startswith("data:image/") or ";base64," not in url:
        raise Refusal(
            400,
            "This fake accepts 'image_url' only as a base64 data URL (it has no network).",
            param="input_reference[image_url]",
            code="invalid_value",
        )
    try:
        data = base64.b64decode(url.split(";base64,", 1)[1], validate=True)
    except binascii.Error:
        raise Refusal(400, "Invalid base64 image data.", param="input_reference") from None
    return _reference_image(data, size)


async def _create_fields(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise Refusal(400, "We could not parse the JSON body of your request.") from None
        if not isinstance(body, dict):
            raise Refusal(400, "The request body must be a JSON object.")
        return body
    if not content_type.startswith("multipart/form-data"):
        raise Refusal(400, f"Unsupported content type: '{content_type or 'none'}'.")
    fields: dict[str, Any] = {}
    async with request.form() as form:
        for name, value in form.multi_items():
            if name in REFERENCE_FIELDS:
                fields.setdefault("input_reference", {})[name[16:-1]] = value
            elif "[" in name:
                base = name.split("[", 1)[0]
                if base not in CREATE_FIELDS:
                    raise Refusal(
                        400, f"Unknown parameter: '{base}'.", param=base, code="unknown_parameter"
                    )
                raise Refusal(400, f"Invalid type for '{base}'.", param=base, code="invalid_type")
            elif isinstance(value, UploadFile):
                fields[name] = ("file", await value.read())
            else:
                fields[name] = value
    return fields


def _validate_create(fields: dict[str, Any]) -> dict[str, Any]:
    for name in fields:
        if name not in CREATE_FIELDS:
            raise Refusal(
                400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
            )
    prompt = fields.get("prompt")
    if prompt is None:
        raise Refusal(
            400,
            "Missing required parameter: 'prompt'.",
            param="prompt",
            code="missing_required_parameter",
        )
    if not isinstance(prompt, str):
        raise Refusal(
            400,
            "Invalid type for 'prompt': expected a string.",
            param="prompt",
            code="invalid_type",
        )
    if not 1 <= len(prompt) <= PROMPT_LIMIT:
        code = "string_below_min_length" if not prompt else "string_above_max_length"
        raise Refusal(
            400,
            f"Invalid 'prompt': string length must be between 1 and {PROMPT_LIMIT}.",
            param="prompt",
            code=code,
        )
    model = _check_choice("model", fields.get("model", "sora-2"), MODELS)
    seconds = _check_choice("seconds", fields.get("seconds", "4"), SECONDS)
    size = _check_choice("size", fields.get("size", "720x1280"), SIZES)
    if size in PRO_ONLY_SIZES and not model.startswith("sora-2-pro"):
        raise Refusal(
            400,
            f"Invalid value: '{size}'. Size {size} is only supported by sora-2-pro.",
            param="size",
            code="invalid_value",
        )
    reference: dict[str, Any] | None = None
    if "input_reference" in fields:
        value = fields["input_reference"]
        if isinstance(value, tuple):
            reference = _reference_image(value[1], size)
        elif isinstance(value, str):
            raise Refusal(
                400,
                "Invalid type for 'input_reference': expected a file, but got a string instead.",
                param="input_reference",
                code="invalid_type",
            )
        else:
            reference = _reference_object(value, size)
    return {
        "prompt": prompt,
        "model": model,
        "seconds": seconds,
        "size": size,
        "input_reference": reference,
    }


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
    if (early := await _guarded(request, "create")) is not None:
        return early
    state = _state(request)
    accepted = _validate_create(await _create_fields(request))
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
    state.jobs[job.id] = job
    return JSONResponse(state.video(job))


async def retrieve(request: Request) -> Response:
    if (early := await _guarded(request, "retrieve")) is not None:
        return early
    job = _job_of(request)
    job.polls += 1
    job.link_expired = False
    headers = {"openai-poll-after-ms": str(_state(request).poll_after_ms)}
    return JSONResponse(_state(request).video(job), headers=headers)


async def content(request: Request) -> Response:
    if (early := await _guarded(request, "content")) is not None:
        return early
    state, job = _state(request), _job_of(request)
    for name in request.query_params:
        if name != "variant":
            raise Refusal(
                400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
            )
    variant = _check_choice(
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
    width, height = (int(n) for n in job.size.split("x"))
    if variant != "video":
        image = io.BytesIO()
        kind = "webp" if variant == "thumbnail" else "jpeg"
        Image.new("RGB", (width, height), (40, 40, 40)).save(image, format=kind)
        return Response(image.getvalue(), media_type=f"image/{kind}")
    clip = CLIPS.clip(width, height, int(job.seconds))
    if state.faults.take("content", ("truncate",)) is not None:
        return BrokenBody(clip[: len(clip) // 2], announced=len(clip), media_type="video/mp4")
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
