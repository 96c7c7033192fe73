"""A call retried through :func:`previz.generate.retry.call_with_retries` is one run of tries.

The first try runs before tenacity is loaded; the tries after it must still be numbered, waited
and reported as one run, exactly as when tenacity ran them all.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from previz.errors import RetryableServiceError
from previz.generate.retry import RetryPolicy, backoff, call_with_retries


def test_each_retry_is_numbered_and_waited_as_one_run_of_tries() -> None:
    policy = RetryPolicy(attempts=4, base=1.0, cap=60.0)
    seeded, same_seed = random.Random(7), random.Random(7)
    tried: list[int] = []
    slept: list[float] = []
    told: list[tuple[float, int]] = []

    async def busy() -> None:
        tried.append(1)
        raise RetryableServiceError("busy")

    async def nap(seconds: float) -> None:
        slept.append(seconds)

    def on_retry(error: BaseException, wait: float, attempt: int) -> None:
        told.append((wait, attempt))

    run = call_with_retries(busy, sleep=nap, policy=policy, on_retry=on_retry, rng=seeded)
    with pytest.raises(RetryableServiceError):
        asyncio.run(run)
    waits = [backoff(policy, attempt, None, same_seed) for attempt in (1, 2, 3, 4)]
    assert len(tried) == 4
    assert told == [(waits[0], 1), (waits[1], 2), (waits[2], 3)]
    assert slept == waits[:3]
    assert seeded.random() == same_seed.random()  # a wait is drawn after the last try too


def test_a_final_error_on_the_first_try_is_not_retried() -> None:
    tried: list[int] = []

    async def broken() -> None:
        tried.append(1)
        raise ValueError("final")

    async def nap(seconds: float) -> None:
        raise AssertionError("no wait for a final error")

    with pytest.raises(ValueError, match="final"):
        asyncio.run(call_with_retries(broken, sleep=nap))
    assert tried == [1]
