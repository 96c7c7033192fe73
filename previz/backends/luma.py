"""Luma Dream Machine: ray-2 and ray-flash-2 video, consistent through keyframes.

The wire contract is ``lumaai`` 1.21's (``resources/generations/generations.py``,
``types/generation*.py``) and lumalabs/lumaai-api ``openapi.yaml``: ``POST /generations/video``
with ``model`` (required), ``prompt``, ``aspect_ratio``, ``resolution``, ``duration`` ("5s" or
"9s") and ``keyframes``; ``GET /generations/{id}`` until ``state`` is completed, then the clip
is at ``assets.video``. Auth is ``Authorization: Bearer $LUMAAI_API_KEY``; the base URL is
``$LUMAAI_BASE_URL`` when set, as in the SDK. Luma has no seed, negative prompt or audio.

Keyframes keep shots consistent. ``frame0``/``frame1`` take ``{"type": "image", "url"}`` or
``{"type": "generation", "id"}``. Luma's docs say hosted image URLs are "currently the only
way to pass an image" (no data URIs), so image references need a :class:`ReferenceHost` that
turns a reference file into a URL Luma can fetch — :class:`HostedReferences` maps files onto a
folder the team has published (``$PREVIZ_LUMA_REFERENCE_URL``); without one, image references
are dropped and logged. Chaining needs no host: a job whose payload carries
``previous_generation_id`` starts from that generation (``frame0`` = the generation), which is
how continuity mode extends the previous shot. Reference choice for ``frame0`` follows
:data:`previz.backends.http.REFERENCE_ORDER`; a ``last_frame`` reference becomes ``frame1``.

Prices: Luma bills video per generated pixel — $0.0064 per million pixels for ray-2 and $0.0022
for ray-flash-2 (lumalabs.ai/api/pricing, "Dream Machine API": a 5 s 720p 16:9 ray-2 clip at
24 fps is 110.6 M pixels, $0.71) [primary, as published; the stored pages here carry no copy].
The per-second price is that rate times the pixels of one second of the backend's 16:9 size.

Luma does not document output pixel sizes. previz reads an aspect ratio at a resolution as
"the short side is the resolution" (16:9 at 720p = 1280x720, 21:9 = 1680x720, 1:1 = 720x720).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol

import httpx
from pydantic import Field

from previz.backends.base import BackendOptions, Capabilities, Job, JobStatus, Reference
from previz.backends.http import choose_references, log_dropped
from previz.backends.http.backend import Answer, HttpBackend
from previz.backends.http.failures import ServiceFailure, blocked_failure
from previz.errors import BackendError

logger = logging.getLogger("previz.backends.luma")

REFERENCE_URL_VAR = "PREVIZ_LUMA_REFERENCE_URL"
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = {"540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}
DURATIONS = (5, 9)
FPS = 24
USD_PER_MILLION_PIXELS = {"ray-2": 0.0064, "ray-flash-2": 0.0022}
"""Luma's published per-pixel video prices (lumalabs.ai/api/pricing), USD per million pixels."""


class ReferenceHost(Protocol):
    """Turns a reference image into an http(s) URL that Luma can fetch."""

    async def url_for(self, reference: Reference) -> str: ...


class HostedReferences:
    """References published under one base URL by file name (e.g. a synced bucket folder)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def url_for(self, reference: Reference) -> str:
        return f"{self.base_url}/{reference.path.name}"


def pixel_size(aspect: str, resolution: str) -> tuple[int, int]:
    """previz's reading of a Luma aspect ratio at a resolution (short side = resolution)."""
    across, down = (int(part) for part in aspect.split(":"))
    short = RESOLUTIONS[resolution]
    if across >= down:
        return (round(short * across / down / 2) * 2, short)
    return (short, round(short * down / across / 2) * 2)


def usd_per_second(model: str, resolution: str) -> float:
    """What one second of a 16:9 clip at ``resolution`` costs on ``model``."""
    width, height = pixel_size("16:9", resolution)
    return round(USD_PER_MILLION_PIXELS[model] * width * height * FPS / 1e6, 4)


class LumaBackend(HttpBackend):
    """Luma's Dream Machine API (api.lumalabs.ai/dream-machine/v1)."""

    name: ClassVar[str] = "luma"
    version: ClassVar[str] = "1"
    default_model: ClassVar[str] = "ray-2"
    models: ClassVar[tuple[str, ...]] = ("ray-2", "ray-flash-2")
    service = "Luma"
    key_vars = ("LUMAAI_API_KEY",)
    key_hint = "create a key at lumalabs.ai/dream-machine/api/keys"
    base_url_var = "LUMAAI_BASE_URL"
    default_base_url = "https://api.lumalabs.ai/dream-machine/v1"
    # Luma documents no polling interval (lumaai 1.21 has no poll helper): the 5 s default.
    status_field = "state"
    statuses: ClassVar[Mapping[str, JobStatus]] = {
        "queued": JobStatus.QUEUED,
        "dreaming": JobStatus.RUNNING,
        "completed": JobStatus.SUCCEEDED,
        "failed": JobStatus.FAILED,
    }

    class Options(BackendOptions):
        """What a Luma user chooses."""

        resolution: Literal["540p", "720p", "1080p", "4k"] = Field(
            default="720p",
            description="short side of the clip; Luma bills per pixel, so 1080p costs 2.25x 720p",
        )

    def __init__(
        self,
        *,
        model: str | None = None,
        resolution: str = "720p",
        reference_host: ReferenceHost | None = None,
        **setup: Any,
    ) -> None:
        super().__init__(**setup)
        self._model = self._check_model(model or self.default_model)
        self._options = self.parse_options({"resolution": resolution})
        self._resolution = resolution
        published = self.env.get(REFERENCE_URL_VAR)
        self._host = reference_host or (HostedReferences(published) if published else None)

    def _check_model(self, model: str, shot_id: str | None = None) -> str:
        if model not in self.models:
            raise BackendError(
                f"unknown Luma model '{model}'; available: {', '.join(self.models)}",
                backend=self.name,
                shot_id=shot_id,
            )
        return model

    @property
    def sizes(self) -> dict[tuple[int, int], str]:
        """Pixel size → aspect ratio, at this backend's resolution."""
        return {pixel_size(aspect, self._resolution): aspect for aspect in ASPECT_RATIOS}

    def service_capabilities(self, model: str | None = None) -> Capabilities:
        return Capabilities(
            durations=tuple(float(d) for d in DURATIONS),
            sizes=tuple(self.sizes),
            frame_rates=(float(FPS),),  # the services deliver 24 fps [unconfirmed for every model]
            audio=False,
            reference_images=True,
            max_references=2,  # frame0 and frame1
            cost_per_second=usd_per_second(
                self._check_model(model or self._model), self._resolution
            ),
            max_concurrency=2,  # [unconfirmed] Luma publishes no per-key concurrency figure
            chains_generations=True,  # keyframes {type: generation, id}: continuity, no host
        )

    # -- what Luma says ------------------------------------------------------------------------

    async def submit_request(self, job: Job) -> httpx.Request:
        return await self.request(
            "POST", "/generations/video", job, json=await self.request_for(job)
        )

    async def status_request(self, remote_id: str, job: Job) -> httpx.Request:
        return await self.request("GET", f"/generations/{remote_id}", job)

    async def clip_source(self, remote_id: str, answer: Answer, job: Job) -> httpx.Request:
        assets = answer.get("assets")
        video = assets.get("video") if isinstance(assets, dict) else None
        if answer.get("state") != "completed" or not isinstance(video, str) or not video:
            raise self.refused(
                job,
                f"generation {remote_id} is {answer.get('state')}, with no clip to download",
            )
        return self.client.build_request("GET", video)  # a CDN link: the key never goes there

    def failure(self, answer: Answer) -> ServiceFailure:
        # Luma gives no failure codes and documents no reasons: moderation words block, a bad
        # input is final, anything else counts as service-side.
        return blocked_failure(str(answer.get("failure_reason") or "no reason given"))

    async def list_request(self, job: Job) -> httpx.Request:
        return await self.request("GET", "/generations", job, params={"limit": 100, "offset": 0})

    def listed(self, answer: Answer) -> list[Answer]:
        generations = answer.get("generations")
        return (
            [g for g in generations if isinstance(g, dict)] if isinstance(generations, list) else []
        )

    def created_at(self, answer: Answer) -> float:
        stamp = answer.get("created_at")
        try:
            return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
        except ValueError:
            return 0.0

    def same_request(self, answer: Answer, job: Job) -> bool:
        sent = answer.get("request")
        core = self._core_fields(job)
        return isinstance(sent, dict) and all(sent.get(k) == v for k, v in core.items())

    # -- requests ----------------------------------------------------------------------------

    async def request_for(self, job: Job) -> dict[str, Any]:
        """The JSON body of ``POST /generations/video`` for ``job``."""
        body = self._core_fields(job)
        keyframes = await self._keyframes(job)
        if keyframes:
            body["keyframes"] = keyframes
        return body

    def _core_fields(self, job: Job) -> dict[str, Any]:
        model = self._check_model(job.model or self._model, job.shot_id)
        aspect = self.sizes.get((job.width, job.height))
        seconds = round(job.seconds)
        if aspect is None or abs(seconds - job.seconds) > 1e-6 or seconds not in DURATIONS:
            raise self.refused(
                job,
                f"Luma {self._resolution} makes {', '.join(ASPECT_RATIOS)} clips of 5 or 9 s, "
                f"not {job.width}x{job.height} for {job.seconds:g} s",
                hint="plan the shot with this backend's capabilities()",
            )
        return {
            "model": model,
            "prompt": job.prompt.strip(),
            "aspect_ratio": aspect,
            "resolution": self._resolution,
            "duration": f"{seconds}s",
        }

    async def _keyframes(self, job: Job) -> dict[str, dict[str, str]]:
        refs = list(job.references)
        frames: dict[str, dict[str, str]] = {}
        chained = job.payload.get("previous_generation_id")
        if isinstance(chained, str) and chained:
            frames["frame0"] = {"type": "generation", "id": chained}
            first = None
        else:
            kept, _ = choose_references([r for r in refs if r.role != "last_frame"], 1)
            first = kept[0] if kept else None
        last = next((ref for ref in refs if ref.role == "last_frame"), None)
        wanted = {"frame0": first, "frame1": last}
        if self._host is None:
            log_dropped(
                logger,
                [ref for ref in refs if ref is first or ref is last],
                shot_id=job.shot_id,
                why=f"Luma takes keyframe images only as hosted URLs; set {REFERENCE_URL_VAR}",
            )
            wanted = {}
        for frame, ref in wanted.items():
            if ref is not None and self._host is not None:
                frames[frame] = {"type": "image", "url": await self._host.url_for(ref)}
        log_dropped(
            logger,
            [ref for ref in refs if ref is not first and ref is not last],
            shot_id=job.shot_id,
            why="Luma takes one start and one end keyframe"
            + (" and this shot continues a previous generation" if chained else ""),
        )
        return frames
