"""What the Runway and Luma fakes share: injected faults, real MP4 clips, and broken responses.

A fake service must fail the way the real one does, on demand. :class:`Faults` is a plain object
on ``app.state.faults`` that tests set directly (``app.state.faults.rate_limits = 1``) and people
set by hand with ``POST /__fake__/faults`` and a JSON object of the same fields. Each counter
is spent by the next matching event, so "one 429, then normal service" is ``rate_limits=1``.

Clips are real H.264 MP4 files of the requested size and length (lavfi ``testsrc``, ultrafast),
rendered once per (width, height, seconds, audio) with the ffmpeg that ``imageio-ffmpeg`` ships.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import subprocess
import tempfile
import threading
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import imageio_ffmpeg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

ErrorBody = Callable[[str], dict[str, Any]]


@dataclasses.dataclass
class Faults:
    """Failures the fake injects; counters count down as they are spent.

    API faults (``rate_limits``, ``server_errors``, ``dropped``, ``delay``) hit the service's API
    routes, never ``/__fake__`` or the media downloads. ``dropped_replies`` creates the next job
    and then drops the connection mid-reply (the client never learns the id: the job exists and
    will be billed). ``poll_rate_limits`` answers the next status reads 429 (a burst while
    polling). Job faults (``safety_blocks``, ``bad_outputs``, ``cancellations``, ``throttled``)
    mark the next created jobs. Download faults hit the next finished jobs' media links:
    ``truncated_downloads`` announces the whole length and sends half, ``cut_downloads`` sends
    two thirds with a ``Content-Length`` that matches (the transfer looks complete),
    ``expired_urls`` answers 403. ``polls_to_finish`` is how many status reads a job takes to
    reach its end state.
    """

    rate_limits: int = 0
    retry_after: float = 2.0
    server_errors: int = 0
    dropped: int = 0
    dropped_replies: int = 0
    poll_rate_limits: int = 0
    delay: float = 0.0
    safety_blocks: int = 0
    bad_outputs: int = 0
    cancellations: int = 0
    throttled: int = 0
    truncated_downloads: int = 0
    cut_downloads: int = 0
    expired_urls: int = 0
    polls_to_finish: int = 3
    _lock: threading.Lock = dataclasses.field(
        default_factory=threading.Lock, repr=False, compare=False
    )

    def take(self, name: str) -> bool:
        """Spend one of the counter ``name`` if any is left; True when it was spent."""
        with self._lock:
            left = int(getattr(self, name))
            if left <= 0:
                return False
            setattr(self, name, left - 1)
            return True

    def update(self, values: Mapping[str, Any]) -> list[str]:
        """Set fields from ``values``; returns the names that are not fault fields."""
        known = {f.name for f in dataclasses.fields(self) if not f.name.startswith("_")}
        unknown = sorted(set(values) - known)
        if not unknown:
            for name, value in values.items():
                setattr(self, name, type(getattr(self, name))(value))
        return unknown

    def as_dict(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if not f.name.startswith("_")
        }


async def faults_endpoint(request: Request) -> Response:
    """``GET`` shows the faults, ``POST`` a JSON object sets them (``/__fake__/faults``)."""
    faults: Faults = request.app.state.faults
    if request.method == "POST":
        try:
            values = await request.json()
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        if not isinstance(values, dict):
            return JSONResponse({"error": "send a JSON object of fault fields"}, status_code=400)
        unknown = faults.update(values)
        if unknown:
            return JSONResponse(
                {"error": f"unknown fault fields {unknown}", "fields": faults.as_dict()},
                status_code=400,
            )
    return JSONResponse(faults.as_dict())


class DroppedResponse(Response):
    """Announces a body it never finishes sending: the client sees the connection drop."""

    def __init__(self, body: bytes, announced: int, media_type: str) -> None:
        super().__init__(content=b"", media_type=media_type)
        self.partial = body
        self.headers["content-length"] = str(announced)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        # more_body=True and then returning makes the server close the connection mid-body.
        await send({"type": "http.response.body", "body": self.partial, "more_body": True})


async def api_faults(request: Request, error_body: ErrorBody) -> Response | None:
    """The injected answer for an API request (429, 500, dropped) or None to serve it."""
    faults: Faults = request.app.state.faults
    if faults.delay > 0:
        await asyncio.sleep(faults.delay)
    if faults.take("rate_limits"):
        return JSONResponse(
            error_body("You have exceeded the rate limit. Please slow down."),
            status_code=429,
            headers={"Retry-After": f"{faults.retry_after:g}"},
        )
    if faults.take("server_errors"):
        return JSONResponse(error_body("Internal server error"), status_code=500)
    if faults.take("dropped"):
        return DroppedResponse(b'{"id": "', announced=512, media_type="application/json")
    return None


def reply(request: Request, payload: dict[str, Any], status: int = 200) -> Response:
    """The job's answer — or, with ``dropped_replies`` spent, its first bytes and a dropped
    connection: the job exists on the service, the client never learns its id."""
    faults: Faults = request.app.state.faults
    if faults.take("dropped_replies"):
        body = JSONResponse(payload).body
        return DroppedResponse(body[:12], announced=len(body), media_type="application/json")
    return JSONResponse(payload, status_code=status)


def poll_fault(request: Request, error_body: ErrorBody) -> Response | None:
    """A 429 with ``Retry-After`` for a status read while ``poll_rate_limits`` lasts."""
    faults: Faults = request.app.state.faults
    if faults.take("poll_rate_limits"):
        return JSONResponse(
            error_body("You have exceeded the rate limit. Please slow down."),
            status_code=429,
            headers={"Retry-After": f"{faults.retry_after:g}"},
        )
    return None


def guarded(
    handler: Callable[[Request], Awaitable[Response]], error_body: ErrorBody
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an API route so injected faults answer before it runs."""

    @functools.wraps(handler)
    async def route(request: Request) -> Response:
        injected = await api_faults(request, error_body)
        return injected if injected is not None else await handler(request)

    return route


@functools.lru_cache(maxsize=32)
def clip_bytes(width: int, height: int, seconds: float, audio: bool = False) -> bytes:
    """A real MP4 clip: ``testsrc`` at ``width``x``height``, 24 fps, ``seconds`` long."""
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size={width}x{height}:rate=24:duration={seconds:g}",
    ]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds:g}"]
        command += ["-c:a", "aac", "-shortest"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    with tempfile.TemporaryDirectory(prefix="previz-fake-clip-") as folder:
        target = Path(folder) / "clip.mp4"
        command += ["-movflags", "+faststart", "-y", str(target)]
        subprocess.run(command, check=True, capture_output=True)
        return target.read_bytes()


def clip_response(data: bytes, truncated: bool, cut: bool = False) -> Response:
    """The clip as ``video/mp4``; truncated = full Content-Length, half the bytes, then close;
    cut = two thirds of the bytes with a Content-Length that matches them."""
    if truncated:
        return DroppedResponse(data[: len(data) // 2], announced=len(data), media_type="video/mp4")
    if cut:
        return Response(content=data[: len(data) * 2 // 3], media_type="video/mp4")
    return Response(content=data, media_type="video/mp4")
