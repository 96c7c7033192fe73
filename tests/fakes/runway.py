"""A strict local fake of the Runway API (api.dev.runwayml.com, version 2024-11-06).

Speaks the contract of ``runwayml`` 5.24: ``POST /v1/image_to_video`` and ``/v1/text_to_video``
answer ``{"id", "estimatedCost"}``; ``GET /v1/tasks/{id}`` walks a task PENDING (or THROTTLED)
→ RUNNING with ``progress`` 0..1 → SUCCEEDED with ``output: [url]`` (or FAILED with ``failure``
and ``failureCode``, or CANCELLED), one step per read; ``DELETE /v1/tasks/{id}`` removes it.
Requests need ``Authorization: Bearer <key>`` (else 401) and ``X-Runway-Version: 2024-11-06``
(else 400); bodies are validated by :mod:`tests.fakes.runway_schema`. Output URLs are signed
links (``?_jwt=``) to a real MP4 of the requested ratio and duration.

Error wording the sources do not give is the fake's own: the 401 and missing-version messages,
the task failure sentences. Faults: see :class:`tests.fakes.fakekit.Faults`; a safety block
fails the task with ``SAFETY.INPUT.TEXT``, a bad output with ``INTERNAL.BAD_OUTPUT.CODE01``; an
expired URL answers 403 once and is replaced, so only a fresh read of the task gets a working one.

By hand: ``python -m tests.fakes.runway --port 8003`` (key: $RUNWAYML_API_SECRET or
``fake-runway-key``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes import runway_schema
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

API_VERSION = "2024-11-06"
DEFAULT_KEY = "fake-runway-key"
# Credits per second, from Runway's published API reference (gen4.5 12, gen4_turbo 5,
# veo3.1 20 without / 40 with audio, veo3.1_fast 10 / 15); the fake reports them as estimates.
CREDITS = {"gen4.5": (12, 12), "gen4_turbo": (5, 5), "veo3.1": (20, 40), "veo3.1_fast": (10, 15)}
# Lengths a model picks when the request names none; the SDK documents no defaults [unconfirmed].
DEFAULT_SECONDS = {"gen4.5": 5, "gen4_turbo": 5, "veo3.1": 8, "veo3.1_fast": 8}


def error(message: str) -> dict[str, Any]:
    return {"error": message}


@dataclass
class Task:
    """One generation task as the fake service tracks it."""

    id: str
    model: str
    width: int
    height: int
    seconds: int
    audio: bool
    outcome: str  # SUCCEEDED | FAILED:<code> | CANCELLED
    throttled: bool
    polls_to_finish: int
    created_at: str
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    reads: int = 0

    @property
    def credits(self) -> int:
        per_second = CREDITS[self.model][1 if self.audio else 0]
        return per_second * self.seconds


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _authorised(request: Request) -> Response | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer ") or header[7:] not in request.app.state.api_keys:
        return JSONResponse(error("Incorrect or missing API key."), status_code=401)
    if request.headers.get("x-runway-version") != API_VERSION:
        return JSONResponse(
            error(f"The X-Runway-Version header must be set to {API_VERSION}."), status_code=400
        )
    return None


def _outcome(faults: Faults) -> str:
    if faults.take("safety_blocks"):
        return "FAILED:SAFETY.INPUT.TEXT"
    if faults.take("bad_outputs"):
        return "FAILED:INTERNAL.BAD_OUTPUT.CODE01"
    if faults.take("cancellations"):
        return "CANCELLED"
    return "SUCCEEDED"


async def _create(request: Request, endpoint: str) -> Response:
    refused = _authorised(request)
    if refused is not None:
        return refused
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse(error("Request body must be valid JSON."), status_code=400)
    request.app.state.requests.append((endpoint, body))
    issues = runway_schema.validate(endpoint, body)
    if issues:
        return JSONResponse(runway_schema.rejection(issues), status_code=400)
    faults: Faults = request.app.state.faults
    model = body["model"]
    width, height = (int(side) for side in body["ratio"].split(":"))
    task = Task(
        id=str(uuid.uuid4()),
        model=model,
        width=width,
        height=height,
        seconds=int(body.get("duration", DEFAULT_SECONDS[model])),
        audio=bool(body.get("audio", False)),
        outcome=_outcome(faults),
        throttled=faults.take("throttled"),
        polls_to_finish=max(1, faults.polls_to_finish),
        created_at=_now(),
    )
    request.app.state.tasks[task.id] = task
    return reply(request, {"id": task.id, "estimatedCost": {"credits": task.credits}})


async def image_to_video(request: Request) -> Response:
    return await _create(request, "image_to_video")


async def text_to_video(request: Request) -> Response:
    return await _create(request, "text_to_video")


def _task_view(request: Request, task: Task) -> dict[str, Any]:
    view: dict[str, Any] = {"id": task.id, "createdAt": task.created_at}
    if task.reads < task.polls_to_finish:
        estimate = {"estimatedCost": {"credits": task.credits}}
        if task.reads <= 1:
            return {**view, "status": "THROTTLED" if task.throttled else "PENDING", **estimate}
        progress = round((task.reads - 1) / (task.polls_to_finish - 1), 2)
        return {**view, "status": "RUNNING", "progress": progress, **estimate}
    if task.outcome == "SUCCEEDED":
        url = f"{request.base_url}media/{task.id}.mp4?_jwt={task.token}"
        return {**view, "status": "SUCCEEDED", "output": [url], "cost": {"credits": task.credits}}
    if task.outcome == "CANCELLED":
        return {**view, "status": "CANCELLED", "cost": {"credits": 0}}
    code = task.outcome.split(":", 1)[1]
    failure = (
        "The input text was flagged by content moderation."
        if code.startswith("SAFETY")
        else "The model produced an unusable output."
    )
    return {**view, "status": "FAILED", "failure": failure, "failureCode": code,
            "cost": {"credits": 0}}  # fmt: skip


async def task_endpoint(request: Request) -> Response:
    refused = _authorised(request)
    if refused is not None:
        return refused
    task = request.app.state.tasks.get(request.path_params["task_id"])
    if task is None:
        return JSONResponse(error("Could not find Task"), status_code=404)
    if request.method == "DELETE":
        del request.app.state.tasks[task.id]
        return Response(status_code=204)
    if (limited := poll_fault(request, error)) is not None:
        return limited
    task.reads += 1
    return JSONResponse(_task_view(request, task))


async def media(request: Request) -> Response:
    """The signed output link: 403 when the token is stale or an expiry fault is spent."""
    request.app.state.media_requests.append(dict(request.headers))
    task = request.app.state.tasks.get(request.path_params["task_id"])
    faults: Faults = request.app.state.faults
    if task is None or request.query_params.get("_jwt") != task.token:
        return Response("AccessDenied", status_code=403, media_type="text/plain")
    if faults.take("expired_urls"):
        task.token = secrets.token_hex(8)
        return Response("AccessDenied", status_code=403, media_type="text/plain")
    data = await asyncio.to_thread(clip_bytes, task.width, task.height, task.seconds, task.audio)
    return clip_response(
        data, truncated=faults.take("truncated_downloads"), cut=faults.take("cut_downloads")
    )


def create_app(api_key: str = DEFAULT_KEY, faults: Faults | None = None) -> Starlette:
    """The fake Runway service.

    ``app.state`` holds ``faults``, ``tasks``, ``requests`` (endpoint, body) as received, and
    ``media_requests`` (the headers of every output download).
    """
    app = Starlette(
        routes=[
            Route("/v1/image_to_video", guarded(image_to_video, error), methods=["POST"]),
            Route("/v1/text_to_video", guarded(text_to_video, error), methods=["POST"]),
            Route("/v1/tasks/{task_id}", guarded(task_endpoint, error), methods=["GET", "DELETE"]),
            Route("/media/{task_id}.mp4", media, methods=["GET"]),
            Route("/__fake__/faults", faults_endpoint, methods=["GET", "POST"]),
        ]
    )
    app.state.api_keys = {api_key}
    app.state.faults = faults or Faults()
    app.state.tasks = {}
    app.state.requests = []
    app.state.media_requests = []
    return app


if __name__ == "__main__":
    main_for(create_app(os.environ.get("RUNWAYML_API_SECRET", DEFAULT_KEY)), "Runway", 8003)
