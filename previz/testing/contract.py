"""The backend contract as a pytest suite: what every backend must do, and how it must fail.

A backend's test module subclasses :class:`RemoteBackendContract` (or
:class:`LocalBackendContract`) and defines one fixture, ``contract``, that returns a small setup
object: the backend under test (talking to a fake of its service), a job it accepts, and a way
to make that fake misbehave. The suite then checks the lifecycle and every fault the fake can
produce; faults the setup does not list are skipped with the reason.

Fault names (:data:`FAULTS`) are the service's behaviours, not any fake's API; the setup's
``inject(fault, times, call)`` also hears which call should meet it (``"submit"``, ``"poll"``
or ``"download"``), for fakes whose faults are set per route:

- ``rate_limit``: the next API answer is a 429 with ``Retry-After``;
- ``poll_rate_limit``: the next status read is a 429 with ``Retry-After``;
- ``lost_reply``: the next API request arrives but its reply never completes (dropped);
- ``reply_lost_after_create``: the next submission creates the job, then its reply is lost;
- ``server_error``: the next API answer is a 5xx with the service's error body;
- ``blocked``: the next job created ends refused by moderation;
- ``service_failure``: the next job created ends failed by the service's own fault;
- ``truncated_download``: the next clip download stops short;
- ``cut_download``: the next clip download is short with a ``Content-Length`` that matches it;
- ``expired_link``: the next clip link has expired (a fresh read of the job renews it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from previz.backends.base import Job, JobStatus, JobUpdate, LocalBackend, RemoteBackend
from previz.backends.http.delivery import probe_clip
from previz.errors import (
    AuthenticationError,
    BackendError,
    BackendUnavailableError,
    ContentBlocked,
    RetryableServiceError,
    SubmissionUnknown,
)

FAULTS = frozenset(
    (
        "rate_limit",
        "poll_rate_limit",
        "lost_reply",
        "reply_lost_after_create",
        "server_error",
        "blocked",
        "service_failure",
        "truncated_download",
        "cut_download",
        "expired_link",
    )
)
"""Every fault the remote suite knows how to check."""


@dataclass
class RemoteSetup:
    """What the remote suite needs: a backend on a fake service and the means to upset it.

    ``inject(fault, times, call)`` arranges :data:`FAULTS` on the fake for the next ``times``
    calls of ``call`` (submit, poll or download); ``faults`` lists those it can produce.
    ``with_key(key)`` makes the same backend with another API key (``None``: none at all);
    ``secret`` is the real key, which must never show in an error, a log or a clip.
    ``reconciles``: the backend can find a job whose submission reply was lost.
    """

    backend: RemoteBackend
    job: Job
    inject: Callable[[str, int, str], None]
    faults: frozenset[str] = FAULTS
    with_key: Callable[[str | None], RemoteBackend] | None = None
    secret: str | None = None
    reconciles: bool = False
    max_polls: int = 50


@dataclass
class LocalSetup:
    """What the local suite needs: a backend and a job it renders."""

    backend: LocalBackend
    job: Job
    extra: dict[str, Any] = field(default_factory=dict)


def _check_clip(path: Path, job: Job) -> None:
    probe = probe_clip(path)  # every frame decodes
    assert probe.frames > 0 and abs(probe.duration - job.seconds) <= 0.5, probe
    assert (probe.width, probe.height) == (job.width, job.height), probe


class RemoteBackendContract:
    """The contract every remote backend passes (subclass it; define the ``contract`` fixture)."""

    poll_statuses: ClassVar[frozenset[JobStatus]] = frozenset(
        {JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED, JobStatus.FAILED}
    )

    @staticmethod
    def _needs(contract: RemoteSetup, fault: str) -> None:
        if fault not in contract.faults:
            pytest.skip(f"this backend's fake cannot produce '{fault}'")

    @staticmethod
    async def finish(contract: RemoteSetup, job: Job | None = None) -> tuple[str, JobUpdate]:
        """Submit ``job`` and poll it to its end; the remote id and the last update."""
        job = job or contract.job
        remote_id = await contract.backend.submit(job)
        for _ in range(contract.max_polls):
            update = await contract.backend.poll(remote_id, job)
            if update.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
                return remote_id, update
        raise AssertionError(f"job {remote_id} did not finish in {contract.max_polls} polls")

    async def test_submit_poll_download_gives_the_ordered_clip(
        self, contract: RemoteSetup, tmp_path: Path
    ) -> None:
        remote_id, update = await self.finish(contract)
        assert update.status is JobStatus.SUCCEEDED
        media = await contract.backend.download(remote_id, contract.job, tmp_path / "take.mp4")
        _check_clip(media.video, contract.job)
        assert [p.name for p in tmp_path.iterdir()] == ["take.mp4"]

    async def test_unfinished_updates_say_when_to_ask_again(self, contract: RemoteSetup) -> None:
        remote_id = await contract.backend.submit(contract.job)
        update = await contract.backend.poll(remote_id, contract.job)
        assert update.status in self.poll_statuses
        if update.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            assert update.poll_after is not None and update.poll_after > 0

    async def test_missing_key_is_refused_before_anything_is_sent(
        self, contract: RemoteSetup
    ) -> None:
        if contract.with_key is None:
            pytest.skip("the setup cannot make the backend without credentials")
        keyless = contract.with_key(None)
        assert not keyless.is_configured()
        with pytest.raises(BackendUnavailableError) as caught:
            await keyless.submit(contract.job)
        assert caught.value.hint or any(v in str(caught.value) for v in _env_vars(keyless))

    async def test_wrong_key_is_an_authentication_error_that_hides_the_key(
        self, contract: RemoteSetup
    ) -> None:
        if contract.with_key is None:
            pytest.skip("the setup cannot make the backend with another key")
        wrong = "wrong-" + "k3y" * 8
        with pytest.raises(AuthenticationError) as caught:
            await contract.with_key(wrong).submit(contract.job)
        assert not caught.value.retryable and wrong not in str(caught.value)

    async def test_rate_limit_on_submit_is_retryable_after_the_services_delay(
        self, contract: RemoteSetup
    ) -> None:
        self._needs(contract, "rate_limit")
        contract.inject("rate_limit", 1, "submit")
        with pytest.raises(RetryableServiceError) as caught:
            await contract.backend.submit(contract.job)
        assert caught.value.retry_after is not None

    async def test_lost_submission_reply_is_unknown_never_retryable(
        self, contract: RemoteSetup
    ) -> None:
        self._needs(contract, "lost_reply")
        contract.inject("lost_reply", 1, "submit")
        with pytest.raises(SubmissionUnknown) as caught:
            await contract.backend.submit(contract.job)
        assert not isinstance(caught.value, RetryableServiceError)

    async def test_reply_lost_after_the_job_was_created_is_unknown_then_reconciled(
        self, contract: RemoteSetup
    ) -> None:
        self._needs(contract, "reply_lost_after_create")
        before = time.time()
        contract.inject("reply_lost_after_create", 1, "submit")
        with pytest.raises(SubmissionUnknown):
            await contract.backend.submit(contract.job)
        found = await contract.backend.reconcile(contract.job, submitted_after=before)
        if not contract.reconciles:
            assert found is None  # "cannot tell": the runner journals the take as unknown
            return
        assert found is not None
        update = await contract.backend.poll(found, contract.job)
        assert update.status in self.poll_statuses

    async def test_rate_limit_while_polling_is_retryable_after_the_services_delay(
        self, contract: RemoteSetup
    ) -> None:
        self._needs(contract, "poll_rate_limit")
        remote_id = await contract.backend.submit(contract.job)
        contract.inject("poll_rate_limit", 1, "poll")
        with pytest.raises(RetryableServiceError) as caught:
            await contract.backend.poll(remote_id, contract.job)
        assert caught.value.retry_after is not None

    async def test_server_error_while_polling_is_retryable(self, contract: RemoteSetup) -> None:
        self._needs(contract, "server_error")
        remote_id = await contract.backend.submit(contract.job)
        contract.inject("server_error", 1, "poll")
        with pytest.raises(RetryableServiceError):
            await contract.backend.poll(remote_id, contract.job)

    async def test_dropped_reply_while_polling_is_retryable(self, contract: RemoteSetup) -> None:
        self._needs(contract, "lost_reply")
        remote_id = await contract.backend.submit(contract.job)
        contract.inject("lost_reply", 1, "poll")
        with pytest.raises(RetryableServiceError):
            await contract.backend.poll(remote_id, contract.job)

    async def test_moderation_block_is_content_blocked_with_the_services_reason(
        self, contract: RemoteSetup
    ) -> None:
        self._needs(contract, "blocked")
        contract.inject("blocked", 1, "submit")
        with pytest.raises(ContentBlocked) as caught:
            await self.finish(contract)
        assert not caught.value.retryable and caught.value.reason

    async def test_service_side_failure_is_retryable(self, contract: RemoteSetup) -> None:
        self._needs(contract, "service_failure")
        contract.inject("service_failure", 1, "submit")
        _, update = await self.finish(contract)
        assert (update.status, update.retryable) == (JobStatus.FAILED, True)
        assert update.error

    async def test_truncated_download_is_retryable_and_leaves_nothing(
        self, contract: RemoteSetup, tmp_path: Path
    ) -> None:
        self._needs(contract, "truncated_download")
        remote_id, _ = await self.finish(contract)
        contract.inject("truncated_download", 1, "download")
        with pytest.raises(RetryableServiceError):
            await contract.backend.download(remote_id, contract.job, tmp_path / "take.mp4")
        assert list(tmp_path.iterdir()) == []

    async def test_cut_download_with_a_matching_length_is_retryable_and_leaves_nothing(
        self, contract: RemoteSetup, tmp_path: Path
    ) -> None:
        self._needs(contract, "cut_download")
        remote_id, _ = await self.finish(contract)
        contract.inject("cut_download", 1, "download")
        with pytest.raises(RetryableServiceError):
            await contract.backend.download(remote_id, contract.job, tmp_path / "take.mp4")
        assert list(tmp_path.iterdir()) == []

    async def test_expired_link_is_renewed_once(
        self, contract: RemoteSetup, tmp_path: Path
    ) -> None:
        self._needs(contract, "expired_link")
        remote_id, _ = await self.finish(contract)
        contract.inject("expired_link", 1, "download")
        media = await contract.backend.download(remote_id, contract.job, tmp_path / "take.mp4")
        _check_clip(media.video, contract.job)

    async def test_link_expired_again_is_retryable_and_leaves_nothing(
        self, contract: RemoteSetup, tmp_path: Path
    ) -> None:
        self._needs(contract, "expired_link")
        remote_id, _ = await self.finish(contract)
        contract.inject("expired_link", 2, "download")
        with pytest.raises(RetryableServiceError):
            await contract.backend.download(remote_id, contract.job, tmp_path / "take.mp4")
        assert list(tmp_path.iterdir()) == []

    async def test_cancelled_download_leaves_nothing_or_the_whole_clip(
        self, contract: RemoteSetup, tmp_path: Path
    ) -> None:
        remote_id, _ = await self.finish(contract)
        task = asyncio.ensure_future(
            contract.backend.download(remote_id, contract.job, tmp_path / "take.mp4")
        )
        await asyncio.sleep(0)
        task.cancel()
        try:
            media = await task
        except asyncio.CancelledError:
            assert list(tmp_path.iterdir()) == []
        else:  # it finished before the cancellation reached it
            _check_clip(media.video, contract.job)
            assert [p.name for p in tmp_path.iterdir()] == ["take.mp4"]

    async def test_key_reaches_no_error_log_or_clip(
        self, contract: RemoteSetup, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        if not contract.secret:
            pytest.skip("the setup names no secret")
        caplog.set_level(logging.DEBUG)
        said: list[str] = []
        for fault in ("rate_limit", "server_error", "lost_reply"):
            if fault in contract.faults:
                contract.inject(fault, 1, "submit")
                try:
                    await contract.backend.submit(contract.job)
                except BackendError as error:
                    said.append(str(error))
        remote_id, _ = await self.finish(contract)
        media = await contract.backend.download(remote_id, contract.job, tmp_path / "take.mp4")
        assert not any(contract.secret in text for text in [*said, caplog.text])
        assert contract.secret.encode() not in media.video.read_bytes()


class LocalBackendContract:
    """The contract every local backend passes (subclass it; define the ``contract`` fixture)."""

    async def test_render_gives_the_ordered_clip(
        self, contract: LocalSetup, tmp_path: Path
    ) -> None:
        media = await contract.backend.render(contract.job, tmp_path)
        _check_clip(media.video, contract.job)

    async def test_the_same_job_renders_the_same_bytes(
        self, contract: LocalSetup, tmp_path: Path
    ) -> None:
        first = await contract.backend.render(contract.job, tmp_path / "a")
        second = await contract.backend.render(contract.job, tmp_path / "b")
        assert first.video.read_bytes() == second.video.read_bytes()

    async def test_cancelled_render_leaves_no_clip(
        self, contract: LocalSetup, tmp_path: Path
    ) -> None:
        task = asyncio.ensure_future(contract.backend.render(contract.job, tmp_path))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not [p for p in tmp_path.rglob("*") if p.suffix in (".mp4", ".mov", ".part")]

    def test_capabilities_declare_a_price_and_a_concurrency(self, contract: LocalSetup) -> None:
        caps = contract.backend.capabilities()
        assert caps.cost_per_second >= 0 and caps.max_concurrency >= 1


def _env_vars(backend: RemoteBackend) -> tuple[str, ...]:
    return backend.capabilities().env_vars
