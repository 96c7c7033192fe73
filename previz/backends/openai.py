"""The OpenAI Videos API (Sora 2) backend, speaking the contract of openai-python's ``videos``.

A job becomes ``POST {base}/videos`` as multipart form data: ``prompt``, ``model``, ``seconds``
as a *string* ("4", "8", "12"), ``size`` as ``WIDTHxHEIGHT``, and at most one reference image as
the ``input_reference`` file part, cropped and scaled to exactly the output size because the
service refuses any other ("Inpaint image must match the requested width and height"). The first
frame is preferred, else the first character in cast order; every other reference is dropped
and logged. ``GET {base}/videos/{id}`` reports queued / in_progress (with progress) / completed /
failed and suggests a polling interval in ``openai-poll-after-ms``; the clip comes from
``GET {base}/videos/{id}/content``. The service takes no seed and no negative prompt, and always
muxes synchronised audio.

OpenAI has scheduled the Sora API's shutdown (24 Sep 2026, per openai-python's deprecation
notices); compatible gateways still serve this protocol, so ``base_url`` (``OPENAI_BASE_URL``)
points the backend at one. Credentials are found the way openai-python finds them:
``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from previz.backends import http
from previz.backends.base import (
    Capabilities,
    Job,
    JobStatus,
    JobUpdate,
    RemoteBackend,
    RenderedMedia,
)
from previz.errors import BackendUnavailableError, JobFailedError

logger = logging.getLogger("previz.backends.openai")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
SECONDS = (4.0, 8.0, 12.0)
SORA_2_SIZES = ((720, 1280), (1280, 720))
SORA_2_PRO_SIZES = (*SORA_2_SIZES, (1024, 1792), (1792, 1024))
# Prices are [secondary] (third-party summaries, Nov 2026): USD per generated second.
# sora-2-pro is $0.50/s at 1024x1792 / 1792x1024 [secondary]; the planner's nearest size for a
# 16:9 or 9:16 project is the 720p one, so the 720p price is the one declared.
PRICE_PER_SECOND = {"sora-2": 0.10, "sora-2-pro": 0.30}
# Failure codes after which the same request may well succeed; anything else (moderation and
# policy blocks above all) is final.
TRANSIENT_FAILURES = frozenset({"internal_error", "server_error", "processing_error", "timeout"})
STATUSES = {
    "queued": JobStatus.QUEUED,
    "in_progress": JobStatus.RUNNING,
    "completed": JobStatus.SUCCEEDED,
    "failed": JobStatus.FAILED,
}
REFERENCE_ROLES = ("first_frame", "character")
# The variable that holds the credential (what `previz backends` reports); openai-python also
# reads OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT_ID, and so does this backend.
CREDENTIAL_VARS = ("OPENAI_API_KEY",)


def model_family(model: str) -> str:
    """``sora-2`` or ``sora-2-pro`` for a model name or one of its dated snapshots."""
    return "sora-2-pro" if model.startswith("sora-2-pro") else "sora-2"


class OpenAIVideosBackend(RemoteBackend):
    """Sora 2 through the OpenAI Videos API, or any gateway that serves it."""

    name = "openai"
    version = "1"
    default_model = "sora-2"
    models = ("sora-2", "sora-2-pro")

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        env: Mapping[str, str] | None = None,
        model: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        environ = os.environ if env is None else env
        self.api_key = api_key or environ.get("OPENAI_API_KEY") or None
        self.base_url = (base_url or environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.organization = environ.get("OPENAI_ORG_ID") or None
        self.project = environ.get("OPENAI_PROJECT_ID") or None
        self.model = model or self.default_model
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))

    def capabilities(self, model: str | None = None) -> Capabilities:
        family = model_family(model or self.model)
        return Capabilities(
            durations=SECONDS,
            sizes=SORA_2_PRO_SIZES if family == "sora-2-pro" else SORA_2_SIZES,
            frame_rates=None,
            audio=True,
            reference_images=True,
            max_references=1,
            cost_per_second=PRICE_PER_SECOND[family],
            max_concurrency=2,
            prompt_limit=32_000,
            env_vars=CREDENTIAL_VARS,
        )

    def is_configured(self) -> bool:
        return bool(self.api_key)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def submit(self, job: Job) -> str:
        # Every field goes as a multipart part (as openai-python sends them), reference or not.
        parts: list[tuple[str, tuple[str | None, bytes | str] | tuple[str, bytes, str]]] = [
            (name, (None, value)) for name, value in self._form_fields(job).items()
        ]
        reference = self._reference_file(job)
        if reference is not None:
            parts.append(("input_reference", reference))
        request = self._client.build_request(
            "POST", f"{self.base_url}/videos", headers=self._headers(job), files=parts
        )
        body = await self._call(request, job)
        video_id = body.get("id")
        if not isinstance(video_id, str) or not video_id:
            raise JobFailedError(
                "the service accepted the job but returned no video id",
                backend=self.name,
                shot_id=job.shot_id,
                hint="the base URL may point at something other than an OpenAI Videos API",
            )
        logger.info("shot '%s' take %d submitted as %s", job.shot_id, job.take, video_id)
        return video_id

    async def poll(self, remote_id: str, job: Job) -> JobUpdate:
        response = await self._retrieve(remote_id, job)
        video = http.json_object(response, backend=self.name, shot_id=job.shot_id)
        status = STATUSES.get(str(video.get("status")))
        if status is None:
            return JobUpdate(
                status=JobStatus.FAILED,
                retryable=True,
                error=f"the service reported an unknown status {video.get('status')!r}",
            )
        progress = video.get("progress")
        poll_after = response.headers.get("openai-poll-after-ms")
        update: dict[str, Any] = {
            "status": status,
            "progress": progress / 100.0 if isinstance(progress, (int, float)) else None,
            "poll_after": int(poll_after) / 1000.0 if poll_after and poll_after.isdigit() else None,
        }
        if status is JobStatus.FAILED:
            update["error"], update["retryable"] = self._failure(video)
        return JobUpdate(**update)

    async def download(self, remote_id: str, job: Job, dest: Path) -> RenderedMedia:
        try:
            probe = await self._fetch_content(remote_id, job, dest)
        except http.MediaLinkExpired:
            logger.info(
                "shot '%s': download link of %s expired; fetching the job again",
                job.shot_id,
                remote_id,
            )
            await self._retrieve(remote_id, job)
            probe = await self._fetch_content(remote_id, job, dest)
        if (probe.width, probe.height) != (job.width, job.height):
            logger.warning(
                "shot '%s': service returned %dx%d for a %dx%d order",
                job.shot_id,
                probe.width,
                probe.height,
                job.width,
                job.height,
            )
        return RenderedMedia(video=dest)

    def _form_fields(self, job: Job) -> dict[str, str]:
        caps = self.capabilities(job.model)
        assert caps.durations is not None and caps.sizes is not None
        if job.seconds not in caps.durations:
            raise JobFailedError(
                f"Sora clips run {', '.join(f'{d:g}' for d in caps.durations)} seconds, "
                f"not {job.seconds:g}",
                backend=self.name,
                shot_id=job.shot_id,
                hint="plan the job with Capabilities.generation_seconds()",
            )
        if (job.width, job.height) not in caps.sizes:
            allowed = ", ".join(f"{w}x{h}" for w, h in caps.sizes)
            raise JobFailedError(
                f"{job.model} makes {allowed}, not {job.width}x{job.height}",
                backend=self.name,
                shot_id=job.shot_id,
                hint="plan the job with Capabilities.nearest_size()",
            )
        ignored = [k for k in ("negative_prompt", "seed") if job.payload.get(k) is not None]
        if ignored:
            logger.info(
                "shot '%s': the OpenAI Videos API takes no %s; not sent",
                job.shot_id,
                " or ".join(ignored),
            )
        return {
            "prompt": job.prompt,
            "model": job.model,
            "seconds": f"{job.seconds:.0f}",
            "size": f"{job.width}x{job.height}",
        }

    def _reference_file(self, job: Job) -> tuple[str, bytes, str] | None:
        kept, dropped = http.choose_references(job.references, 1, roles=REFERENCE_ROLES)
        http.log_dropped(
            logger,
            dropped,
            shot_id=job.shot_id,
            why="Sora takes one input_reference: the first frame, else a character",
        )
        if not kept:
            return None
        data, mime = http.reference_image(kept[0].path, size=(job.width, job.height))
        return (f"{kept[0].owner}.png", data, mime)

    def _headers(self, job: Job) -> dict[str, str]:
        if not self.api_key:
            raise BackendUnavailableError(
                "no OpenAI API key",
                backend=self.name,
                shot_id=job.shot_id,
                hint="set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible gateway)",
            )
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers

    async def _call(self, request: httpx.Request, job: Job) -> dict[str, object]:
        response = await self._send(request, job)
        return http.json_object(response, backend=self.name, shot_id=job.shot_id)

    async def _send(self, request: httpx.Request, job: Job) -> httpx.Response:
        return await http.send(
            self._client,
            request,
            backend=self.name,
            shot_id=job.shot_id,
            secrets_to_hide=(self.api_key,),
            auth_hint="check OPENAI_API_KEY",
        )

    async def _retrieve(self, remote_id: str, job: Job) -> httpx.Response:
        request = self._client.build_request(
            "GET", f"{self.base_url}/videos/{remote_id}", headers=self._headers(job)
        )
        return await self._send(request, job)

    async def _fetch_content(self, remote_id: str, job: Job, dest: Path) -> http.ClipProbe:
        headers = {**self._headers(job), "Accept": "application/binary"}
        request = self._client.build_request(
            "GET",
            f"{self.base_url}/videos/{remote_id}/content",
            params={"variant": "video"},
            headers=headers,
        )
        return await http.download_clip(
            self._client,
            request,
            dest,
            backend=self.name,
            shot_id=job.shot_id,
            expected_seconds=job.seconds,
            secrets_to_hide=(self.api_key,),
        )

    def _failure(self, video: Mapping[str, object]) -> tuple[str, bool]:
        error = video.get("error")
        code = message = None
        if isinstance(error, Mapping):
            code, message = error.get("code"), error.get("message")
        text = f"{code}: {message}" if code else str(message or "the service reports failure")
        return http.redact(text, (self.api_key,)), code in TRANSIENT_FAILURES
