"""Retrying one backend call: which failures are transient, and how long to wait between tries.

Transient: :class:`~previz.errors.RetryableServiceError` (a backend's 429, 5xx, dropped
connection), httpx transport errors (connect/read timeouts, resets) and OS connection errors.
They are retried through tenacity with exponential backoff and full jitter, except that a
service's ``Retry-After`` is honoured as given. Everything else — a content-policy block, a 4xx,
:class:`~previz.errors.JobFailedError` — is final at this level and propagates at once.

This loop is for calls that are safe to repeat (polls, downloads, renders). A submission is not:
:mod:`previz.generate.submission` sends one again only when nothing can have been created.
The first try runs before tenacity is imported: most calls succeed at once (a local render
always does unless it fails for good), so a build that retries nothing never loads it.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from previz.errors import RetryableServiceError

if TYPE_CHECKING:
    from tenacity import RetryCallState

T = TypeVar("T")

_JITTER = random.Random()

Sleep = Callable[[float], Awaitable[None]]
OnRetry = Callable[[BaseException, float, int], None]


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries per call; backoff ``base * 2**n`` seconds, capped at ``cap``, jittered."""

    attempts: int = 6
    base: float = 1.0
    cap: float = 60.0
    max_retry_after: float = 600.0


def is_transient(error: BaseException) -> bool:
    """True for failures that trying the same call again can cure."""
    if isinstance(error, RetryableServiceError):
        return True
    import httpx  # only on a failure: commands that never reach a service start without it

    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code == 429 or error.response.status_code >= 500
    return isinstance(error, (httpx.TransportError, ConnectionError))


def retry_after(error: BaseException) -> float | None:
    """The wait the service asked for, if it did."""
    if isinstance(error, RetryableServiceError):
        return error.retry_after
    import httpx  # only on a failure, as in is_transient

    if isinstance(error, httpx.HTTPStatusError):
        header = error.response.headers.get("retry-after")
        try:
            return float(header) if header is not None else None
        except ValueError:
            return None
    return None


def backoff(
    policy: RetryPolicy, attempt: int, asked: float | None, rng: random.Random | None = None
) -> float:
    """Seconds to wait after failed try number ``attempt`` (from 1): what the service asked
    (``Retry-After``, capped at ``max_retry_after``), else full-jitter exponential backoff."""
    if asked is not None:
        return min(max(asked, 0.0), policy.max_retry_after)
    ceiling = min(policy.cap, policy.base * 2 ** (attempt - 1))
    return (rng or _JITTER).uniform(0.0, ceiling)


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    sleep: Sleep,
    policy: RetryPolicy = RetryPolicy(),
    on_retry: OnRetry | None = None,
    rng: random.Random | None = None,
) -> T:
    """Await ``call()``, retrying transient failures per ``policy``; the last error propagates."""
    jitter = rng or _JITTER
    try:
        return await call()
    except Exception as error:  # tenacity's first attempt, as tenacity would judge it
        if not is_transient(error):
            raise
        wait = backoff(policy, 1, retry_after(error), jitter)  # tenacity waits before stopping
        if policy.attempts <= 1:
            raise
        if on_retry is not None:
            on_retry(error, wait, 1)
    await sleep(wait)
    return await _tries_after_the_first(call, sleep, policy, on_retry, jitter)


async def _tries_after_the_first(
    call: Callable[[], Awaitable[T]],
    sleep: Sleep,
    policy: RetryPolicy,
    on_retry: OnRetry | None,
    rng: random.Random,
) -> T:
    """Tries 2 to ``policy.attempts`` through tenacity, numbered as the whole run's tries."""
    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        asked = retry_after(error) if error is not None else None
        return backoff(policy, state.attempt_number + 1, asked, rng)

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None and state.next_action is not None:
            error = state.outcome.exception()
            assert error is not None
            on_retry(error, state.next_action.sleep, state.attempt_number + 1)

    retrying = AsyncRetrying(
        sleep=sleep,
        stop=stop_after_attempt(policy.attempts - 1),
        wait=wait,
        retry=retry_if_exception(is_transient),
        before_sleep=before_sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("tenacity ended without a result or an error")  # pragma: no cover
