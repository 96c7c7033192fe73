"""The contract suite's fault names (``previz.testing.FAULTS``) mapped onto this repo's fakes.

Two kinds of fake live here: the Runway and Luma fakes count faults down on ``app.state.faults``
(:class:`~tests.fakes.fakekit.Faults`), the OpenAI and Veo fakes queue them per route
(:class:`~tests.fakes.generated_media.FaultPlan`). Each gets one injector for the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tests.fakes.fakekit import Faults
from tests.fakes.generated_media import FaultPlan

Inject = Callable[[str, int, str], None]

COUNTERS = {
    "rate_limit": "rate_limits",
    "poll_rate_limit": "poll_rate_limits",
    "lost_reply": "dropped",
    "reply_lost_after_create": "dropped_replies",
    "server_error": "server_errors",
    "blocked": "safety_blocks",
    "service_failure": "bad_outputs",
    "truncated_download": "truncated_downloads",
    "cut_download": "cut_downloads",
    "expired_link": "expired_urls",
}

KINDS = {
    "rate_limit": "rate_limit",
    "poll_rate_limit": "rate_limit",
    "lost_reply": "drop",
    "reply_lost_after_create": "drop_reply",
    "server_error": "server_error",
    "blocked": "safety",
    "service_failure": "failed",
    "truncated_download": "truncate",
    "cut_download": "cut",
    "expired_link": "expire",
}


def counting(faults: Callable[[], Faults]) -> Inject:
    """An injector for a fake that counts faults down (the next API request meets them)."""

    def inject(fault: str, times: int, call: str) -> None:
        setattr(faults(), COUNTERS[fault], times)

    return inject


AT_CREATION = ("blocked", "service_failure", "reply_lost_after_create")
"""Faults a routed fake marks on the job when it is created, whatever call meets them."""


def routed(plan: Callable[[], FaultPlan], routes: Mapping[str, str]) -> Inject:
    """An injector for a fake that queues faults per route; ``routes`` maps submit, poll and
    download to the fake's route names. Blocked and failed jobs are marked when created."""

    def inject(fault: str, times: int, call: str) -> None:
        on = (
            "submit" if fault in ("blocked", "service_failure", "reply_lost_after_create") else call
        )
        plan().inject(routes[on], KINDS[fault], times=times)

    return inject
