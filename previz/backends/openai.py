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

A finished video's ``expires_at`` is reported with the success; once it has passed the content
is gone and the download says so (:class:`~previz.errors.OutputExpired`) instead of asking
again. A submission whose reply was lost is reconciled by listing recent videos
(``GET /videos?order=desc``) and matching prompt, model, size and seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from previz.backends import http
from previz.backends.base import Capabilities, Job, JobStatus, JobUpdate
from previz.backends.http.backend import Answer, HttpBackend
from previz.backends.http.failures import ServiceFailure, final_failure

logger = logging.getLogger("previz.backends.openai")

SECONDS = (4.0, 8.0, 12.0)
SORA_2_SIZES = ((720, 1280), (1280, 720))
SORA_2_PRO_SIZES = (*SORA_2_SIZES, (1024, 1792), (1792, 1024))
# Prices are [secondary] (third-party summaries, Nov 2026): USD per generated second.
# sora-2-pro is $0.50/s at 1024x1792 / 1792x1024 [secondary]; the planner's nearest size for a
# 16:9 or 9:16 project is the 720p one, so the 720p price is the one declared.
PRICE_PER_SECOND = {"sora-2": 0.10, "sora-2-pro": 0.30}
# Failure codes of the service's own making: the same request may well succeed next time
# (``video_generation_failed`` included, as the other services' internal failures are).
SERVICE_SIDE_FAILURES = (
    "internal_error",
    "server_error",
    "processing_error",
    "timeout",
    "video_generation_failed",
)
REFERENCE_ROLES = ("first_frame", "character")
# The variable that holds the credential (what `previz backends` reports); openai-python also
# reads OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT_ID, and so does this backend.
CREDENTIAL_VARS = ("OPENAI_API_KEY",)


def model_family(model: str) -> str:
    """``sora-2`` or ``sora-2-pro`` for a model name or one of its dated snapshots."""
    return "sora-2-pro" if model.startswith("sora-2-pro") else "sora-2"


class OpenAIVideosBackend(HttpBackend):
    """Sora 2 through the OpenAI Videos API, or any gateway that serves it."""

    name = "openai"
    version = "1"
    default_model = "sora-2"
    models = ("sora-2", "sora-2-pro")
    service = "OpenAI"
    key_vars = CREDENTIAL_VARS
    key_hint = "set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible gateway)"
    base_url_var = "OPENAI_BASE_URL"
    default_base_url = "https://api.openai.com/v1"
    poll_interval = 1.0
    """openai-python's ``videos.poll`` waits ``openai-poll-after-ms``, else 1,000 ms."""
    statuses: ClassVar[Mapping[str, JobStatus]] = {
        "queued": JobStatus.QUEUED, "in_progress": JobStatus.RUNNING,
        "completed": JobStatus.SUCCEEDED, "failed": JobStatus.FAILED,
    }  # fmt: skip

    def __init__(self, *, model: str | None = None, **setup: Any) -> None:
        super().__init__(**setup)
        self.organization = self.env.get("OPENAI_ORG_ID") or None
        self.project = self.env.get("OPENAI_PROJECT_ID") or None
        self.model = model or self.default_model

    def service_capabilities(self, model: str | None = None) -> Capabilities:
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
        )

    # -- what the Videos API says ------------------------------------------------------------

    async def headers(self, job: Job) -> dict[str, str]:
        headers = {**await super().headers(job), "Accept": "application/json"}
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers

    async def submit_request(self, job: Job) -> httpx.Request:
        # Every field goes as a multipart part (as openai-python sends them), reference or not.
        parts: list[tuple[str, tuple[str | None, bytes | str] | tuple[str, bytes, str]]] = [
            (name, (None, value)) for name, value in self._form_fields(job).items()
        ]
        reference = self._reference_file(job)
        if reference is not None:
            parts.append(("input_reference", reference))
        return await self.request("POST", "/videos", job, files=parts)

    async def status_request(self, remote_id: str, job: Job) -> httpx.Request:
        return await self.request("GET", f"/videos/{remote_id}", job)

    def job_update(self, answer: Answer, response: httpx.Response) -> JobUpdate | None:
        update = super().job_update(answer, response)
        if update is None:
            return None
        progress = answer.get("progress")
        poll_after = response.headers.get("openai-poll-after-ms")
        return JobUpdate(
            update.status,
            progress=progress / 100.0 if isinstance(progress, int | float) else None,
            poll_after=int(poll_after) / 1000.0 if poll_after and poll_after.isdigit() else None,
        )

    def expires_at(self, answer: Answer) -> float | None:
        expires = answer.get("expires_at")
        return float(expires) if isinstance(expires, int | float) else None

    def failure(self, answer: Answer) -> ServiceFailure:
        error = answer.get("error")
        code = message = None
        if isinstance(error, Mapping):
            code, message = error.get("code"), error.get("message")
        reason = str(message or "the service reports failure")
        return final_failure(str(code) if code else None, reason, internal=SERVICE_SIDE_FAILURES)

    async def clip_source(self, remote_id: str, answer: Answer, job: Job) -> httpx.Request:
        return await self.request(
            "GET",
            f"/videos/{remote_id}/content",
            job,
            params={"variant": "video"},
            headers={"Accept": "application/binary"},
        )

    async def list_request(self, job: Job) -> httpx.Request:
        return await self.request("GET", "/videos", job, params={"limit": 100, "order": "desc"})

    def listed(self, answer: Answer) -> list[Answer]:
        data = answer.get("data")
        return [v for v in data if isinstance(v, dict)] if isinstance(data, list) else []

    def created_at(self, answer: Answer) -> float:
        created = answer.get("created_at")
        return float(created) if isinstance(created, int | float) else 0.0

    def same_request(self, answer: Answer, job: Job) -> bool:
        fields = self._form_fields(job)
        return all(str(answer.get(k)) == fields[k] for k in ("prompt", "model", "size", "seconds"))

    # -- requests ----------------------------------------------------------------------------

    def _form_fields(self, job: Job) -> dict[str, str]:
        caps = self.capabilities(job.model)
        assert caps.durations is not None and caps.sizes is not None
        if job.seconds not in caps.durations:
            raise self.refused(
                job,
                f"Sora clips run {', '.join(f'{d:g}' for d in caps.durations)} seconds, "
                f"not {job.seconds:g}",
                hint="plan the job with Capabilities.generation_seconds()",
            )
        if (job.width, job.height) not in caps.sizes:
            allowed = ", ".join(f"{w}x{h}" for w, h in caps.sizes)
            raise self.refused(
                job,
                f"{job.model} makes {allowed}, not {job.width}x{job.height}",
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
