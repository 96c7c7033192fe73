"""``HttpBackend``: what every video service spoken to over HTTP shares, written once.

A service subclass only says what is particular to it: how a job becomes a request
(:meth:`HttpBackend.submit_request`), where a job's status is read
(:meth:`~HttpBackend.status_request`), what its statuses and failures mean
(:attr:`~HttpBackend.statuses`, :meth:`~HttpBackend.failure`) and where the finished clip is
(:meth:`~HttpBackend.clip_source`). Everything else lives here:

- setup: the key from the first set variable of :attr:`~HttpBackend.key_vars` (declared in the
  capabilities), the base URL from :attr:`~HttpBackend.base_url_var`, an owned or injected
  ``httpx.AsyncClient``;
- the never-pay-twice rules of submission: a connect failure (nothing left) and the answers the
  services document as "nothing created" (429, a 5xx with their error body) are retryable; a
  request that left without a complete reply — a read timeout, a dropped connection, a 5xx
  without an error body, a 2xx without a job id — is :class:`~previz.errors.SubmissionUnknown`,
  never retried blindly; 401/403 from the service's API is
  :class:`~previz.errors.AuthenticationError`; moderation is :class:`~previz.errors.ContentBlocked`;
- one status policy: a status the backend does not know is retryable (the job may be running),
  a failure is blocked, final (the request's fault) or service-side (retryable) alike on every
  service;
- poll pacing: queued and running updates carry the service's hint for the next read, else
  :attr:`~HttpBackend.poll_interval`;
  the answer that reported success is kept, so the download does not read the job again;
- the download: streamed and fully decoded before it is accepted, with one fresh read of the job
  when a link has expired, and :class:`~previz.errors.OutputExpired` once the service says the
  output is gone.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

import httpx

from previz.backends.base import (
    Capabilities,
    Job,
    JobStatus,
    JobUpdate,
    RemoteBackend,
    RenderedMedia,
)
from previz.backends.http.delivery import ClipProbe, download_clip, store_clip
from previz.backends.http.failures import ServiceFailure, is_blocked
from previz.backends.http.status import (
    MediaLinkExpired,
    has_error_body,
    json_object,
    redact,
    status_error,
    transport_error,
)
from previz.errors import (
    BackendError,
    BackendUnavailableError,
    ContentBlocked,
    JobFailedError,
    OutputExpired,
    RetryableServiceError,
    SubmissionUnknown,
)

logger = logging.getLogger("previz.backends.http")

Answer = dict[str, object]
"""A service's JSON answer about one job."""

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class HttpBackend(RemoteBackend):
    """A remote backend that speaks a service's HTTP job API (submit, poll, fetch the clip)."""

    service: ClassVar[str] = ""
    """The service's name in messages ("Luma")."""
    key_vars: ClassVar[tuple[str, ...]] = ()
    """Variables that may hold the API key, first set wins; declared as ``env_vars``."""
    key_hint: ClassVar[str] = ""
    """Where a user gets a key."""
    base_url_var: ClassVar[str | None] = None
    default_base_url: ClassVar[str] = ""
    poll_interval: ClassVar[float] = 5.0
    """The documented minimum seconds between two reads of one job."""
    status_field: ClassVar[str] = "status"
    statuses: ClassVar[Mapping[str, JobStatus]] = {}
    """The service's job states → previz's; a state not listed is retryable ("ask again")."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.env: Mapping[str, str] = os.environ if env is None else env
        found = (self.env.get(var) for var in self.key_vars)
        self.api_key: str | None = api_key or next((k for k in found if k), None)
        from_env = self.env.get(self.base_url_var) if self.base_url_var else None
        self.base_url = (base_url or from_env or self.default_base_url).rstrip("/")
        self.clock = clock
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))
        self._finished: dict[str, Answer] = {}

    # -- what a service subclass says --------------------------------------------------------

    @abstractmethod
    def service_capabilities(self, model: str | None) -> Capabilities:
        """The capabilities of ``model``; ``env_vars`` and ``poll_interval`` are filled in."""

    @abstractmethod
    async def submit_request(self, job: Job) -> httpx.Request:
        """The request that starts ``job`` (build it with :meth:`request`)."""

    @abstractmethod
    async def status_request(self, remote_id: str, job: Job) -> httpx.Request:
        """The request that reads where job ``remote_id`` stands."""

    @abstractmethod
    async def clip_source(self, remote_id: str, answer: Answer, job: Job) -> httpx.Request | bytes:
        """The request that fetches the finished clip (or its bytes, when the answer holds them)."""

    @abstractmethod
    def failure(self, answer: Answer) -> ServiceFailure:
        """Why the job of a ``failed`` answer failed, and whose fault it was."""

    def remote_id(self, answer: Answer) -> str | None:
        """The job id in the answer to a submission."""
        value = answer.get("id")
        return value if isinstance(value, str) and value else None

    def job_update(self, answer: Answer, response: httpx.Response) -> JobUpdate | None:
        """The update an answer means, ``None`` for a state the service did not document.

        The default reads :attr:`status_field` through :attr:`statuses`; failures are
        classified by :meth:`poll` through :meth:`failure`.
        """
        status = self.statuses.get(str(answer.get(self.status_field)))
        return None if status is None else JobUpdate(status)

    def expires_at(self, answer: Answer) -> float | None:
        """When the finished job's output stops being downloadable (epoch seconds), if said."""
        return None

    async def list_request(self, job: Job) -> httpx.Request | None:
        """The request that lists the service's recent jobs; ``None``: it cannot list them."""
        return None

    def listed(self, answer: Answer) -> list[Answer]:
        """The jobs in the answer to :meth:`list_request`."""
        return []

    def created_at(self, answer: Answer) -> float:
        """When a listed job was created (epoch seconds)."""
        return 0.0

    def same_request(self, answer: Answer, job: Job) -> bool:
        """Whether a listed job was made from the request ``job`` sends."""
        return False

    async def headers(self, job: Job) -> dict[str, str]:
        """Credentials (and protocol headers) for the service's own API."""
        return {"Authorization": f"Bearer {self.require_key(job)}"}

    def secrets(self) -> tuple[str | None, ...]:
        """Everything that must never appear in a message, a log or a file."""
        return (self.api_key,)

    # -- the Backend surface -----------------------------------------------------------------

    def capabilities(self, model: str | None = None) -> Capabilities:
        caps = self.service_capabilities(model)
        return dataclasses.replace(caps, env_vars=self.key_vars, poll_interval=self.poll_interval)

    def is_configured(self) -> bool:
        return bool(self.api_key)

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    async def submit(self, job: Job) -> str:
        await self.headers(job)  # no credentials: say so before the request is even built
        response = await self.send(await self.submit_request(job), job, submission=True)
        try:
            answer = json_object(response, backend=self.name, shot_id=job.shot_id)
        except RetryableServiceError:
            answer = {}
        remote_id = self.remote_id(answer)
        if remote_id is None:
            raise SubmissionUnknown(
                f"{self.service} accepted the job but its answer names no job id",
                backend=self.name,
                shot_id=job.shot_id,
                hint="the job may exist and be billed; check the base URL before resubmitting",
            )
        logger.info("shot '%s' take %d submitted as %s", job.shot_id, job.take, remote_id)
        return remote_id

    async def poll(self, remote_id: str, job: Job) -> JobUpdate:
        response = await self.send(await self.status_request(remote_id, job), job)
        answer = json_object(response, backend=self.name, shot_id=job.shot_id)
        update = self.job_update(answer, response)
        if update is None:
            raise RetryableServiceError(
                f"job {remote_id} is in a state previz does not know: "
                f"{answer.get(self.status_field)!r}",
                backend=self.name,
                shot_id=job.shot_id,
                hint="the runner asks again",
            )
        if update.status is JobStatus.FAILED:
            return self._failed(self.failure(answer), job)
        if update.status is JobStatus.SUCCEEDED:
            self._finished[remote_id] = answer
            expires = update.expires_at or self.expires_at(answer)
            return dataclasses.replace(update, progress=1.0, expires_at=expires)
        # The service's own hint for this job wins; without one, its documented pace.
        wait = self.poll_interval if update.poll_after is None else update.poll_after
        return dataclasses.replace(update, poll_after=wait)

    async def download(self, remote_id: str, job: Job, dest: Path) -> RenderedMedia:
        answer = self._finished.pop(remote_id, None) or await self.read(remote_id, job)
        try:
            probe = await self._fetch(remote_id, answer, job, dest)
        except MediaLinkExpired:
            # Links expire; a fresh read of the job signs new ones. A second expiry propagates as
            # the retryable error it is, unless the service says the output itself is gone.
            logger.info(
                "shot '%s': link of %s expired; reading the job again", job.shot_id, remote_id
            )
            probe = await self._fetch(remote_id, await self.read(remote_id, job), job, dest)
        if (probe.width, probe.height) != (job.width, job.height):
            logger.warning(
                "shot '%s': %s returned %dx%d for a %dx%d order",
                job.shot_id, self.service, probe.width, probe.height, job.width, job.height,
            )  # fmt: skip
        return RenderedMedia(video=dest)

    async def reconcile(self, job: Job, *, submitted_after: float) -> str | None:
        """The id of the newest listed job created since ``submitted_after`` from this request.

        Services stamp jobs in whole seconds, so a job stamped up to a second before
        ``submitted_after`` still counts.
        """
        request = await self.list_request(job)
        if request is None:
            return None
        answer = json_object(await self.send(request, job), backend=self.name, shot_id=job.shot_id)
        found = [
            listed
            for listed in self.listed(answer)
            if self.created_at(listed) >= submitted_after - 1.0 and self.same_request(listed, job)
        ]
        return self.remote_id(max(found, key=self.created_at)) if found else None

    # -- helpers for subclasses --------------------------------------------------------------

    def refused(self, job: Job, message: str, *, hint: str | None = None) -> JobFailedError:
        """A final error about ``job`` that this backend cannot (or will not) send."""
        return JobFailedError(message, backend=self.name, shot_id=job.shot_id, hint=hint)

    def require_key(self, job: Job | None = None) -> str:
        """The API key, or the one message that says which variable to set."""
        if not self.api_key:
            raise BackendUnavailableError(
                f"no {self.service} API key: set {' or '.join(self.key_vars)}",
                backend=self.name,
                shot_id=job.shot_id if job else None,
                hint=self.key_hint or None,
            )
        return self.api_key

    async def request(self, method: str, path: str, job: Job, **kwargs: Any) -> httpx.Request:
        """A request to ``path`` under the base URL (or a full URL) with the API's headers."""
        headers = {**await self.headers(job), **kwargs.pop("headers", {})}
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        return self.client.build_request(method, url, headers=headers, **kwargs)

    async def read(self, remote_id: str, job: Job) -> Answer:
        """The service's current answer about job ``remote_id``."""
        response = await self.send(await self.status_request(remote_id, job), job)
        return json_object(response, backend=self.name, shot_id=job.shot_id)

    async def send(
        self, request: httpx.Request, job: Job | None, *, submission: bool = False
    ) -> httpx.Response:
        """Send ``request``; return its 2xx answer (body read) or raise the classified error.

        ``submission``: the request may create a billed job, so a reply lost after the request
        left is :class:`SubmissionUnknown` rather than retryable.
        """
        shot_id = job.shot_id if job else None
        try:
            response = await self.client.send(request)
        except httpx.TransportError as exc:
            if submission and not isinstance(exc, _NOT_SENT):
                raise SubmissionUnknown(
                    f"the submission left but no complete answer came back ({type(exc).__name__})",
                    backend=self.name,
                    shot_id=shot_id,
                    hint="the service may have created (and will bill) the job; previz "
                    "reconciles it before anything is sent again",
                ) from None
            raise transport_error(exc, backend=self.name, shot_id=shot_id) from None
        if response.is_success:
            return response
        raise self.refusal(response, shot_id, submission=submission)

    def refusal(
        self, response: httpx.Response, shot_id: str | None, *, submission: bool = False
    ) -> BackendError:
        """The previz error for a non-2xx answer of the service's own API."""
        error = status_error(
            response,
            backend=self.name,
            shot_id=shot_id,
            secrets_to_hide=self.secrets(),
            auth_hint=f"check {' or '.join(self.key_vars)}" if self.key_vars else None,
        )
        if submission and response.status_code >= 500 and not has_error_body(response):
            return SubmissionUnknown(
                error.message + " (no error body: the job may have been created)",
                backend=self.name,
                shot_id=shot_id,
                hint="previz reconciles it with the service before anything is sent again",
            )
        if type(error) is JobFailedError and is_blocked(error.message):
            return ContentBlocked(
                error.message, reason=error.message, backend=self.name, shot_id=shot_id,
                hint="change the shot's description (or its reference images)",
            )  # fmt: skip
        return error

    # -- internals ---------------------------------------------------------------------------

    def _failed(self, failure: ServiceFailure, job: Job) -> JobUpdate:
        reason = redact(failure.reason, self.secrets())
        if failure.blocked:
            raise ContentBlocked(
                f"{self.service} refused the shot: {reason}",
                reason=reason,
                backend=self.name,
                shot_id=job.shot_id,
                hint="change the shot's description (or its reference images); previz skips it "
                "until then",
            )
        return JobUpdate(
            JobStatus.FAILED, error=f"{self.service}: {reason}", retryable=not failure.final
        )

    async def _fetch(self, remote_id: str, answer: Answer, job: Job, dest: Path) -> ClipProbe:
        self._check_expiry(answer, job)
        source = await self.clip_source(remote_id, answer, job)
        if isinstance(source, bytes):
            return store_clip(
                source, dest, backend=self.name, shot_id=job.shot_id, expected_seconds=job.seconds
            )
        try:
            return await download_clip(
                self.client,
                source,
                dest,
                backend=self.name,
                shot_id=job.shot_id,
                expected_seconds=job.seconds,
                secrets_to_hide=self.secrets(),
                strip_on_redirect=tuple((await self.headers(job)).keys()),
            )
        except MediaLinkExpired:
            self._check_expiry(answer, job)
            raise

    def _check_expiry(self, answer: Answer, job: Job) -> None:
        expired_at = self.expires_at(answer)
        if expired_at is None or expired_at > self.clock():
            return
        when = datetime.fromtimestamp(expired_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        raise OutputExpired(
            f"the finished clip expired on {self.service} at {when}",
            expired_at=expired_at,
            backend=self.name,
            shot_id=job.shot_id,
            hint="generate it again with build --regenerate-expired (it is paid again)",
        )
