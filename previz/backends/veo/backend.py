"""The Veo 3.1 backend: one previz backend over Google's two roads to Veo.

Vertex AI is the primary road (google-genai 3.4 generates video only there); the Gemini API
stays as the second mode for keys and gateways that still serve it. The mode and credentials are
found the way google-genai finds them: ``GOOGLE_GENAI_USE_VERTEXAI`` (or
``GOOGLE_GENAI_USE_ENTERPRISE``) selects Vertex AI with ``GOOGLE_CLOUD_PROJECT``,
``GOOGLE_CLOUD_LOCATION`` (default ``global``) and application-default credentials
(``google.auth.default()``); otherwise ``GOOGLE_API_KEY`` (preferred) or ``GEMINI_API_KEY``
authenticate the Gemini API. ``GOOGLE_VERTEX_BASE_URL`` / ``GOOGLE_GEMINI_BASE_URL`` move either
road to another host.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from pydantic import Field

from previz.backends.base import BackendOptions, Capabilities, Job, JobStatus, JobUpdate
from previz.backends.http.backend import Answer, HttpBackend
from previz.backends.http.failures import ServiceFailure
from previz.backends.veo.request import DURATIONS, REFERENCE_DURATIONS, video_request
from previz.backends.veo.routes import (
    VertexRoute,
    choose_route,
    filtered_reasons,
    operation_videos,
)
from previz.errors import AuthenticationError, BackendError

logger = logging.getLogger("previz.backends.veo")

GEMINI_MODELS = ("veo-3.1-generate-preview", "veo-3.1-fast-generate-preview")
VERTEX_ONLY_MODELS = ("veo-3.1-generate-001", "veo-3.1-fast-generate-001")
SIZES = {
    "720p": ((1280, 720), (720, 1280)),
    "1080p": ((1920, 1080), (1080, 1920)),
}
# USD per generated second, with audio, same for 720p and 1080p [secondary: third-party
# summaries of Google's price list, Nov 2026]; the fast models are quoted at $0.10-0.15, the
# upper figure is used so budgets err on the safe side.
PRICE_PER_SECOND = {"standard": 0.40, "fast": 0.15}
# Google documents no character limit for the prompt; Veo's model cards cap input at 1,024 tokens
# [unconfirmed], roughly 4,000 characters of English.
PROMPT_LIMIT = 4_000
# google.rpc codes worth another try: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL,
# UNAVAILABLE. INVALID_ARGUMENT, FAILED_PRECONDITION and the like are final.
RETRYABLE_RPC_CODES = frozenset({4, 8, 10, 13, 14})


class VeoBackend(HttpBackend):
    """Google Veo 3.1 through Vertex AI (primary) or the Gemini API."""

    name = "veo"
    version = "1"
    default_model = "veo-3.1-generate-preview"
    models = GEMINI_MODELS + VERTEX_ONLY_MODELS
    service = "Veo"
    # The variables that hold a credential (what `previz backends` reports): a Gemini API key,
    # or the service-account file for Vertex AI's application-default credentials. The backend
    # also reads GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_LOCATION,
    # GOOGLE_VERTEX_BASE_URL and GOOGLE_GEMINI_BASE_URL, as google-genai does.
    key_vars = ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS")
    poll_interval = 10.0
    """Google's Veo guide reads the operation every 10 s (``time.sleep(10)``) [secondary]."""

    class Options(BackendOptions):
        """What a Veo user chooses."""

        resolution: Literal["720p", "1080p"] = Field(
            default="720p", description="720p, or 1080p (8-second clips only)"
        )

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        env: Mapping[str, str] | None = None,
        model: str | None = None,
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
        credentials: Any | None = None,
        resolution: str = "720p",
        timeout: float = 120.0,
        **setup: Any,
    ) -> None:
        environ = os.environ if env is None else env
        key = api_key or environ.get("GOOGLE_API_KEY") or environ.get("GEMINI_API_KEY") or None
        super().__init__(api_key=key, env=environ, timeout=timeout, **setup)
        self._options = self.parse_options({"resolution": resolution})
        self.model = model or self.default_model
        self.resolution = resolution
        self.route, self._adc_hint = choose_route(
            self.client, environ, base_url=base_url, api_key=self.api_key, vertexai=vertexai,
            project=project, location=location, credentials=credentials,
        )  # fmt: skip

    @property
    def mode(self) -> str:
        """``vertex`` or ``gemini``."""
        return "vertex" if self.route.vertex else "gemini"

    def service_capabilities(self, model: str | None = None) -> Capabilities:
        tier = "fast" if "fast" in (model or self.model) else "standard"
        return Capabilities(
            durations=DURATIONS if self.resolution == "720p" else REFERENCE_DURATIONS,
            reference_durations=REFERENCE_DURATIONS,
            sizes=SIZES[self.resolution],
            frame_rates=(24.0,),
            audio=True,
            reference_images=True,
            max_references=3,
            cost_per_second=PRICE_PER_SECOND[tier],
            max_concurrency=2,
            prompt_limit=PROMPT_LIMIT,
        )

    def is_configured(self) -> bool:
        """Gemini: a key is set. Vertex: a project is set and credentials are injected or an
        application-default credentials file is in place (no network is touched to find out)."""
        if isinstance(self.route, VertexRoute):
            return bool(self.route.project) and (self.route.configured() or self._adc_hint)
        return self.route.configured()

    # -- what Veo says -----------------------------------------------------------------------

    async def headers(self, job: Job) -> dict[str, str]:
        return await self.route.headers(job, self.name)

    def secrets(self) -> tuple[str | None, ...]:
        return self.route.secrets()

    def refusal(
        self, response: httpx.Response, shot_id: str | None, *, submission: bool = False
    ) -> BackendError:
        """Google answers a wrong API key with 400 and the reason ``API_KEY_INVALID``."""
        error = super().refusal(response, shot_id, submission=submission)
        if response.status_code == 400 and "API_KEY_INVALID" in response.text:
            return AuthenticationError(
                error.message, backend=self.name, shot_id=shot_id, hint="check GOOGLE_API_KEY"
            )
        return error

    async def submit_request(self, job: Job) -> httpx.Request:
        self._check_model(job)
        body = video_request(job, vertex=self.route.vertex, backend=self.name, logger=logger)
        return await self.request("POST", self.route.predict_url(job.model), job, json=body)

    def remote_id(self, answer: Answer) -> str | None:
        name = answer.get("name")
        return name if isinstance(name, str) and "/operations/" in name else None

    async def status_request(self, remote_id: str, job: Job) -> httpx.Request:
        return await self.route.operation_request(remote_id, job, self.name)

    def job_update(self, answer: Answer, response: httpx.Response) -> JobUpdate:
        if not answer.get("done"):
            return JobUpdate(JobStatus.RUNNING)
        if answer.get("error") is None and operation_videos(answer, vertex=self.route.vertex):
            return JobUpdate(JobStatus.SUCCEEDED)
        return JobUpdate(JobStatus.FAILED)

    def failure(self, answer: Answer) -> ServiceFailure:
        error = answer.get("error")
        if isinstance(error, Mapping):
            code = error.get("code")
            reason = f"operation failed ({code}): {error.get('message', 'no message')}"
            return ServiceFailure(reason, final=code not in RETRYABLE_RPC_CODES)
        reasons = filtered_reasons(answer, vertex=self.route.vertex)
        if reasons is not None:
            why = "; ".join(reasons) or "no reason given"
            return ServiceFailure(f"blocked by Veo's safety filters: {why}", blocked=True)
        return ServiceFailure("the operation finished without a video")

    async def clip_source(self, remote_id: str, answer: Answer, job: Job) -> httpx.Request | bytes:
        return await self.route.clip(answer, job, self.name)

    def _check_model(self, job: Job) -> None:
        served = self.models if self.route.vertex else GEMINI_MODELS
        if job.model not in served:
            raise self.refused(
                job,
                f"model '{job.model}' is not served on the {self.mode} route; "
                f"available: {', '.join(served)}",
                hint="pick one of those models, or switch route with GOOGLE_GENAI_USE_VERTEXAI",
            )
