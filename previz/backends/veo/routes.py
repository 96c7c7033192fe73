"""The two roads to Veo: the Gemini API (an API key) and Vertex AI (Google Cloud credentials).

They share the request body and the long-running-operation shape but differ in URLs, auth,
how an operation is polled and where the finished clip is:

- Gemini API: ``x-goog-api-key``; ``POST {base}/v1beta/models/{model}:predictLongRunning``;
  poll ``GET {base}/v1beta/{operation}``; the clip is a ``files/…:download`` link under
  ``response.generateVideoResponse.generatedSamples[].video.uri`` that redirects to storage
  (followed without the key).
- Vertex AI: ``Authorization: Bearer`` from application-default credentials;
  ``POST {base}/v1beta1/projects/{p}/locations/{l}/publishers/google/models/{m}``
  ``:predictLongRunning``; poll ``POST …/models/{m}:fetchPredictOperation`` with
  ``{"operationName": …}``; the clip comes inline as ``response.videos[].bytesBase64Encoded``.

A safety block is a done operation with ``raiMediaFilteredCount``/``raiMediaFilteredReasons`` and
no video: a final failure carrying Google's reasons.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
from collections.abc import Mapping
from typing import Any

import httpx

from previz.backends.base import Job
from previz.errors import BackendUnavailableError, JobFailedError, RetryableServiceError

CLOUD_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _outcome(operation: Mapping[str, Any], vertex: bool) -> Mapping[str, Any]:
    response = _mapping(operation.get("response"))
    return response if vertex else _mapping(response.get("generateVideoResponse"))


def _videos(operation: Mapping[str, Any], vertex: bool) -> list[Mapping[str, Any]]:
    outcome = _outcome(operation, vertex)
    if vertex:
        return [_mapping(v) for v in outcome.get("videos") or []]
    return [_mapping(_mapping(s).get("video")) for s in outcome.get("generatedSamples") or []]


def operation_videos(operation: Mapping[str, Any], *, vertex: bool) -> list[Mapping[str, Any]]:
    """The videos a finished operation holds (none while running, or when it was blocked)."""
    return _videos(operation, vertex)


def filtered_reasons(operation: Mapping[str, Any], *, vertex: bool) -> list[str] | None:
    """Google's reasons when its safety filters withheld the video, else ``None``."""
    outcome = _outcome(operation, vertex)
    reasons = outcome.get("raiMediaFilteredReasons") or []
    if outcome.get("raiMediaFilteredCount") or reasons:
        return [str(r) for r in reasons]
    return None


def _no_video(job: Job, backend: str) -> JobFailedError:
    return JobFailedError(
        "the operation has no video to download",
        backend=backend,
        shot_id=job.shot_id,
        hint="download only after poll() reports success",
    )


class GeminiRoute:
    """Veo through the Gemini API, authenticated by an API key."""

    vertex = False

    def __init__(self, client: httpx.AsyncClient, base_url: str, api_key: str | None) -> None:
        self.client, self.base_url, self.api_key = client, base_url.rstrip("/"), api_key

    def configured(self) -> bool:
        return bool(self.api_key)

    def secrets(self) -> tuple[str | None, ...]:
        return (self.api_key,)

    async def headers(self, job: Job, backend: str) -> dict[str, str]:
        if not self.api_key:
            raise BackendUnavailableError(
                "no Gemini API key",
                backend=backend,
                shot_id=job.shot_id,
                hint="set GOOGLE_API_KEY or GEMINI_API_KEY, or use Vertex AI "
                "(GOOGLE_GENAI_USE_VERTEXAI=true)",
            )
        return {"x-goog-api-key": self.api_key}

    def predict_url(self, model: str) -> str:
        return f"{self.base_url}/v1beta/models/{model}:predictLongRunning"

    async def operation_request(self, remote_id: str, job: Job, backend: str) -> httpx.Request:
        headers = await self.headers(job, backend)
        return self.client.build_request(
            "GET", f"{self.base_url}/v1beta/{remote_id}", headers=headers
        )

    async def clip(self, operation: Mapping[str, Any], job: Job, backend: str) -> httpx.Request:
        """The request for the clip: a ``files/…:download`` link (it redirects to storage)."""
        videos = _videos(operation, vertex=False)
        uri = videos[0].get("uri") if videos else None
        if not isinstance(uri, str):
            raise _no_video(job, backend)
        return self.client.build_request("GET", uri, headers=await self.headers(job, backend))


class VertexRoute:
    """Veo through Vertex AI, authenticated by Google Cloud application-default credentials."""

    vertex = True

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        project: str | None,
        location: str,
        credentials: Any | None,
    ) -> None:
        self.client, self.base_url = client, base_url.rstrip("/")
        self.project, self.location, self.credentials = project, location, credentials
        self._lock = asyncio.Lock()

    def configured(self) -> bool:
        return bool(self.project) and self.credentials is not None

    def secrets(self) -> tuple[str | None, ...]:
        return (getattr(self.credentials, "token", None),)

    async def headers(self, job: Job, backend: str) -> dict[str, str]:
        if not self.project:
            raise BackendUnavailableError(
                "no Google Cloud project for Vertex AI",
                backend=backend,
                shot_id=job.shot_id,
                hint="set GOOGLE_CLOUD_PROJECT (and GOOGLE_CLOUD_LOCATION)",
            )
        async with self._lock:
            token = await self._token(job, backend)
        headers = {"Authorization": f"Bearer {token}"}
        quota_project = getattr(self.credentials, "quota_project_id", None)
        if quota_project:
            headers["x-goog-user-project"] = str(quota_project)
        return headers

    async def _token(self, job: Job, backend: str) -> str:
        import google.auth
        import google.auth.exceptions
        import google.auth.transport.requests

        try:
            credentials: Any = self.credentials
            if credentials is None:
                credentials, _ = await asyncio.to_thread(google.auth.default, scopes=[CLOUD_SCOPE])
                self.credentials = credentials
            if not credentials.valid:
                request = google.auth.transport.requests.Request()
                await asyncio.to_thread(credentials.refresh, request)
        except google.auth.exceptions.TransportError:
            raise RetryableServiceError(
                "could not reach Google to refresh the access token",
                backend=backend,
                shot_id=job.shot_id,
                hint="network trouble; the runner retries it",
            ) from None
        except google.auth.exceptions.GoogleAuthError as exc:
            raise BackendUnavailableError(
                f"no usable Google Cloud credentials ({type(exc).__name__})",
                backend=backend,
                shot_id=job.shot_id,
                hint="run `gcloud auth application-default login` or set "
                "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file",
            ) from None
        return str(credentials.token)

    def predict_url(self, model: str) -> str:
        return f"{self.base_url}/v1beta1/{self._resource(model)}:predictLongRunning"

    def _resource(self, model: str) -> str:
        return f"projects/{self.project}/locations/{self.location}/publishers/google/models/{model}"

    async def operation_request(self, remote_id: str, job: Job, backend: str) -> httpx.Request:
        resource = remote_id.rpartition("/operations/")[0]
        return self.client.build_request(
            "POST",
            f"{self.base_url}/v1beta1/{resource}:fetchPredictOperation",
            headers=await self.headers(job, backend),
            json={"operationName": remote_id},
        )

    async def clip(self, operation: Mapping[str, Any], job: Job, backend: str) -> bytes:
        """The clip's bytes, inline in the operation."""
        videos = _videos(operation, vertex=True)
        encoded = videos[0].get("bytesBase64Encoded") if videos else None
        if not isinstance(encoded, str):
            raise _no_video(job, backend)
        try:
            return base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise RetryableServiceError(
                "the operation's inline video is not valid base64",
                backend=backend,
                shot_id=job.shot_id,
                hint="a damaged answer; the runner fetches it again",
            ) from None


def choose_route(
    client: httpx.AsyncClient,
    environ: Mapping[str, str],
    *,
    base_url: str | None,
    api_key: str | None,
    vertexai: bool | None,
    project: str | None,
    location: str | None,
    credentials: Any | None,
) -> tuple[GeminiRoute | VertexRoute, bool]:
    """The road google-genai would take with these settings and this environment, and whether
    application-default credentials look present (for Vertex AI; no network is touched)."""
    if vertexai is None:
        use = environ.get("GOOGLE_GENAI_USE_ENTERPRISE", environ.get("GOOGLE_GENAI_USE_VERTEXAI"))
        vertexai = (use or "").strip().lower() in ("true", "1")
    if not vertexai:
        gemini = base_url or environ.get("GOOGLE_GEMINI_BASE_URL")
        return GeminiRoute(
            client, gemini or "https://generativelanguage.googleapis.com", api_key
        ), False
    where = location or environ.get("GOOGLE_CLOUD_LOCATION") or "global"
    host = (
        "aiplatform.googleapis.com" if where == "global" else f"{where}-aiplatform.googleapis.com"
    )
    vertex = VertexRoute(
        client,
        base_url or environ.get("GOOGLE_VERTEX_BASE_URL") or f"https://{host}",
        project or environ.get("GOOGLE_CLOUD_PROJECT"),
        where,
        credentials,
    )
    return vertex, bool(environ.get("GOOGLE_APPLICATION_CREDENTIALS")) or _gcloud_adc(environ)


def _gcloud_adc(environ: Mapping[str, str]) -> bool:
    """Whether gcloud's application-default credentials file exists (how google.auth finds it)."""
    config = environ.get("CLOUDSDK_CONFIG") or os.path.join(
        os.path.expanduser("~"), ".config", "gcloud"
    )
    return os.path.isfile(os.path.join(config, "application_default_credentials.json"))
