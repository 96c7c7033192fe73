"""A strict local fake of the Luma Dream Machine API (api.lumalabs.ai/dream-machine/v1).

Speaks the contract of ``lumaai`` 1.21 and lumalabs/lumaai-api ``openapi.yaml`` (1.1.0):
``POST /generations/video`` answers 201 with a Generation; ``GET /generations/{id}`` walks it
queued → dreaming → completed with ``assets.video`` (or failed with ``failure_reason``), one step
per read; ``DELETE`` removes it; ``GET /generations`` lists. Errors are ``{"detail": "..."}``
(the OpenAPI ``Error``), 401 for a missing or wrong Bearer key.

Strictness, beyond the schema's types and enums: ``model`` is required; keys the schema does
not name are refused (a typo must not pass silently); ``resolution`` and ``duration`` must be
the documented values although the schema also admits any string; a keyframe image must be an
http(s) URL — Luma's docs say hosted URLs are "the only way to pass an image", so data URIs are
refused — and the fake fetches it, failing the generation if it is not an image; a generation
keyframe must name a completed generation. The 400 and failure wordings are the fake's own.

Output pixel sizes are the fake's reading of aspect ratio × resolution (short side 540/720/
1080/2160), which Luma does not document. ``/__fake__/cdn/{name}`` (PUT, GET) stands in for
the team's own image host. By hand: ``python -m tests.fakes.luma --port 8004`` (key:
$LUMAAI_API_KEY or ``fake-luma-key``).
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
from PIL import Image, UnidentifiedImageError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.fakekit import (
    Faults,
    clip_bytes,
    clip_response,
    faults_endpoint,
    guarded,
    poll_fault,
    reply,
)
from tests.fakes.serve import main_for

DEFAULT_KEY = "fake-luma-key"
MODELS = ("ray-2", "ray-flash-2")
ASPECTS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
SHORT_SIDE = {"540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}
DURATIONS = {"5s": 5, "9s": 9}
FIELDS = {"model", "prompt", "aspect_ratio", "resolution", "duration", "keyframes", "loop",
          "callback_url", "concepts", "generation_type"}  # fmt: skip
MODERATION_REASON = "Prompt not allowed because advanced moderation failed"
INTERNAL_REASON = "Generation failed due to an internal error, please try again"


def detail(message: str) -> dict[str, Any]:
    return {"detail": message}


@dataclass
class Generation:
    """One video generation as the fake service tracks it."""

    id: str
    request: dict[str, Any]
    width: int
    height: int
    seconds: int
    failure: str | None
    polls_to_finish: int
    created_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    )
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    reads: int = 0

    @property
    def state(self) -> str:
        if self.reads < self.polls_to_finish:
            return "queued" if self.reads <= 1 else "dreaming"
        return "failed" if self.failure else "completed"


def pixel_size(aspect: str, resolution: str) -> tuple[int, int]:
    """Frame size for an aspect ratio at a resolution: the short side is the resolution."""
    across, down = (int(part) for part in aspect.split(":"))
    short = SHORT_SIDE[resolution]
    if across >= down:
        return (round(short * across / down / 2) * 2, short)
    return (short, round(short * down / across / 2) * 2)


def _authorised(request: Request) -> Response | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer ") or header[7:] not in request.app.state.api_keys:
        return JSONResponse(detail("Invalid API key is provided"), status_code=401)
    return None


def _keyframe_problem(name: str, frame: Any, generations: dict[str, Generation]) -> str | None:
    if not isinstance(frame, dict) or frame.get("type") not in ("image", "generation"):
        return f"keyframes.{name} must be an object with type 'image' or 'generation'"
    wanted = {"type", "url"} if frame["type"] == "image" else {"type", "id"}
    if set(frame) != wanted:
        return f"keyframes.{name} of type {frame['type']} takes exactly {sorted(wanted)}"
    if frame["type"] == "generation":
        earlier = generations.get(frame["id"]) if isinstance(frame["id"], str) else None
        if earlier is None or earlier.state != "completed":
            return f"keyframes.{name}: generation {frame['id']!r} is not a completed generation"
        return None
    url = frame["url"]
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return f"keyframes.{name}.url must be an http(s) URL of a hosted image"
    return None


def _problem(body: Any, generations: dict[str, Generation]) -> str | None:
    """The first reason to refuse ``body`` as a video generation request, or None."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        return f"Unknown field(s) {unknown}; allowed: {sorted(FIELDS)}"
    checks: list[tuple[str, Any, tuple[Any, ...] | type]] = [
        ("model", body.get("model"), MODELS),
        ("aspect_ratio", body.get("aspect_ratio", "16:9"), ASPECTS),
        ("resolution", body.get("resolution", "720p"), tuple(SHORT_SIDE)),
        ("duration", body.get("duration", "5s"), tuple(DURATIONS)),
        ("generation_type", body.get("generation_type", "video"), ("video",)),
        ("prompt", body.get("prompt", ""), str),
        ("callback_url", body.get("callback_url", ""), str),
        ("loop", body.get("loop", False), bool),
        ("concepts", body.get("concepts", []), list),
    ]
    for name, value, allowed in checks:
        if isinstance(allowed, type):
            if not isinstance(value, allowed):
                return f"{name} must be of type {allowed.__name__}"
        elif not isinstance(value, str) or value not in allowed:
            return f"{name} must be one of {list(allowed)}, got {value!r}"
    keyframes = body.get("keyframes", {})
    if not isinstance(keyframes, dict) or set(keyframes) - {"frame0", "frame1"}:
        return "keyframes must be an object with frame0 and/or frame1"
    for name, frame in keyframes.items():
        problem = _keyframe_problem(name, frame, generations)
        if problem:
            return problem
    return None


async def _unfetchable_image(body: dict[str, Any]) -> str | None:
    """Fetch every image keyframe as Luma would; the reason the first one fails, if any."""
    async with httpx.AsyncClient(timeout=5) as client:
        for name, frame in body.get("keyframes", {}).items():
            if frame["type"] != "image":
                continue
            try:
                answer = await client.get(frame["url"])
                answer.raise_for_status()
                with Image.open(io.BytesIO(answer.content)) as image:
                    image.verify()
            except (httpx.HTTPError, UnidentifiedImageError, OSError):
                return f"Failed to read the {name} image from {frame['url']}"
    return None


async def create(request: Request) -> Response:
    refused = _authorised(request)
    if refused is not None:
        return refused
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse(detail("Request body must be valid JSON"), status_code=400)
    state = request.app.state
    state.requests.append(body)
    problem = _problem(body, state.generations)
    if problem:
        return JSONResponse(detail(problem), status_code=400)
    faults: Faults = state.faults
    failure = await _unfetchable_image(body)
    if failure is None and faults.take("safety_blocks"):
        failure = MODERATION_REASON
    if failure is None and faults.take("bad_outputs"):
        failure = INTERNAL_REASON
    width, height = pixel_size(body.get("aspect_ratio", "16:9"), body.get("resolution", "720p"))
    generation = Generation(
        id=str(uuid.uuid4()),
        request=body,
        width=width,
        height=height,
        seconds=DURATIONS[body.get("duration", "5s")],
        failure=failure,
        polls_to_finish=max(1, faults.polls_to_finish),
    )
    state.generations[generation.id] = generation
    return reply(request, _view(request, generation), status=201)


def _view(request: Request, generation: Generation) -> dict[str, Any]:
    state = generation.state
    assets = None
    if state == "completed":
        assets = {"video": f"{request.base_url}media/{generation.id}.mp4?token={generation.token}"}
    return {
        "id": generation.id,
        "generation_type": "video",
        "state": state,
        "failure_reason": generation.failure if state == "failed" else None,
        "created_at": generation.created_at,
        "assets": assets,
        "model": generation.request["model"],
        "request": generation.request,
    }


async def generation_endpoint(request: Request) -> Response:
    refused = _authorised(request)
    if refused is not None:
        return refused
    generations: dict[str, Generation] = request.app.state.generations
    generation = generations.get(request.path_params["generation_id"])
    if generation is None:
        return JSONResponse(detail("Generation not found"), status_code=404)
    if request.method == "DELETE":
        del generations[generation.id]
        return Response(status_code=204)
    if (limited := poll_fault(request, detail)) is not None:
        return limited
    generation.reads += 1
    return JSONResponse(_view(request, generation))


async def list_generations(request: Request) -> Response:
    refused = _authorised(request)
    if refused is not None:
        return refused
    limit = int(request.query_params.get("limit", 100))
    offset = int(request.query_params.get("offset", 0))
    every = list(request.app.state.generations.values())
    page = [_view(request, g) for g in every[offset : offset + limit]]
    has_more = offset + limit < len(every)
    return JSONResponse(
        {"generations": page, "count": len(page), "has_more": has_more, "limit": limit,
         "offset": offset}
    )  # fmt: skip


async def media(request: Request) -> Response:
    """The asset link: 403 when the token is stale or an expiry fault is spent."""
    request.app.state.media_requests.append(dict(request.headers))
    generation = request.app.state.generations.get(request.path_params["generation_id"])
    faults: Faults = request.app.state.faults
    if generation is None or request.query_params.get("token") != generation.token:
        return Response("AccessDenied", status_code=403, media_type="text/plain")
    if faults.take("expired_urls"):
        generation.token = secrets.token_hex(8)
        return Response("AccessDenied", status_code=403, media_type="text/plain")
    size = (generation.width, generation.height)
    data = await asyncio.to_thread(clip_bytes, *size, generation.seconds)
    return clip_response(
        data, truncated=faults.take("truncated_downloads"), cut=faults.take("cut_downloads")
    )


async def cdn(request: Request) -> Response:
    """A stand-in for the team's own image host: PUT stores a file, GET serves it."""
    files: dict[str, tuple[bytes, str]] = request.app.state.cdn
    name = request.path_params["name"]
    if request.method == "PUT":
        files[name] = (await request.body(), request.headers.get("content-type", "image/png"))
        return Response(status_code=201)
    if name not in files:
        return Response("NoSuchKey", status_code=404, media_type="text/plain")
    data, media_type = files[name]
    return Response(data, media_type=media_type)


def create_app(api_key: str = DEFAULT_KEY, faults: Faults | None = None) -> Starlette:
    """The fake Luma service.

    ``app.state`` holds ``faults``, ``generations``, ``requests`` (bodies as received),
    ``media_requests`` (headers of every asset download) and ``cdn`` (hosted images).
    """
    app = Starlette(
        routes=[
            Route("/generations/video", guarded(create, detail), methods=["POST"]),
            Route("/generations", guarded(list_generations, detail), methods=["GET"]),
            Route(
                "/generations/{generation_id}",
                guarded(generation_endpoint, detail),
                methods=["GET", "DELETE"],
            ),
            Route("/media/{generation_id}.mp4", media, methods=["GET"]),
            Route("/__fake__/cdn/{name}", cdn, methods=["GET", "PUT"]),
            Route("/__fake__/faults", faults_endpoint, methods=["GET", "POST"]),
        ]
    )
    app.state.api_keys = {api_key}
    app.state.faults = faults or Faults()
    app.state.generations = {}
    app.state.requests = []
    app.state.media_requests = []
    app.state.cdn = {}
    return app


if __name__ == "__main__":
    main_for(create_app(os.environ.get("LUMAAI_API_KEY", DEFAULT_KEY)), "Luma", 8004)
