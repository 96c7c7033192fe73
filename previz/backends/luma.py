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

Luma does not document output pixel sizes. previz reads an aspect ratio at a resolution as
"the short side is the resolution" (16:9 at 720p = 1280x720, 21:9 = 1680x720, 1:1 = 720x720).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx

from previz.backends.base import (
    Capabilities,
    Job,
    JobStatus,
    JobUpdate,
    Reference,
    RemoteBackend,
    RenderedMedia,
)
from previz.backends.http import (
    MediaLinkExpired,
    choose_references,
    download_clip,
    json_object,
    log_dropped,
    send,
)
from previz.errors import (
    BackendError,
    BackendUnavailableError,
    JobFailedError,
    RetryableServiceError,
)

logger = logging.getLogger("previz.backends.luma")

DEFAULT_BASE_URL = "https://api.lumalabs.ai/dream-machine/v1"
KEY_VAR = "LUMAAI_API_KEY"
BASE_URL_VAR = "LUMAAI_BASE_URL"
REFERENCE_URL_VAR = "PREVIZ_LUMA_REFERENCE_URL"
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = {"540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}
DURATIONS = (5, 9)
# US dollars per second at 720p 16:9 [secondary]: ray-2 ~$0.08/s (apis.io plan listing, May
# 2026), ray-flash-2 ~11 credits/s at $4 per 1,200 credits (costbench, May 2026). Luma bills
# per generated pixel, so other resolutions and ratios scale by pixel count.
USD_PER_SECOND_720P = {"ray-2": 0.08, "ray-flash-2": 0.037}
_PIXELS_720P = 1280 * 720
# Failure reasons that will fail the same way again (moderation, invalid input). Luma gives no
# failure codes and documents no reasons, so any other failure counts as transient and is left
# to the runner's bounded retries.
_FINAL_WORDS = ("moderation", "not allowed", "safety", "policy", "blocked", "invalid")


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


class LumaBackend(RemoteBackend):
    """Luma's Dream Machine API (api.lumalabs.ai/dream-machine/v1)."""

    name: ClassVar[str] = "luma"
    version: ClassVar[str] = "1"
    default_model: ClassVar[str] = "ray-2"
    models: ClassVar[tuple[str, ...]] = ("ray-2", "ray-flash-2")

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        env: Mapping[str, str] | None = None,
        model: str | None = None,
        resolution: str = "720p",
        reference_host: ReferenceHost | None = None,
        timeout: float = 60.0,
    ) -> None:
        environ = os.environ if env is None else env
        self._api_key = api_key or environ.get(KEY_VAR) or None
        self._base_url = (base_url or environ.get(BASE_URL_VAR) or DEFAULT_BASE_URL).rstrip("/")
        self._model = self._check_model(model or self.default_model)
        if resolution not in RESOLUTIONS:
            raise BackendError(
                f"unknown Luma resolution '{resolution}'; available: {', '.join(RESOLUTIONS)}",
                backend=self.name,
            )
        self._resolution = resolution
        published = environ.get(REFERENCE_URL_VAR)
        self._host = reference_host or (HostedReferences(published) if published else None)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)

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

    def capabilities(self, model: str | None = None) -> Capabilities:
        name = self._check_model(model or self._model)
        scale = RESOLUTIONS[self._resolution] ** 2 / 720**2
        return Capabilities(
            durations=tuple(float(d) for d in DURATIONS),
            sizes=tuple(self.sizes),
            frame_rates=(24.0,),  # the services deliver 24 fps [unconfirmed for every model]
            audio=False,
            reference_images=True,
            max_references=2,  # frame0 and frame1
            cost_per_second=round(USD_PER_SECOND_720P[name] * scale, 4),
            max_concurrency=2,  # [unconfirmed] Luma publishes no per-key concurrency figure
            env_vars=(KEY_VAR,),
            chains_generations=True,  # keyframes {type: generation, id}: continuity, no host
        )

    def is_configured(self) -> bool:
        return bool(self._api_key)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # -- the job lifecycle -------------------------------------------------------------------

    async def submit(self, job: Job) -> str:
        self._require_key(job)
        body = await self.request_for(job)
        response = await self._call("POST", "/generations/video", job, json=body)
        generation_id = json_object(response, backend=self.name, shot_id=job.shot_id).get("id")
        if not isinstance(generation_id, str) or not generation_id:
            raise RetryableServiceError(
                "Luma answered without a generation id", backend=self.name, shot_id=job.shot_id
            )
        return generation_id

    async def poll(self, remote_id: str, job: Job) -> JobUpdate:
        generation = await self._generation(remote_id, job)
        state = generation.get("state")
        if state == "queued":
            return JobUpdate(JobStatus.QUEUED)
        if state == "dreaming":
            return JobUpdate(JobStatus.RUNNING)
        if state == "completed":
            return JobUpdate(JobStatus.SUCCEEDED, progress=1.0)
        if state == "failed":
            reason = str(generation.get("failure_reason") or "no reason given")
            final = any(word in reason.lower() for word in _FINAL_WORDS)
            return JobUpdate(JobStatus.FAILED, error=f"Luma: {reason}", retryable=not final)
        raise RetryableServiceError(
            f"generation {remote_id} has an unknown state {state!r}",
            backend=self.name,
            shot_id=job.shot_id,
        )

    async def download(self, remote_id: str, job: Job, dest: Path) -> RenderedMedia:
        try:
            await self._fetch_clip(await self._video_url(remote_id, job), job, dest)
        except MediaLinkExpired:
            # Asset links can expire; reading the generation again gives a fresh one. A second
            # expiry propagates as the retryable error it is.
            logger.info("shot '%s': clip link expired; reading generation again", job.shot_id)
            await self._fetch_clip(await self._video_url(remote_id, job), job, dest)
        return RenderedMedia(video=dest)

    # -- requests -----------------------------------------------------------------------------

    async def request_for(self, job: Job) -> dict[str, Any]:
        """The JSON body of ``POST /generations/video`` for ``job``."""
        model = self._check_model(job.model or self._model, job.shot_id)
        aspect = self.sizes.get((job.width, job.height))
        seconds = round(job.seconds)
        if aspect is None or abs(seconds - job.seconds) > 1e-6 or seconds not in DURATIONS:
            raise JobFailedError(
                f"Luma {self._resolution} makes {', '.join(ASPECT_RATIOS)} clips of 5 or 9 s, "
                f"not {job.width}x{job.height} for {job.seconds:g} s",
                backend=self.name,
                shot_id=job.shot_id,
                hint="plan the shot with this backend's capabilities()",
            )
        body: dict[str, Any] = {
            "model": model,
            "prompt": job.prompt.strip(),
            "aspect_ratio": aspect,
            "resolution": self._resolution,
            "duration": f"{seconds}s",
        }
        keyframes = await self._keyframes(job)
        if keyframes:
            body["keyframes"] = keyframes
        return body

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

    # -- HTTP ---------------------------------------------------------------------------------

    def _require_key(self, job: Job) -> None:
        if not self._api_key:
            raise BackendUnavailableError(
                f"no Luma API key: set {KEY_VAR}",
                backend=self.name,
                shot_id=job.shot_id,
                hint="create a key at lumalabs.ai/dream-machine/api/keys",
            )

    async def _call(self, method: str, path: str, job: Job, **kwargs: Any) -> httpx.Response:
        self._require_key(job)
        headers = {"Authorization": f"Bearer {self._api_key}"}
        request = self._client.build_request(
            method, self._base_url + path, headers=headers, **kwargs
        )
        return await send(
            self._client,
            request,
            backend=self.name,
            shot_id=job.shot_id,
            secrets_to_hide=[self._api_key],
            auth_hint=f"check {KEY_VAR}",
        )

    async def _generation(self, remote_id: str, job: Job) -> dict[str, object]:
        response = await self._call("GET", f"/generations/{remote_id}", job)
        return json_object(response, backend=self.name, shot_id=job.shot_id)

    async def _video_url(self, remote_id: str, job: Job) -> str:
        generation = await self._generation(remote_id, job)
        assets = generation.get("assets")
        video = assets.get("video") if isinstance(assets, dict) else None
        if generation.get("state") != "completed" or not isinstance(video, str) or not video:
            raise JobFailedError(
                f"generation {remote_id} is {generation.get('state')}, with no clip to download",
                backend=self.name,
                shot_id=job.shot_id,
            )
        return video

    async def _fetch_clip(self, url: str, job: Job, dest: Path) -> None:
        # Asset links are CDN URLs: the API key is never sent there.
        await download_clip(
            self._client,
            self._client.build_request("GET", url),
            dest,
            backend=self.name,
            shot_id=job.shot_id,
            expected_seconds=job.seconds,
            secrets_to_hide=[self._api_key],
        )
