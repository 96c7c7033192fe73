"""What the video-service fakes share: real clips to serve, and faults to inject on demand.

A fake service must hand out real media so a backend's download checks mean something: clips
are rendered with ffmpeg (lavfi colour plus a tone, ultrafast) at the size and length the
request asked for, once per (size, length) per process. Faults are queued on a
:class:`FaultPlan` (``app.state.faults``) by tests, or by hand with
``POST /__fake__/faults {"route": "...", "kind": "...", "times": 1, ...}``; each request to a
route takes the next fault queued for it. Transport faults (429 with ``Retry-After``, 5xx, slow
answers, connections dropped mid-body, bodies shorter than their ``Content-Length``) are
answered here; service faults (safety blocks, expired links) are the fakes' own business.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio_ffmpeg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

FAULT_KINDS = (
    "rate_limit",  # 429 with Retry-After
    "server_error",  # a 5xx (``status``, default 500)
    "slow",  # wait ``seconds`` before answering normally
    "drop",  # start the answer, then close the connection mid-body
    "truncate",  # announce the whole Content-Length, send part of it, close
    "cut",  # send two thirds of the clip with a Content-Length that matches (looks complete)
    "drop_reply",  # do the work (create the job), then drop the connection mid-reply
    "expire",  # the clip's download link answers 403/404 until the job is fetched again
    "expire_now",  # the job finished long ago: its content expired before anyone fetched it
    "safety",  # the job ends blocked by the service's safety system
    "failed",  # the job ends failed by an internal error of the service (worth retrying)
)

ErrorBody = Callable[[int, str], dict[str, Any]]


@dataclass
class Fault:
    """One fault waiting for its route."""

    route: str
    kind: str
    retry_after: float = 1.0
    status: int = 500
    seconds: float = 0.0


@dataclass
class FaultPlan:
    """Faults queued per route; every request to a route takes the first one queued for it."""

    pending: list[Fault] = field(default_factory=list)
    taken: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def inject(self, route: str, kind: str, *, times: int = 1, **options: Any) -> None:
        """Queue ``kind`` for the next ``times`` requests to ``route``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
        with self._lock:
            self.pending.extend(Fault(route=route, kind=kind, **options) for _ in range(times))

    def take(self, route: str, kinds: tuple[str, ...] = FAULT_KINDS) -> Fault | None:
        """Remove and return the first fault queued for ``route`` among ``kinds``."""
        with self._lock:
            for index, fault in enumerate(self.pending):
                if fault.route == route and fault.kind in kinds:
                    self.taken.append(fault)
                    return self.pending.pop(index)
        return None

    def clear(self) -> None:
        with self._lock:
            self.pending.clear()


class BrokenBody(Response):
    """Announces ``announced`` bytes, sends ``body``, then drops the connection."""

    def __init__(self, body: bytes, announced: int, media_type: str) -> None:
        super().__init__(content=b"", media_type=media_type)
        self.partial = body
        self.announced = announced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", self.media_type.encode() if self.media_type else b"text/plain"),
            (b"content-length", str(self.announced).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.partial, "more_body": True})
        # Returning without finishing makes the server close the socket mid-body.
        raise ConnectionAbortedError("fake: connection dropped on purpose")


async def transport_fault(fault: Fault | None, error_body: ErrorBody) -> Response | None:
    """The answer a transport fault gives instead of the normal one (``None``: answer normally)."""
    if fault is None:
        return None
    if fault.kind == "slow":
        await asyncio.sleep(fault.seconds)
        return None
    if fault.kind == "rate_limit":
        return JSONResponse(
            error_body(429, "Rate limit reached; please try again later."),
            status_code=429,
            headers={"Retry-After": f"{fault.retry_after:g}"},
        )
    if fault.kind == "server_error":
        return JSONResponse(
            error_body(fault.status, "The server had an error processing your request."),
            status_code=fault.status,
        )
    if fault.kind == "drop":
        return BrokenBody(b'{"id": "', announced=4096, media_type="application/json")
    return None


def dropped_reply(payload: dict[str, Any]) -> BrokenBody:
    """The first bytes of the answer the service had for a job it created, then a drop."""
    body = JSONResponse(payload).body
    return BrokenBody(body[:12], announced=len(body), media_type="application/json")


def cut_clip(clip: bytes) -> Response:
    """Two thirds of ``clip`` with a Content-Length that matches them: a complete-looking answer."""
    return Response(clip[: len(clip) * 2 // 3], media_type="video/mp4")


def faults_routes(get_plan: Callable[[], FaultPlan]) -> list[Route]:
    """``/__fake__/faults``: POST to queue a fault, GET to list, DELETE to clear."""

    async def faults(request: Request) -> Response:
        plan = get_plan()
        if request.method == "POST":
            spec = await request.json()
            try:
                plan.inject(
                    spec.pop("route"), spec.pop("kind"), times=int(spec.pop("times", 1)), **spec
                )
            except (KeyError, TypeError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        elif request.method == "DELETE":
            plan.clear()
        return JSONResponse({"pending": [vars(f) for f in plan.pending]})

    return [Route("/__fake__/faults", faults, methods=["GET", "POST", "DELETE"])]


class ClipShelf:
    """Real MP4 clips by (width, height, seconds), rendered once per process."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._clips: dict[tuple[int, int, int, bool], bytes] = {}
        self._lock = threading.Lock()

    def clip(self, width: int, height: int, seconds: int, *, audio: bool = True) -> bytes:
        key = (width, height, seconds, audio)
        with self._lock:
            if key not in self._clips:
                self._clips[key] = self._render(*key)
            return self._clips[key]

    def _render(self, width: int, height: int, seconds: int, audio: bool) -> bytes:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="previz-fake-clips-"))
            atexit.register(shutil.rmtree, self._folder, True)
        out = self._folder / f"{width}x{height}-{seconds}s-{int(audio)}.mp4"
        # A flat colour encodes fastest; the clip's size, length and tracks are what matter.
        video = f"color=c=0x335577:size={width}x{height}:rate=24:duration={seconds}"
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y"]
        command += ["-f", "lavfi", "-i", video]
        if audio:
            tone = f"sine=frequency=440:sample_rate=16000:duration={seconds}"
            command += ["-f", "lavfi", "-i", tone, "-c:a", "aac", "-b:a", "24k", "-ac", "1"]
            command += ["-shortest"]
        command += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "40", "-pix_fmt", "yuv420p"]
        command += ["-movflags", "+faststart", str(out)]
        subprocess.run(command, check=True, capture_output=True)
        return out.read_bytes()


CLIPS = ClipShelf()
"""The process-wide shelf both fakes serve from."""
