"""How HttpBackend classifies what came back from a submission: at most once, never blindly.

The service is played by an httpx transport handler (httpx's own way of faking a server), so
each answer — or the lack of one — is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import httpx
import pytest

from previz.backends import Capabilities, HttpBackend, Job, JobStatus
from previz.backends.http import Answer, ServiceFailure
from previz.errors import (
    AuthenticationError,
    ContentBlocked,
    JobFailedError,
    RetryableServiceError,
    SubmissionUnknown,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Clips(HttpBackend):
    """The smallest HTTP backend: POST /clips, GET /clips/{id}."""

    name = "clips"
    service = "Clips"
    key_vars = ("CLIPS_KEY",)
    default_base_url = "https://clips.example"
    statuses: ClassVar[Mapping[str, JobStatus]] = {"done": JobStatus.SUCCEEDED}

    def service_capabilities(self, model: str | None = None) -> Capabilities:
        return Capabilities()

    async def submit_request(self, job: Job) -> httpx.Request:
        return await self.request("POST", "/clips", job, json={"prompt": job.prompt})

    async def status_request(self, remote_id: str, job: Job) -> httpx.Request:
        return await self.request("GET", f"/clips/{remote_id}", job)

    def failure(self, answer: Answer) -> ServiceFailure:
        return ServiceFailure(str(answer.get("error")))

    async def clip_source(self, remote_id: str, answer: Answer, job: Job) -> httpx.Request:
        return self.client.build_request("GET", str(answer.get("url")))


JOB = Job(
    shot_id="s1", take=1, backend="clips", model="m", prompt="Ana waits.", template_hash="t",
    seconds=2.0, shot_seconds=2.0, width=64, height=36, fps=24.0,
)  # fmt: skip


async def submit(handler: Handler) -> str:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        return await Clips(client=client, api_key="k" * 12, env={}).submit(JOB)


def answer(status: int, body: Any = None, **kwargs: Any) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(status, **kwargs)
        return httpx.Response(status, json=body, **kwargs)

    return handle


def raising(error: type[httpx.TransportError]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)

    return handle


async def test_accepted_job_id_is_returned() -> None:
    assert await submit(answer(201, {"id": "c1"})) == "c1"


async def test_connect_error_is_retryable_nothing_left() -> None:
    with pytest.raises(RetryableServiceError):
        await submit(raising(httpx.ConnectError))


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
async def test_reply_lost_after_sending_is_unknown(error: type[httpx.TransportError]) -> None:
    with pytest.raises(SubmissionUnknown):
        await submit(raising(error))


async def test_server_error_with_the_services_error_body_is_retryable() -> None:
    with pytest.raises(RetryableServiceError):
        await submit(answer(503, {"error": {"message": "overloaded, nothing created"}}))


async def test_server_error_without_an_error_body_is_unknown() -> None:
    with pytest.raises(SubmissionUnknown, match="no error body"):
        await submit(answer(502, text="<html>Bad gateway</html>"))


async def test_accepted_answer_without_a_job_id_is_unknown() -> None:
    with pytest.raises(SubmissionUnknown, match="names no job id"):
        await submit(answer(200, {"status": "ok"}))


async def test_rate_limit_is_retryable_with_its_delay() -> None:
    with pytest.raises(RetryableServiceError) as caught:
        await submit(answer(429, {"error": "slow down"}, headers={"Retry-After": "9"}))
    assert caught.value.retry_after == 9.0


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_key_is_an_authentication_error(status: int) -> None:
    with pytest.raises(AuthenticationError, match="CLIPS_KEY"):
        await submit(answer(status, {"error": "bad key"}))


async def test_moderation_refusal_is_content_blocked_with_the_reason() -> None:
    with pytest.raises(ContentBlocked) as caught:
        await submit(answer(400, {"error": "prompt rejected by moderation"}))
    assert "moderation" in (caught.value.reason or "")


async def test_other_refusal_is_a_final_failure() -> None:
    with pytest.raises(JobFailedError) as caught:
        await submit(answer(400, {"error": "seconds must be 4 or 8"}))
    assert type(caught.value) is JobFailedError and not caught.value.retryable
