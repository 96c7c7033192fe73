"""A fake of "Dreamboard", the made-up job API the README's remote backend example talks to.

``POST /v1/clips`` with ``{model, prompt, seconds, size}`` creates a clip job and answers
``{id, state}``; ``GET /v1/clips/{id}`` walks ``queued`` → ``running`` → ``done`` (with a
``video_url``) or ``failed`` (with ``error: {code, message}``). Bearer auth with one key.
Faults are :class:`tests.fakes.fakekit.Faults` counters, as for the Runway and Luma fakes.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

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

DEFAULT_KEY = "db-" + "c0ffee" * 6


def error(message: str, code: str = "invalid_request") -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@dataclass
class Clip:
    id: str
    width: int
    height: int
    seconds: float
    failure: tuple[str, str] | None
    polls_to_finish: int
    reads: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(8))


def _refused(request: Request) -> Response | None:
    if request.headers.get("authorization") != f"Bearer {request.app.state.api_key}":
        return JSONResponse(error("invalid API key", "unauthorized"), status_code=401)
    return None


async def create(request: Request) -> Response:
    if (refused := _refused(request)) is not None:
        return refused
    body = await request.json()
    width, _, height = str(body.get("size", "")).partition("x")
    if body.get("seconds") not in (4, 8) or (width, height) != ("1280", "720"):
        return JSONResponse(error("seconds must be 4 or 8 and size 1280x720"), status_code=400)
    faults: Faults = request.app.state.faults
    failure = None
    if faults.take("safety_blocks"):
        failure = ("moderation_blocked", "The prompt was blocked by moderation.")
    elif faults.take("bad_outputs"):
        failure = ("internal_error", "The render crashed.")
    clip = Clip(secrets.token_hex(6), int(width), int(height), float(body["seconds"]), failure,
                max(1, faults.polls_to_finish))  # fmt: skip
    request.app.state.clips[clip.id] = clip
    return reply(request, {"id": clip.id, "state": "queued"}, status=201)


async def read(request: Request) -> Response:
    if (refused := _refused(request)) is not None:
        return refused
    clip = request.app.state.clips.get(request.path_params["clip_id"])
    if clip is None:
        return JSONResponse(error("no such clip", "not_found"), status_code=404)
    if (limited := poll_fault(request, error)) is not None:
        return limited
    clip.reads += 1
    view: dict[str, Any] = {"id": clip.id, "state": "running" if clip.reads > 1 else "queued"}
    if clip.reads >= clip.polls_to_finish and clip.failure:
        view = {"id": clip.id, "state": "failed",
                "error": {"code": clip.failure[0], "message": clip.failure[1]}}  # fmt: skip
    elif clip.reads >= clip.polls_to_finish:
        url = f"{request.base_url}media/{clip.id}.mp4?token={clip.token}"
        view = {"id": clip.id, "state": "done", "video_url": url}
    return JSONResponse(view)


async def media(request: Request) -> Response:
    clip = request.app.state.clips.get(request.path_params["clip_id"])
    faults: Faults = request.app.state.faults
    if clip is None or request.query_params.get("token") != clip.token:
        return Response("expired", status_code=403)
    if faults.take("expired_urls"):
        clip.token = secrets.token_hex(8)
        return Response("expired", status_code=403)
    data = await asyncio.to_thread(clip_bytes, clip.width, clip.height, clip.seconds)
    return clip_response(
        data, truncated=faults.take("truncated_downloads"), cut=faults.take("cut_downloads")
    )


def create_app(api_key: str = DEFAULT_KEY) -> Starlette:
    """The fake Dreamboard service; ``app.state`` holds ``faults`` and ``clips``."""
    app = Starlette(
        routes=[
            Route("/v1/clips", guarded(create, error), methods=["POST"]),
            Route("/v1/clips/{clip_id}", guarded(read, error), methods=["GET"]),
            Route("/media/{clip_id}.mp4", media, methods=["GET"]),
            Route("/__fake__/faults", faults_endpoint, methods=["GET", "POST"]),
        ]
    )
    app.state.api_key, app.state.faults, app.state.clips = api_key, Faults(), {}
    return app
