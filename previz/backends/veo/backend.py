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
from pathlib import Path
from typing import Any

import httpx

from previz.backends import http
from previz.backends.base import Capabilities, Job, JobUpdate, RemoteBackend, RenderedMedia
from previz.backends.veo.request import DURATIONS, REFERENCE_DURATIONS, video_request
from previz.backends.veo.routes import GeminiRoute, VertexRoute, operation_update
from previz.errors import BackendError, JobFailedError

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
# The variables that hold a credential (what `previz backends` reports): a Gemini API key, or
# the service-account file for Vertex AI's application-default credentials. The backend also
# reads GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_LOCATION,
# GOOGLE_VERTEX_BASE_URL and GOOGLE_GEMINI_BASE_URL, as google-genai does.
CREDENTIAL_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


class VeoBackend(RemoteBackend):
    """Google Veo 3.1 through Vertex AI (primary) or the Gemini API."""

    name = "veo"
    version = "1"
    default_model = "veo-3.1-generate-preview"
    models = GEMINI_MODELS + VERTEX_ONLY_MODELS

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
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
    ) -> None:
        environ = os.environ if env is None else env
        if resolution not in SIZES:
            raise BackendError(
                f"unknown Veo resolution {resolution!r}; available: {', '.join(SIZES)}",
                backend=self.name,
            )
        self.model = model or self.default_model
        self.resolution = resolution
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))
        if vertexai is None:
            use = environ.get(
                "GOOGLE_GENAI_USE_ENTERPRISE", environ.get("GOOGLE_GENAI_USE_VERTEXAI")
            )
            vertexai = _truthy(use)
        self.route: GeminiRoute | VertexRoute
        if vertexai:
            where = location or environ.get("GOOGLE_CLOUD_LOCATION") or "global"
            host = (
                "aiplatform.googleapis.com"
                if where == "global"
                else f"{where}-aiplatform.googleapis.com"
            )
            self.route = VertexRoute(
                self._client,
                base_url or environ.get("GOOGLE_VERTEX_BASE_URL") or f"https://{host}",
                project or environ.get("GOOGLE_CLOUD_PROJECT"),
                where,
                credentials,
            )
            self._adc_hint = bool(environ.get("GOOGLE_APPLICATION_CREDENTIALS")) or _gcloud_adc(
                environ
            )
        else:
            key = api_key or environ.get("GOOGLE_API_KEY") or environ.get("GEMINI_API_KEY")
            self.route = GeminiRoute(
                self._client,
                base_url
                or environ.get("GOOGLE_GEMINI_BASE_URL")
                or "https://generativelanguage.googleapis.com",
                key or None,
            )
            self._adc_hint = False

    @property
    def mode(self) -> str:
        """``vertex`` or ``gemini``."""
        return "vertex" if self.route.vertex else "gemini"

    def capabilities(self, model: str | None = None) -> Capabilities:
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
            env_vars=CREDENTIAL_VARS,
        )

    def is_configured(self) -> bool:
        """Gemini: a key is set. Vertex: a project is set and credentials are injected or an
        application-default credentials file is in place (no network is touched to find out)."""
        if isinstance(self.route, VertexRoute):
            return bool(self.route.project) and (self.route.configured() or self._adc_hint)
        return self.route.configured()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def submit(self, job: Job) -> str:
        self._check_model(job)
        body = video_request(job, vertex=self.route.vertex, backend=self.name, logger=logger)
        headers = await self.route.headers(job, self.name)
        request = self._client.build_request(
            "POST", self.route.predict_url(job.model), headers=headers, json=body
        )
        answer = await self._json(request, job)
        name = answer.get("name")
        if not isinstance(name, str) or "/operations/" not in name:
            raise JobFailedError(
                "the service started no operation",
                backend=self.name,
                shot_id=job.shot_id,
                hint="the base URL may point at something other than Veo",
            )
        logger.info("shot '%s' take %d submitted as %s", job.shot_id, job.take, name)
        return name

    async def poll(self, remote_id: str, job: Job) -> JobUpdate:
        operation = await self._operation(remote_id, job)
        update = operation_update(operation, vertex=self.route.vertex)
        if update.error:
            return JobUpdate(
                status=update.status,
                error=http.redact(update.error, self.route.secrets()),
                retryable=update.retryable,
            )
        return update

    async def download(self, remote_id: str, job: Job, dest: Path) -> RenderedMedia:
        operation = await self._operation(remote_id, job)
        try:
            await self.route.deliver(operation, job, dest, self.name)
        except http.MediaLinkExpired:
            logger.info(
                "shot '%s': link of %s expired; fetching the operation again",
                job.shot_id,
                remote_id,
            )
            operation = await self._operation(remote_id, job)
            await self.route.deliver(operation, job, dest, self.name)
        return RenderedMedia(video=dest)

    def _check_model(self, job: Job) -> None:
        served = self.models if self.route.vertex else GEMINI_MODELS
        if job.model not in served:
            raise JobFailedError(
                f"model '{job.model}' is not served on the {self.mode} route; "
                f"available: {', '.join(served)}",
                backend=self.name,
                shot_id=job.shot_id,
                hint="pick one of those models, or switch route with GOOGLE_GENAI_USE_VERTEXAI",
            )

    async def _operation(self, remote_id: str, job: Job) -> dict[str, object]:
        request = await self.route.operation_request(remote_id, job, self.name)
        return await self._json(request, job)

    async def _json(self, request: httpx.Request, job: Job) -> dict[str, object]:
        response = await http.send(
            self._client,
            request,
            backend=self.name,
            shot_id=job.shot_id,
            secrets_to_hide=self.route.secrets(),
            auth_hint="check GOOGLE_API_KEY / GEMINI_API_KEY, or the Google Cloud credentials",
        )
        return http.json_object(response, backend=self.name, shot_id=job.shot_id)


def _gcloud_adc(environ: Mapping[str, str]) -> bool:
    """Whether gcloud's application-default credentials file exists (how google.auth finds it)."""
    config = environ.get("CLOUDSDK_CONFIG") or os.path.join(
        os.path.expanduser("~"), ".config", "gcloud"
    )
    return os.path.isfile(os.path.join(config, "application_default_credentials.json"))
